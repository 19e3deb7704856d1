import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import type { LinkParams } from '../../netem/link.ts';
import { UserError } from '../../lib/errors.ts';
import { tcCommands, tcNetemUnavailableReason, tcReconfigureCommands } from '../../netem/tc.ts';
import {
  deleteNetns,
  listLinks,
  listNetns,
  newRunId,
  removeOwnershipRecord,
  run,
  writeOwnershipRecord,
} from '../../netem/topology.ts';
import { listProfiles } from '../../netem/profiles.ts';
import { execa } from 'execa';
import { requirePrivileged } from '../helpers/privileged.ts';

const base: LinkParams = {
  rtt_ms: 0,
  jitter_ms: 0,
  loss_pct: 0,
  rate_mbit: null,
  queue_packets: null,
  mtu_bytes: 1500,
};
const root = (dev: string) => [
  'tc',
  'qdisc',
  'replace',
  'dev',
  dev,
  'root',
  'handle',
  '1:',
  'netem',
  'limit',
  '100000',
];

test('tcCommands: a LAN profile is a bare netem delay of half the RTT', () => {
  assert.deepEqual(tcCommands('kababc123c', { ...base, rtt_ms: 1 }), [[...root('kababc123c'), 'delay', '0.5ms']]);
});

test('tcCommands: nothing to emulate leaves only netem with its limit', () => {
  assert.deepEqual(tcCommands('kababc123c', base), [root('kababc123c')]);
});

test('tcCommands: a WAN profile gets delay, jitter, loss, and a tbf child for the rate', () => {
  const wan: LinkParams = {
    rtt_ms: 80,
    jitter_ms: 2,
    loss_pct: 1,
    rate_mbit: 20,
    queue_packets: null,
    mtu_bytes: 1500,
  };
  assert.deepEqual(tcCommands('kababc123s', wan), [
    [...root('kababc123s'), 'delay', '40ms', '2ms', 'loss', '1%'],
    [
      'tc',
      'qdisc',
      'replace',
      'dev',
      'kababc123s',
      'parent',
      '1:1',
      'handle',
      '10:',
      'tbf',
      'rate',
      '20mbit',
      'burst',
      '3000',
      'limit',
      '1500000',
    ],
  ]);
});

test('tcCommands: queue size, fractional values, fast rates, jitter without delay', () => {
  const mobile: LinkParams = {
    rtt_ms: 150.5,
    jitter_ms: 0,
    loss_pct: 0.25,
    rate_mbit: 1.5,
    queue_packets: 50,
    mtu_bytes: 1400,
  };
  assert.deepEqual(tcCommands('d', mobile), [
    [...root('d'), 'delay', '75.25ms', 'loss', '0.25%'],
    [
      'tc',
      'qdisc',
      'replace',
      'dev',
      'd',
      'parent',
      '1:1',
      'handle',
      '10:',
      'tbf',
      'rate',
      '1.5mbit',
      'burst',
      '2800',
      'limit',
      '70000',
    ],
  ]);
  const fast = tcCommands('d', { ...base, rtt_ms: 2, rate_mbit: 1000 });
  assert.deepEqual(fast[1]?.slice(-4), ['burst', '125000', 'limit', '1500000']);
  assert.deepEqual(tcCommands('d', { ...base, jitter_ms: 3 }), [[...root('d'), 'delay', '0ms', '3ms']]);
});

test('tcCommands rejects impossible parameters with a UserError', () => {
  assert.throws(() => tcCommands('d', { ...base, loss_pct: 120 }), UserError);
  assert.throws(() => tcCommands('d', { ...base, rtt_ms: -1 }), UserError);
  assert.throws(() => tcCommands('d', { ...base, rate_mbit: 0 }), UserError);
  assert.throws(() => tcCommands('d', { ...base, queue_packets: 0, rate_mbit: 5 }), UserError);
});

test('tcReconfigureCommands deletes the tbf child when the rate goes away', () => {
  const withRate = { ...base, rtt_ms: 20, rate_mbit: 10 };
  const without = { ...base, rtt_ms: 20 };
  assert.deepEqual(tcReconfigureCommands('d', withRate, without), [
    ['tc', 'qdisc', 'delete', 'dev', 'd', 'parent', '1:1', 'handle', '10:'],
    [...root('d'), 'delay', '10ms'],
  ]);
  assert.deepEqual(tcReconfigureCommands('d', without, withRate), tcCommands('d', withRate));
});

test('tcNetemUnavailableReason probes once and leaves no probe objects', async (t) => {
  if (!requirePrivileged(t)) return;
  const before = new Set(await listNetns());
  const p1 = tcNetemUnavailableReason();
  assert.equal(tcNetemUnavailableReason(), p1, 'the probe is cached');
  const reason = await p1;
  assert.ok(reason === null || (typeof reason === 'string' && reason.length > 0 && !reason.includes('\n')));
  if (reason !== null) t.diagnostic(`tc netem unavailable: ${reason}`);
  const leftover = (await listNetns()).filter((n) => !before.has(n) && /^kab-[0-9a-f]{6}-p$/.test(n));
  assert.deepEqual(leftover, []);
  assert.deepEqual(
    (await listLinks()).filter((l) => /^kab[0-9a-f]{6}[pq]$/.test(l)),
    [],
  );
  const records = existsSync('/run/kab') ? readdirSync('/run/kab') : [];
  for (const r of records) assert.ok(!/\.tmp$/.test(r) || !r.includes(`.${process.pid}.`));
});

test('iproute2 parses every netem command the backend generates (where the kernel lacks netem: "qdisc kind is unknown", nothing else)', async (t) => {
  if (!requirePrivileged(t)) return;
  const netemHere = (await tcNetemUnavailableReason()) === null;
  const runId = newRunId();
  const ns = `kab-${runId}-v`;
  const [devA, devB] = [`kab${runId}v`, `kab${runId}w`];
  await writeOwnershipRecord(runId, [ns], [devA, devB]);
  try {
    await run(['ip', 'netns', 'add', ns]);
    await run(['ip', '-n', ns, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB]);
    const tc = async (argv: readonly string[]) => {
      const r = await execa(argv[0] ?? 'tc', ['-n', ns, ...argv.slice(1)], { reject: false, stdin: 'ignore' });
      return { code: r.exitCode, stderr: String(r.stderr).trim() };
    };
    const profiles = [
      ...listProfiles().map((p) => p.params),
      { ...base, rtt_ms: 150.5, jitter_ms: 2.25, loss_pct: 0.25, rate_mbit: 1.5, queue_packets: 50 },
    ];
    for (const params of profiles) {
      const [netem] = tcCommands(devA, params);
      assert.ok(netem);
      const r = await tc(netem);
      // Without sch_netem, tc has parsed every option in userspace before the kernel refuses the qdisc kind.
      if (netemHere) assert.equal(r.code, 0, `${netem.join(' ')}: ${r.stderr}`);
      else assert.equal(r.stderr, 'Error: Specified qdisc kind is unknown.', netem.join(' '));
    }
    // The check can fail: a netem option iproute2 does not know is refused before the kernel is asked.
    const broken = await tc(['tc', 'qdisc', 'replace', 'dev', devA, 'root', 'handle', '1:', 'netem', 'delay', '25xs']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^Illegal "latency"/);
  } finally {
    await deleteNetns(ns).catch(() => undefined);
    await removeOwnershipRecord(runId);
  }
  assert.ok(!(await listNetns()).includes(ns));
});
