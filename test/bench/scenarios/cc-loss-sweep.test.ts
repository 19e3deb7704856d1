import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ccsToRun, sweepCcAndLoss } from '../../../bench/scenarios/cc-loss-sweep.ts';
import type { Link, LinkParams, LinkTuning } from '../../../netem/link.ts';

const BASE: LinkParams = {
  rtt_ms: 50,
  jitter_ms: 0,
  loss_pct: 0,
  rate_mbit: null,
  queue_packets: null,
  mtu_bytes: 1500,
};

/** A link whose server-side congestion control starts as `initial`; every change is logged. */
function fakeLink(initial: string, log: string[]): Pick<Link, 'tuning' | 'params' | 'configure'> {
  let cc = initial;
  const tuning: LinkTuning = {
    readSysctls: async () => ({ 'net.ipv4.tcp_congestion_control': cc }),
    setSysctls: async (side, values) => {
      cc = values['net.ipv4.tcp_congestion_control']!;
      log.push(`${side} cc=${cc}`);
    },
    readRoutes: async () => [],
    setInitcwnd: async () => undefined,
  };
  return {
    tuning,
    params: () => BASE,
    configure: async (p) => void log.push(`loss=${p.loss_pct}`),
  };
}

test("the sweep sets each congestion control when it differs from the one in force, and puts the host's back", async () => {
  const log: string[] = [];
  const seen: string[] = [];
  const ctx = { link: fakeLink('cubic', log) as Link, signal: new AbortController().signal };
  await sweepCcAndLoss(ctx, ['bbr', 'cubic', 'reno'], [0, 5], async (p) => {
    const now = await ctx.link.tuning!.readSysctls('server');
    seen.push(`${p.cc}/${p.loss_pct}:${now['net.ipv4.tcp_congestion_control']}`);
  });
  // cubic was the default: it must be set again after bbr, or its rows are bbr's.
  assert.deepEqual(seen, ['bbr/0:bbr', 'bbr/5:bbr', 'cubic/0:cubic', 'cubic/5:cubic', 'reno/0:reno', 'reno/5:reno']);
  assert.deepEqual(log.at(-2), 'loss=0', 'the link back to the profile');
  assert.deepEqual(log.at(-1), 'server cc=cubic', 'the host default back');
});

test('the sweep stops at an abort and still restores the link and the congestion control', async () => {
  const log: string[] = [];
  const abort = new AbortController();
  const ctx = { link: fakeLink('bbr', log) as Link, signal: abort.signal };
  let calls = 0;
  await sweepCcAndLoss(ctx, ['bbr', 'reno'], [0, 5], async () => {
    calls++;
    abort.abort();
  });
  assert.equal(calls, 1);
  assert.deepEqual(log, ['loss=0', 'loss=0'], 'bbr was in force: nothing set, nothing to restore');
  await assert.rejects(
    sweepCcAndLoss(
      { link: fakeLink('bbr', log) as Link, signal: new AbortController().signal },
      ['reno'],
      [0],
      async () => {
        throw new Error('boom');
      },
    ),
    /boom/,
  );
  assert.deepEqual(log.slice(-4), ['server cc=reno', 'loss=0', 'loss=0', 'server cc=bbr'], 'restored after a throw');
});

test('ccsToRun: the planned ones the host allows; the others are skipped with the flag that adds them', () => {
  const skipped: string[] = [];
  const ctx = { link: { tuning: {} } as Link, congestion_control: 'bbr' };
  assert.deepEqual(
    ccsToRun(ctx, ['bbr', 'cubic', 'reno'], (c, why) => skipped.push(`${c}: ${why}`), ['reno', 'bbr']),
    ['bbr', 'reno'],
  );
  assert.equal(skipped.length, 1);
  assert.match(skipped[0]!, /^cubic: .*--allow-host-cc cubic/);
  assert.deepEqual(
    ccsToRun(ctx, null, () => assert.fail()),
    ['bbr'],
  );
  assert.deepEqual(
    ccsToRun({ ...ctx, link: { tuning: null } as Link }, ['reno'], () => assert.fail(), ['reno']),
    ['bbr'],
  );
});
