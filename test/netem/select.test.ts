import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../lib/errors.ts';
import type { Link, LinkBackendName, LinkOpenOptions, LinkParams } from '../../netem/link.ts';
import { getProfile } from '../../netem/profiles.ts';
import { chooseAuto, linkAvailability, openLink, type LinkProbes, type SelectDeps } from '../../netem/select.ts';
import { requirePrivileged } from '../helpers/privileged.ts';

const wan: LinkParams = getProfile('wan').params;
const loopback: LinkParams = getProfile('loopback').params;
const opts = (params: LinkParams): LinkOpenOptions => ({ runId: 'kabtest', params });

/** Probes as an unprivileged machine without sch_netem would answer. */
const unprivileged: LinkProbes = {
  tc: async () => 'not root (tc needs root or CAP_NET_ADMIN)',
  tun: () => 'not root (the tun link runs as root)',
  proxy: () => null,
  none: () => null,
};

/** Openers that record what they were asked to open instead of opening it. */
function fakeDeps(probes: LinkProbes): SelectDeps & { opened: LinkBackendName[] } {
  const opened: LinkBackendName[] = [];
  const fake =
    (backend: LinkBackendName) =>
    async (o: LinkOpenOptions): Promise<Link> => {
      opened.push(backend);
      return {
        backend,
        clientNetns: null,
        serverNetns: null,
        serverListenHost: '127.0.0.1',
        caveats: [],
        capabilities: { real_packets: false, drops_packets: false, configurable: true, connect_crosses_link: true },
        controls: null,
        tuning: null,
        params: () => o.params,
        configure: async () => undefined,
        clientTarget: async (port) => ({ host: '127.0.0.1', port }),
        counters: async () => null,
        close: async () => undefined,
      };
    };
  return { probes, opened, openers: { tc: fake('tc'), tun: fake('tun'), proxy: fake('proxy'), none: fake('none') } };
}

test('availability reports each backend with the reason it cannot run (simulated unprivileged machine)', async () => {
  const a = await linkAvailability(unprivileged);
  assert.deepEqual(a, {
    tc: 'not root (tc needs root or CAP_NET_ADMIN)',
    tun: 'not root (the tun link runs as root)',
    proxy: null,
    none: null,
  });
  const throwing = await linkAvailability({
    ...unprivileged,
    tc: async () => {
      throw new Error('tc: command not found');
    },
  });
  assert.equal(throwing.tc, 'probe failed: tc: command not found');
});

test('auto takes tc, then tun, then proxy, and says why', async () => {
  const all = fakeDeps({ tc: async () => null, tun: () => null, proxy: () => null, none: () => null });
  const r1 = await openLink('auto', opts(wan), all);
  assert.equal(r1.link.backend, 'tc');
  assert.match(r1.why, /^auto: tc/);

  const noTc = fakeDeps({ ...unprivileged, tc: async () => 'sch_netem kernel module missing', tun: () => null });
  const r2 = await openLink('auto', opts(wan), noTc);
  assert.equal(r2.link.backend, 'tun');
  assert.equal(r2.why, 'auto: tun (tc unavailable: sch_netem kernel module missing)');

  const none = fakeDeps(unprivileged);
  const r3 = await openLink('auto', opts(wan), none);
  assert.equal(r3.link.backend, 'proxy');
  assert.equal(
    r3.why,
    'auto: proxy (tc unavailable: not root (tc needs root or CAP_NET_ADMIN); tun unavailable: not root (the tun link runs as root))',
  );
  assert.deepEqual(none.opened, ['proxy']);
});

test('auto takes the plain loopback for a profile that adds nothing', async () => {
  const deps = fakeDeps({ tc: async () => null, tun: () => null, proxy: () => null, none: () => null });
  const r = await openLink('auto', opts(loopback), deps);
  assert.equal(r.link.backend, 'none');
  assert.match(r.why, /^auto: none \(/);
  // a rate limit alone is something to emulate
  assert.equal(chooseAuto({ ...loopback, rate_mbit: 10 }, await linkAvailability(deps.probes)).backend, 'tc');
});

test('auto refuses packet loss when only the proxy can run', async () => {
  const deps = fakeDeps(unprivileged);
  await assert.rejects(openLink('auto', opts(getProfile('lossy').params), deps), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /1 % packet loss needs --link tc or tun.*not root.*run with sudo, or set --loss 0/);
    return true;
  });
  assert.deepEqual(deps.opened, []);
});

test('asking for a backend that cannot run here is a UserError saying what is missing and what to do', async () => {
  const deps = fakeDeps(unprivileged);
  const cases: Array<[LinkBackendName, RegExp]> = [
    [
      'tun',
      /^--link tun cannot run here: not root .*needs root, \/dev\/net\/tun and koffi \(glibc\): run with sudo, or use --link proxy$/,
    ],
    ['tc', /^--link tc cannot run here: not root .*sch_netem kernel module.*use --link tun or --link proxy$/],
  ];
  for (const [choice, re] of cases) {
    await assert.rejects(openLink(choice, opts(wan), deps), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
  await assert.rejects(
    openLink('bogus' as LinkBackendName, opts(wan), deps),
    /unknown --link "bogus"; choose auto, tc, tun, proxy, none/,
  );
  await assert.rejects(openLink('proxy', opts({ ...wan, jitter_ms: 40 }), deps), /--jitter 40 ms is more than half/);
  assert.deepEqual(deps.opened, []);
  const ok = await openLink('proxy', opts(wan), deps);
  assert.equal(ok.why, '--link proxy (asked for)');
});

test('the real backends: none refuses delay, proxy refuses loss, both open and close', async () => {
  await assert.rejects(
    openLink('none', opts(wan)),
    /^UserError: --link none adds no delay; choose tun, tc or proxy to emulate rtt 50 ms$/,
  );
  await assert.rejects(
    openLink('proxy', opts(getProfile('lossy').params)),
    /the proxy link cannot emulate packet loss; use --link tun or tc \(root\)/,
  );
  const n = await openLink('none', opts(loopback));
  assert.equal(n.link.backend, 'none');
  assert.deepEqual(await n.link.clientTarget(8080), { host: '127.0.0.1', port: 8080 });
  await n.link.close();
  const p = await openLink('proxy', opts(wan));
  try {
    assert.equal(p.link.backend, 'proxy');
    assert.equal(p.link.params().rtt_ms, 50);
  } finally {
    await p.link.close();
  }
});

test('availability on this machine (root): tun and proxy usable', async (t) => {
  if (!requirePrivileged(t)) return;
  const a = await linkAvailability();
  t.diagnostic(`availability: ${JSON.stringify(a)}`);
  assert.equal(a.tun, null);
  assert.equal(a.proxy, null);
  assert.equal(a.none, null);
  assert.ok(a.tc === null || (typeof a.tc === 'string' && a.tc.length > 0));
  const r = await openLink('auto', opts(loopback));
  try {
    assert.equal(r.link.backend, 'none');
  } finally {
    await r.link.close();
  }
});
