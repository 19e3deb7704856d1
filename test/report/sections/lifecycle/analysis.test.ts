import { test } from 'node:test';
import assert from 'node:assert/strict';
import { c8Rates, verdictC8 } from '../../../../report/sections/lifecycle/analysis.ts';
import { verdictC7 } from '../../../../report/sections/lifecycle/c7.ts';
import { verdictC9 } from '../../../../report/sections/lifecycle/c9.ts';
import { verdictC10 } from '../../../../report/sections/lifecycle/c10.ts';
import { poolFigures, verdictC12 } from '../../../../report/sections/lifecycle/c12.ts';
import { strategyFigures } from '../../../../report/sections/lifecycle/strategies.ts';
import { wilson } from '../../../../lib/stats.ts';
import { buildLifecycle } from '../../../../report/sections/lifecycle/section.ts';
import type { CsvRow } from '../../../../report/load-run.ts';

function c8Row(note: string, strategy: string, x: number | null, y: number, outcome: string, gap: number): CsvRow {
  return {
    part: 'c8',
    case_key: `k-${note}`,
    profile: 'wan',
    strategy,
    x_ms: x === null ? '' : String(x),
    y_ms: String(y),
    outcome,
    gap_ms: String(gap),
    reused: '1',
    note,
  };
}

test('lifecycle report: C8 rates and verdict', () => {
  const w = wilson(0, 100);
  assert.equal(w.low, 0);
  assert.ok(w.high > 0.03 && w.high < 0.04, `Wilson upper bound for 0/100 is ~3.7 %, got ${w.high}`);
  const rows: CsvRow[] = [];
  for (let i = 0; i < 100; i++)
    rows.push(c8Row('below', 'lb', 6000, 5000, i < 20 ? 'http_502' : 'ok', i < 20 ? -40 + i : 50));
  for (let i = 0; i < 100; i++) rows.push(c8Row('above', 'lb', 6000, 7000, 'ok', i - 50));
  const rates = c8Rates(rows);
  const below = rates.find((r) => r.label === 'below');
  assert.ok(below);
  assert.equal(below.per_1000, 200);
  // Failed gaps −40…−21 (n = 20), type-7 quantiles as in lib/stats.ts, shown to 0.1 ms:
  //   5 %: h = 19 × 0.05 = 0.95 → −40 + 0.95 = −39.05 → Math.round(−390.5) / 10 = −39
  //  95 %: h = 19 × 0.95 = 18.05 → −22 + 0.05 = −21.95 → Math.round(−219.5) / 10 = −21.9
  assert.equal(below.window_low_ms, -39);
  assert.equal(below.window_high_ms, -21.9);
  const v = verdictC8(rates, 10);
  // The notes' advice (server a little below the LB) is what fails.
  assert.equal(v.kind, 'refuted');
  assert.match(v.figure, /200 per 1 000/);
  assert.deepEqual(v.evidence, { n: 'n = 100 + 100 trials (Y < X, Y > X)', strength: 'strong' });
  // Failures on both sides: no clear answer.
  rows.push(c8Row('above', 'lb', 6000, 7000, 'http_502', 0));
  assert.equal(verdictC8(c8Rates(rows), 10).kind, 'depends');
  const section = buildLifecycle(rows, 10);
  assert.ok(section.specs.some((s) => s.id === 'lifecycle-c8-rate'));
  assert.ok(section.caveats.some((c) => c.includes('1:10')));
});

test('C7 without a measured close: "not run" on the proxy link (it hides the FIN), "depends" on a packet link', () => {
  const proxy = verdictC7([], 10, 'proxy');
  assert.equal(proxy.kind, 'not_run');
  assert.match(proxy.figure, /proxy link hides the server's close/);
  assert.equal(verdictC7([], 10, 'tun').kind, 'depends');
});

// ---------------------------------------------------------------- C7, C9, C10, C12: their n and evidence

function c7Row(trial: number, idle_ms: string, keepalive = 'client 7200/75/9; server 7200/75/9'): CsvRow {
  return {
    part: 'c7',
    trial: String(trial),
    y_ms: '500',
    idle_ms,
    outcome: 'reuse_EPIPE',
    detect_ms: '250',
    tcp_keepalive: keepalive,
  };
}

test('C7 evidence: one close 480× below the probe is strong; a close within 10× of it needs 5 trials', () => {
  // 1.5 s at 1:10 ≙ 15 s, against a first probe after 7200 s: the margin settles it at n = 1.
  const one = verdictC7([c7Row(1, '1500')], 10, 'tun');
  assert.equal(one.kind, 'confirmed');
  assert.deepEqual(one.evidence, { n: 'n = 1 trial', strength: 'strong' });
  assert.equal(one.numbers.probe_over_close_ratio, 480);
  // Probe after 100 s: 15 s is below it, but not tenfold; 4 trials are too few for the order-statistic bound…
  const ka100 = 'client 100/75/9; server 100/75/9';
  const four = [1, 2, 3, 4].map((i) => c7Row(i, String(1500 + i), ka100));
  const v4 = verdictC7(four, 10, 'tun');
  assert.equal(v4.kind, 'confirmed');
  assert.deepEqual(v4.evidence, { n: 'n = 4 trials', strength: 'inconclusive' });
  // …5 all below it are (their maximum bounds the median at 1 − 2^−5 = 96.9 %).
  const v5 = verdictC7([...four, c7Row(5, '1505', ka100)], 10, 'tun');
  assert.deepEqual(v5.evidence, { n: 'n = 5 trials', strength: 'strong' });
  // Refuted: past a 10 s probe (15 s), not tenfold; past a 1 s probe, tenfold.
  const r10 = verdictC7([c7Row(1, '1500', 'client 10/1/1')], 10, 'tun');
  assert.equal(r10.kind, 'refuted');
  assert.equal(r10.evidence?.strength, 'inconclusive');
  assert.equal(verdictC7([c7Row(1, '1500', 'client 1/1/1')], 10, 'tun').evidence?.strength, 'strong');
  // No close measured: still names its n; the proxy link's "not run" has no evidence.
  assert.deepEqual(verdictC7([c7Row(1, '')], 10, 'tun').evidence, {
    n: 'n = 1 trial, no close measured',
    strength: 'inconclusive',
  });
  assert.equal(verdictC7([c7Row(1, '')], 10, 'proxy').evidence, undefined);
});

function c9Row(strategy: string, outcome: string, trial = 1): CsvRow {
  return {
    part: 'c9',
    strategy,
    fault: 'nat_idle_drop',
    trial: String(trial),
    outcome,
    tcp_keepalive: strategy === 'tcp_keepalive' ? '2/1/3' : '',
    h2_ping_ms: strategy === 'h2_ping' ? '2000' : '',
  };
}

/** `reps` trials of each C9 strategy; `noneOutcome` for the client without keepalive. */
function c9Rows(reps: number, noneOutcome = 'hung'): CsvRow[] {
  const out: CsvRow[] = [];
  for (let t = 1; t <= reps; t++)
    out.push(
      c9Row('none', noneOutcome, t),
      c9Row('tcp_user_timeout', 'failed', t),
      c9Row('tcp_keepalive', 'survived', t),
      c9Row('h2_none', 'hung', t),
      c9Row('h2_ping', 'survived', t),
    );
  return out;
}

test('C9 evidence: survival rates on their side of one half by the Wilson interval; 1/1 cannot show it, 4/4 can', () => {
  const one = verdictC9(strategyFigures(c9Rows(1), 'c9'));
  assert.equal(one.kind, 'confirmed');
  assert.deepEqual(one.evidence, { n: 'n = 1 trial a strategy', strength: 'inconclusive' });
  // 3/3: Wilson lower bound 0.44, still below one half (the full run's 3 reps are not enough).
  assert.equal(verdictC9(strategyFigures(c9Rows(3), 'c9')).evidence?.strength, 'inconclusive');
  const four = verdictC9(strategyFigures(c9Rows(4), 'c9'));
  assert.equal(four.kind, 'confirmed');
  assert.deepEqual(four.evidence, { n: 'n = 4 trials a strategy', strength: 'strong' });
  assert.ok((four.numbers.keepalive_survival_ci_low ?? 0) > 0.5);
  assert.ok((four.numbers.none_survival_ci_high ?? 1) < 0.5);
  // Refuted (the flow survived without keepalive): strong at 4/4, inconclusive at 1/1.
  const kept = verdictC9(strategyFigures(c9Rows(4, 'survived'), 'c9'));
  assert.equal(kept.kind, 'refuted');
  assert.equal(kept.evidence?.strength, 'strong');
  assert.equal(verdictC9(strategyFigures(c9Rows(1, 'survived'), 'c9')).evidence?.strength, 'inconclusive');
  // Unequal cells are listed.
  const uneven = verdictC9(strategyFigures([...c9Rows(4), c9Row('h2_ping', 'survived', 5)], 'c9'));
  assert.equal(uneven.evidence?.n, 'n = 4 + 4 + 4 + 5 trials (no keepalive, TCP keepalive, h2 without PING, h2 PING)');
  // Skipped on a link without a flow timeout: "depends", inconclusive at n = 0.
  const skipped = verdictC9(
    strategyFigures(
      ['none', 'tcp_keepalive', 'h2_ping'].map((s) => c9Row(s, 'skipped')),
      'c9',
    ),
  );
  assert.equal(skipped.kind, 'depends');
  assert.deepEqual(skipped.evidence, { n: 'n = 0 trials a strategy', strength: 'inconclusive' });
});

function c10Row(fault: string, detect_ms: string, trial = 1, strategy = 'none'): CsvRow {
  return {
    part: 'c10',
    fault,
    strategy,
    trial: String(trial),
    detect_ms,
    outcome: detect_ms === '' ? 'hung' : 'failed',
  };
}

/** Per fault, how many trials of the client without a strategy, and when each learned ('' = not within the cap). */
function c10Rows(counts: { killed: number; gone: number; rebooted: number }, killedMs = '31'): CsvRow[] {
  const out: CsvRow[] = [];
  for (let t = 1; t <= counts.killed; t++) out.push(c10Row('process_killed', killedMs, t));
  for (let t = 1; t <= counts.gone; t++) out.push(c10Row('host_gone', '', t));
  for (let t = 1; t <= counts.rebooted; t++) out.push(c10Row('host_rebooted', '4054', t));
  // Strategies watch the same fault side by side: they do not add to n.
  out.push(c10Row('process_killed', '31', 1, 'h2_ping'), c10Row('host_gone', '1392', 1, 'h2_ping'));
  return out;
}

test('C10 evidence: "noticed at once" per fault for the client without a strategy; n = 1 a fault is inconclusive', () => {
  const one = verdictC10(strategyFigures(c10Rows({ killed: 1, gone: 1, rebooted: 1 }), 'c10'));
  assert.equal(one.kind, 'depends');
  assert.deepEqual(one.evidence, {
    n: 'n = 1 trial a fault, client without a strategy',
    strength: 'inconclusive',
  });
  const four = verdictC10(strategyFigures(c10Rows({ killed: 4, gone: 4, rebooted: 4 }), 'c10'));
  assert.equal(four.kind, 'depends');
  assert.deepEqual(four.evidence, { n: 'n = 4 trials a fault, client without a strategy', strength: 'strong' });
  assert.ok((four.numbers.killed_at_once_ci_low ?? 0) > 0.5);
  // Every fault must hold: 3 host-gone trials leave that one unsettled.
  const short = verdictC10(strategyFigures(c10Rows({ killed: 4, gone: 3, rebooted: 4 }), 'c10'));
  assert.deepEqual(short.evidence, {
    n: 'n = 4 + 3 + 4 trials (process killed, host gone, host rebooted), client without a strategy',
    strength: 'inconclusive',
  });
  // A killed process noticed only at the send (4 s): confirmed, strong at 4 a fault.
  const late = verdictC10(strategyFigures(c10Rows({ killed: 4, gone: 4, rebooted: 4 }, '4031'), 'c10'));
  assert.equal(late.kind, 'confirmed');
  assert.equal(late.evidence?.strength, 'strong');
  // Host faults skipped (no link control): the "depends" rests on the killed process alone — inconclusive.
  const killedOnly = verdictC10(
    strategyFigures(
      [...c10Rows({ killed: 4, gone: 0, rebooted: 0 }), { ...c10Row('host_gone', ''), outcome: 'skipped' }],
      'c10',
    ),
  );
  assert.equal(killedOnly.evidence?.strength, 'inconclusive');
  assert.deepEqual(verdictC10([]).evidence, { n: 'n = 0 trials of a killed process', strength: 'inconclusive' });
});

function c12Row(maxSockets: number, round: string, queue_ms: number, total_ms: number): CsvRow {
  return {
    part: 'c12',
    strategy: `max_sockets=${maxSockets}`,
    fault: round,
    outcome: 'ok',
    reused: round === 'cold' ? '0' : '1',
    queue_ms: String(queue_ms),
    connect_ms: round === 'cold' ? '51' : '',
    total_ms: String(total_ms),
    max_sockets: String(maxSockets),
    concurrency: '8',
  };
}

/** Rounds of 8 concurrent requests: cold and warm at maxSockets 8, warm at maxSockets 2 (which queues 6 of 8). */
function c12Rows(coldRounds: number, warmRounds: number, warmMs = 52): CsvRow[] {
  const out: CsvRow[] = [];
  for (let r = 0; r < coldRounds; r++)
    for (let i = 0; i < 8; i++) out.push(c12Row(8, 'cold', 0, 102.5 + 0.1 * i + 0.05 * r));
  for (let r = 0; r < warmRounds; r++)
    for (let i = 0; i < 8; i++) {
      out.push(c12Row(8, 'warm', 0.3 + 0.01 * i, warmMs + 0.1 * i + 0.05 * r));
      const wait = Math.floor(i / 2) * 51.5 + 0.1 * r;
      out.push(c12Row(2, 'warm', wait, wait + 52));
    }
  return out;
}

test('C12 evidence: Hodges–Lehmann CIs of warm − cold and of the small pool’s extra wait, both must exclude 0', () => {
  const v = verdictC12(poolFigures(c12Rows(2, 4)));
  assert.equal(v.kind, 'confirmed');
  assert.deepEqual(v.evidence, {
    n: 'n = 16 cold + 32 warm requests at maxSockets 8, 32 warm at maxSockets 2',
    strength: 'strong',
  });
  assert.ok((v.numbers.warm_minus_cold_ci_high_ms ?? 0) < 0);
  assert.ok((v.numbers.queue_shift_ci_low_ms ?? 0) > 0);
  assert.match(v.figure, /warm − cold −50\.\d ms \[95 % CI −5\d\.\d ms…−50\.\d ms\]/);
  // One request a case: the same medians, but no CI at all.
  const tiny = verdictC12(
    poolFigures([c12Row(8, 'cold', 0, 102.5), c12Row(8, 'warm', 0.3, 52), c12Row(2, 'warm', 51.5, 103.5)]),
  );
  assert.equal(tiny.kind, 'confirmed');
  assert.deepEqual(tiny.evidence, {
    n: 'n = 1 cold + 1 warm requests at maxSockets 8, 1 warm at maxSockets 2',
    strength: 'inconclusive',
  });
  assert.match(tiny.figure, /too few requests for a 95 % CI/);
  // Both must hold: a clear warm − cold, but one request of the small pool (its wait has no CI).
  const oneQueued = c12Rows(2, 4).filter((r) => r.max_sockets !== '2');
  const half = verdictC12(poolFigures([...oneQueued, c12Row(2, 'warm', 51.5, 103.5)]));
  assert.equal(half.kind, 'confirmed');
  assert.ok((half.numbers.warm_minus_cold_ci_high_ms ?? 0) < 0);
  assert.equal(half.evidence?.strength, 'inconclusive');
  // Warm slower than cold (e.g. a pool that does not keep its sockets): refuted, strong.
  const slow = verdictC12(poolFigures(c12Rows(2, 4, 150)));
  assert.equal(slow.kind, 'refuted');
  assert.equal(slow.evidence?.strength, 'strong');
  assert.equal(verdictC12([]).evidence?.strength, 'inconclusive');
});
