import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeKeyDifference,
  incomparabilities,
  MIN_IN_RUN_CONNECTS,
} from '../../../report/compare/comparability.ts';
import { compareRuns } from '../../../report/compare/compare.ts';
import { joinCases } from '../../../report/compare/join.ts';
import { runCases } from '../../../report/compare/run-cases.ts';
import type { CompareOptions, ReplicationUnit } from '../../../report/compare/types.ts';
import { fakeRun, LAN_KEY, spread, type FakeRunOptions } from './fake-run.ts';

const M = ['total_ms'];
const VALUES = spread(10, 1, 30);
const one = (o: Partial<FakeRunOptions> & { run_id: string }): FakeRunOptions => ({
  cases: [{ mode: 'new', values: VALUES }],
  ...o,
});
/** A run without in-run connects (no witness of its link while it measured). */
const blind = (o: Partial<FakeRunOptions> & { run_id: string }): FakeRunOptions => one({ connect_ms: null, ...o });

function reasons(base: FakeRunOptions[], head: FakeRunOptions[], unit: ReplicationUnit = 'request', threshold_pct = 5) {
  const { cases } = joinCases(
    base.map((o) => runCases(fakeRun(o), M)),
    head.map((o) => runCases(fakeRun(o), M)),
  );
  return cases.map((c) => incomparabilities(c, { threshold_pct, alpha: 0.05, unit }));
}

function rules(
  base: FakeRunOptions[],
  head: FakeRunOptions[],
  unit: ReplicationUnit = 'request',
  threshold_pct = 5,
): string[] {
  return reasons(base, head, unit, threshold_pct).flatMap((list) => list.map((r) => r.rule));
}

test('identical conditions: comparable', () => {
  assert.deepEqual(rules([one({ run_id: 'b' })], [one({ run_id: 'h' })]), []);
});

test('rule: a case present in one run only (never forceable)', () => {
  const r = reasons(
    [
      one({
        run_id: 'b',
        cases: [
          { mode: 'new', values: VALUES },
          { mode: 'resumed', values: VALUES },
        ],
      }),
    ],
    [
      one({
        run_id: 'h',
        cases: [
          { mode: 'new', values: VALUES },
          { mode: 'reused', values: VALUES },
        ],
      }),
    ],
  );
  assert.deepEqual(
    r.map((list) => list.map((x) => [x.rule, x.forceable])),
    [[], [['only_in_base', false]], [['only_in_head', false]]],
  );
});

test('rule: different link backend', () => {
  const [r] = reasons([one({ run_id: 'b', backend: 'tun' })], [one({ run_id: 'h', backend: 'proxy' })]);
  assert.deepEqual(
    r?.map((x) => x.rule),
    ['link_backend'],
  );
  assert.equal(r?.[0]?.detail, 'link backend: tun (base) vs proxy (head)');
  assert.equal(r?.[0]?.forceable, true);
});

test('rule: different profile parameters (meta.profiles[].key), named field by field', () => {
  const [r] = reasons([one({ run_id: 'b' })], [one({ run_id: 'h', key: LAN_KEY.replace('loss=0%', 'loss=1%') })]);
  assert.deepEqual(
    r?.map((x) => x.rule),
    ['profile_params'],
  );
  assert.equal(r?.[0]?.detail, 'profile parameters: loss=0% (base) vs loss=1% (head)');
  assert.equal(describeKeyDifference('a=1;b=2', 'a=1;c=3'), 'base a=1;b=2, head a=1;c=3');
  // not recorded on one side
  assert.deepEqual(rules([one({ run_id: 'b' })], [one({ run_id: 'h', key: null })]), ['profile_params']);
  // not recorded on either side but the same profile name: nothing to hold against them
  assert.deepEqual(rules([one({ run_id: 'b', key: null })], [one({ run_id: 'h', key: null })]), []);
});

test('rule: different congestion control', () => {
  const [r] = reasons([one({ run_id: 'b', cc: 'bbr' })], [one({ run_id: 'h', cc: 'reno' })]);
  assert.deepEqual(
    r?.map((x) => [x.rule, x.detail]),
    [['congestion_control', 'congestion control: bbr (base) vs reno (head)']],
  );
});

test('rule: without an in-run witness, a calibrated RTT beyond 3 × the threshold AND outside each other’s CI', () => {
  const one = (o: Partial<FakeRunOptions> & { run_id: string }): FakeRunOptions => blind(o);
  // +20 %, CIs [1.0, 1.2] and [1.25, 1.4] do not overlap → not comparable
  assert.deepEqual(
    rules([one({ run_id: 'b', rtt: 1.1, rtt_ci: [1.0, 1.2] })], [one({ run_id: 'h', rtt: 1.32, rtt_ci: [1.25, 1.4] })]),
    ['calibrated_rtt'],
  );
  // +20 % but the CIs overlap (a noisy sub-ms calibration) → comparable
  assert.deepEqual(
    rules([one({ run_id: 'b', rtt: 1.1, rtt_ci: [0.9, 1.4] })], [one({ run_id: 'h', rtt: 1.32, rtt_ci: [1.0, 1.5] })]),
    [],
  );
  // +10 %, beyond the threshold but within 3 × it, disjoint CIs → a drift, comparable (the in-run RTT corrects it)
  assert.deepEqual(
    rules(
      [one({ run_id: 'b', rtt: 1.0, rtt_ci: [0.99, 1.01] })],
      [one({ run_id: 'h', rtt: 1.1, rtt_ci: [1.09, 1.11] })],
    ),
    [],
  );
  // no CI recorded: the limit alone decides
  assert.deepEqual(
    rules([one({ run_id: 'b', rtt: 1.0, rtt_ci: null })], [one({ run_id: 'h', rtt: 1.2, rtt_ci: null })]),
    ['calibrated_rtt'],
  );
  // a larger threshold lets the same difference through
  assert.deepEqual(
    rules([one({ run_id: 'b', rtt: 1.0, rtt_ci: null })], [one({ run_id: 'h', rtt: 1.2, rtt_ci: null })], 'request', 7),
    [],
  );
  // not recorded: the rule cannot judge
  assert.deepEqual(rules([one({ run_id: 'b', rtt: null })], [one({ run_id: 'h', rtt: 2 })]), []);
});

test('a calibration off by more than the limit yields to the in-run witness of the same link', () => {
  // The first run on a cold machine: 1.518 ms [1.38, 1.565] vs 1.272 ms [1.259, 1.299] before the runs, while
  // their 300 connects each agreed (as in a local run of the action against nginx, same config both sides).
  const cold = { rtt: 1.518, rtt_ci: [1.38, 1.565] as [number, number] };
  const warm = { rtt: 1.272, rtt_ci: [1.259, 1.299] as [number, number] };
  assert.deepEqual(
    rules([one({ run_id: 'b', ...cold, connect_ms: 1.3 })], [one({ run_id: 'h', ...warm, connect_ms: 1.305 })]),
    [],
  );
  // The same calibrations with the links apart during the runs too: another link.
  assert.deepEqual(
    rules([one({ run_id: 'b', ...cold, connect_ms: 1.5 })], [one({ run_id: 'h', ...warm, connect_ms: 1.25 })]),
    ['in_run_rtt'],
  );
  // Either side without a witness: the calibration judges.
  assert.deepEqual(
    rules([one({ run_id: 'b', ...cold, connect_ms: null })], [one({ run_id: 'h', ...warm, connect_ms: 1.305 })]),
    ['calibrated_rtt'],
  );
  // Several runs a side: three runs cannot make the in-run test significant, so calibrations apart still count.
  const runs = (side: string, cal: typeof cold) =>
    [0, 1, 2].map((i) => one({ run_id: `${side}${i}`, ...cal, connect_ms: 1.3 }));
  assert.deepEqual(rules(runs('b', cold), runs('h', warm), 'run'), ['calibrated_rtt']);
});

test('rule: the link RTT during the runs beyond 3 × the threshold; a smaller drift is corrected, not refused', () => {
  const [r] = reasons([one({ run_id: 'b', connect_ms: 2 })], [one({ run_id: 'h', connect_ms: 2.4 })]);
  assert.deepEqual(
    r?.map((x) => x.rule),
    ['in_run_rtt'],
  );
  assert.match(
    r?.[0]?.detail ?? '',
    /2\.000 ms \(base\) vs 2\.400 ms \(head\) \(\+20\.0 %, beyond the ±15 % \(3 × the threshold\) a drift correction is trusted for\)/,
  );
  assert.deepEqual(rules([one({ run_id: 'b', connect_ms: 2 })], [one({ run_id: 'h', connect_ms: 2.2 })]), []);
  // too few connects to judge a run by
  const few = spread(10, 1, MIN_IN_RUN_CONNECTS - 2);
  assert.deepEqual(
    rules(
      [one({ run_id: 'b', connect_ms: 2, cases: [{ mode: 'new', values: few }] })],
      [one({ run_id: 'h', connect_ms: 3, cases: [{ mode: 'new', values: few }] })],
    ),
    [],
  );
});

test('link drift: one run per side, the head is divided by the ratio of the in-run RTTs before the test', () => {
  const o: CompareOptions = { ...OPTS, metrics: ['total_ms'] };
  const values = spread(10, 0.2, 200);
  // The whole head run is 8 % slower, link included (a busier machine): corrected, no change.
  const base = fakeRun({ run_id: 'b', connect_ms: 2, cases: [{ mode: 'new', values }] });
  const slowMachine = fakeRun({
    run_id: 'h',
    connect_ms: 2.16,
    cases: [{ mode: 'new', values: values.map((v) => v * 1.08) }],
  });
  const drifted = compareRuns([base], [slowMachine], o);
  assert.equal(drifted.rows[0]?.verdict, 'no_change');
  assert.ok(Math.abs((drifted.rows[0]?.link_drift_pct ?? 0) - 8) < 1e-9);
  assert.ok(Math.abs((drifted.rows[0]?.change_pct ?? 1) - 0) < 0.5, `change ${drifted.rows[0]?.change_pct}`);
  assert.match(drifted.rows[0]?.why ?? '', /head corrected for link drift \+8\.0 %/);
  // the head median is shown as measured
  assert.ok(Math.abs((drifted.rows[0]?.head_median ?? 0) - 10.1 * 1.08) < 0.01);
  // The link steady, the case 8 % slower: a regression.
  const slowCode = fakeRun({
    run_id: 'h2',
    connect_ms: 2,
    cases: [{ mode: 'new', values: values.map((v) => v * 1.08) }],
  });
  assert.equal(compareRuns([base], [slowCode], o).rows[0]?.verdict, 'regressed');
  // --force-comparable compares the raw samples: the 8 % is there
  const forced = compareRuns([base], [slowMachine], { ...o, force_comparable: true });
  assert.equal(forced.rows[0]?.link_drift_pct, null);
  assert.equal(forced.rows[0]?.verdict, 'regressed');
});

test('rule: with several runs per side the in-run RTT must differ significantly beyond the threshold', () => {
  // run-to-run wobble of ±20 % that overlaps between sides: comparable
  const wobbly = (side: string, rtts: number[]) => rtts.map((c, i) => one({ run_id: `${side}${i}`, connect_ms: c }));
  assert.deepEqual(rules(wobbly('b', [2, 2.4, 2.8, 3.2]), wobbly('h', [2.2, 2.6, 3.0, 2.1]), 'run'), []);
  // every head run 50 % slower, consistently: not comparable
  assert.deepEqual(
    rules(wobbly('b', [2, 2.05, 2.1, 2.15, 2.2, 2.25, 2.3]), wobbly('h', [3, 3.05, 3.1, 3.15, 3.2, 3.25, 3.3]), 'run'),
    ['in_run_rtt'],
  );
});

const OPTS: CompareOptions = {
  threshold_pct: 5,
  alpha: 0.05,
  metrics: ['total_ms'],
  force_comparable: false,
  allow_not_comparable: false,
  allow_underpowered: false,
  failure_tolerance_pct: 1,
};

test('--force-comparable compares despite forceable differences and lists them; one-sided cases stay out', () => {
  const base = fakeRun({
    run_id: 'b',
    cases: [
      { mode: 'new', values: VALUES },
      { mode: 'resumed', values: VALUES },
    ],
  });
  const head = fakeRun({
    run_id: 'h',
    backend: 'proxy',
    cc: 'reno',
    cases: [{ mode: 'new', values: VALUES.map((v) => v * 1.5) }],
  });
  const plain = compareRuns([base], [head], OPTS);
  assert.deepEqual(
    plain.rows.map((r) => r.verdict),
    ['not_comparable', 'not_comparable'],
  );
  assert.deepEqual(
    plain.not_comparable.map((c) => c.reasons.map((r) => r.rule)),
    [['link_backend', 'congestion_control'], ['only_in_base']],
  );
  assert.equal(plain.forced.length, 0);

  const forced = compareRuns([base], [head], { ...OPTS, force_comparable: true });
  assert.deepEqual(
    forced.rows.map((r) => r.verdict),
    ['regressed', 'not_comparable'],
  );
  assert.deepEqual(
    forced.forced.map((c) => c.reasons.map((r) => r.rule)),
    [['link_backend', 'congestion_control']],
  );
  assert.deepEqual(
    forced.not_comparable.map((c) => c.reasons.map((r) => r.rule)),
    [['only_in_base']],
  );
});

test('no link delay (the loopback profile: both sides below MIN_LINK_DELAY_MS): endpoint noise is neither another link nor a drift to correct', () => {
  // The A/A pair that motivated it: loopback connects 0.267 vs 0.412 ms (+54.8 %), disjoint CIs.
  assert.deepEqual(
    rules(
      [one({ run_id: 'b', rtt: 0.267, rtt_ci: [0.25, 0.28] })],
      [one({ run_id: 'h', rtt: 0.412, rtt_ci: [0.4, 0.43] })],
    ),
    [],
  );
  assert.deepEqual(rules([one({ run_id: 'b', connect_ms: 0.27 })], [one({ run_id: 'h', connect_ms: 0.41 })]), []);
  const o: CompareOptions = { ...OPTS, metrics: ['total_ms'] };
  const values = spread(1, 0.02, 200);
  const base = fakeRun({ run_id: 'b', connect_ms: 0.27, cases: [{ mode: 'new', values }] });
  const slower = fakeRun({
    run_id: 'h',
    connect_ms: 0.41,
    cases: [{ mode: 'new', values: values.map((v) => v * 1.5) }],
  });
  const res = compareRuns([base], [slower], o);
  assert.equal(res.rows[0]?.link_drift_pct, null, 'no correction without a link');
  assert.equal(res.rows[0]?.verdict, 'regressed', 'a 50 % slower head at loopback is a regression, not a drift');
  // One side on a real link is still another link, by its calibration and by its connects.
  assert.deepEqual(
    rules(
      [blind({ run_id: 'b', rtt: 0.27, rtt_ci: [0.25, 0.28] })],
      [blind({ run_id: 'h', rtt: 1.27, rtt_ci: [1.2, 1.3] })],
    ),
    ['calibrated_rtt'],
  );
  assert.deepEqual(
    rules(
      [one({ run_id: 'b', rtt: 0.27, rtt_ci: [0.25, 0.28], connect_ms: 0.27 })],
      [one({ run_id: 'h', rtt: 1.27, rtt_ci: [1.2, 1.3], connect_ms: 1.27 })],
    ),
    ['in_run_rtt'],
  );
});

test('no drift correction on a profile configured without delay, even when both sides measured over 0.5 ms', () => {
  const o: CompareOptions = { ...OPTS, metrics: ['total_ms'] };
  const values = spread(1, 0.02, 200);
  const mk = (id: string, connect_ms: number, scale: number) => {
    const run = fakeRun({ run_id: id, connect_ms, cases: [{ mode: 'new', values: values.map((v) => v * scale) }] });
    for (const p of run.meta.profiles as Array<Record<string, unknown>>)
      p.key = 'rtt=0ms;jitter=0ms;loss=0%;rate=inf;queue=default;mtu=1500';
    return run;
  };
  // A busy head: connects 0.52 → 0.58 ms (+11.5 %, under the 15 % limit) and every case 11.5 % slower.
  const res = compareRuns([mk('b', 0.52, 1)], [mk('h', 0.58, 1.115)], o);
  assert.equal(res.rows[0]?.link_drift_pct, null);
  assert.equal(res.rows[0]?.verdict, 'regressed');
});
