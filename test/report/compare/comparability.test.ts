import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeKeyDifference, incomparabilities, MIN_IN_RUN_CONNECTS } from '../../../report/compare/comparability.ts';
import { compareRuns } from '../../../report/compare/compare.ts';
import { joinCases } from '../../../report/compare/join.ts';
import { runCases } from '../../../report/compare/run-cases.ts';
import type { CompareOptions, ReplicationUnit } from '../../../report/compare/types.ts';
import { fakeRun, LAN_KEY, spread, type FakeRunOptions } from './fake-run.ts';

const M = ['total_ms'];
const VALUES = spread(10, 1, 30);
const one = (o: Partial<FakeRunOptions> & { run_id: string }): FakeRunOptions => ({ cases: [{ mode: 'new', values: VALUES }], ...o });

function reasons(base: FakeRunOptions[], head: FakeRunOptions[], unit: ReplicationUnit = 'request', threshold_pct = 5) {
  const { cases } = joinCases(
    base.map((o) => runCases(fakeRun(o), M)),
    head.map((o) => runCases(fakeRun(o), M)),
  );
  return cases.map((c) => incomparabilities(c, { threshold_pct, alpha: 0.05, unit }));
}

function rules(base: FakeRunOptions[], head: FakeRunOptions[], unit: ReplicationUnit = 'request', threshold_pct = 5): string[] {
  return reasons(base, head, unit, threshold_pct).flatMap((list) => list.map((r) => r.rule));
}

test('identical conditions: comparable', () => {
  assert.deepEqual(rules([one({ run_id: 'b' })], [one({ run_id: 'h' })]), []);
});

test('rule: a case present in one run only (never forceable)', () => {
  const r = reasons([one({ run_id: 'b', cases: [{ mode: 'new', values: VALUES }, { mode: 'resumed', values: VALUES }] })], [one({ run_id: 'h', cases: [{ mode: 'new', values: VALUES }, { mode: 'reused', values: VALUES }] })]);
  assert.deepEqual(r.map((list) => list.map((x) => [x.rule, x.forceable])), [[], [['only_in_base', false]], [['only_in_head', false]]]);
});

test('rule: different link backend', () => {
  const [r] = reasons([one({ run_id: 'b', backend: 'tun' })], [one({ run_id: 'h', backend: 'proxy' })]);
  assert.deepEqual(r?.map((x) => x.rule), ['link_backend']);
  assert.equal(r?.[0]?.detail, 'link backend: tun (base) vs proxy (head)');
  assert.equal(r?.[0]?.forceable, true);
});

test('rule: different profile parameters (meta.profiles[].key), named field by field', () => {
  const [r] = reasons([one({ run_id: 'b' })], [one({ run_id: 'h', key: LAN_KEY.replace('loss=0%', 'loss=1%') })]);
  assert.deepEqual(r?.map((x) => x.rule), ['profile_params']);
  assert.equal(r?.[0]?.detail, 'profile parameters: loss=0% (base) vs loss=1% (head)');
  assert.equal(describeKeyDifference('a=1;b=2', 'a=1;c=3'), 'base a=1;b=2, head a=1;c=3');
  // not recorded on one side
  assert.deepEqual(rules([one({ run_id: 'b' })], [one({ run_id: 'h', key: null })]), ['profile_params']);
  // not recorded on either side but the same profile name: nothing to hold against them
  assert.deepEqual(rules([one({ run_id: 'b', key: null })], [one({ run_id: 'h', key: null })]), []);
});

test('rule: different congestion control', () => {
  const [r] = reasons([one({ run_id: 'b', cc: 'bbr' })], [one({ run_id: 'h', cc: 'reno' })]);
  assert.deepEqual(r?.map((x) => [x.rule, x.detail]), [['congestion_control', 'congestion control: bbr (base) vs reno (head)']]);
});

test('rule: calibrated RTT beyond the threshold AND outside each other’s CI', () => {
  // +20 %, CIs [1.0, 1.2] and [1.25, 1.4] do not overlap → not comparable
  assert.deepEqual(rules([one({ run_id: 'b', rtt: 1.1, rtt_ci: [1.0, 1.2] })], [one({ run_id: 'h', rtt: 1.32, rtt_ci: [1.25, 1.4] })]), ['calibrated_rtt']);
  // +20 % but the CIs overlap (a noisy sub-ms calibration) → comparable
  assert.deepEqual(rules([one({ run_id: 'b', rtt: 1.1, rtt_ci: [0.9, 1.4] })], [one({ run_id: 'h', rtt: 1.32, rtt_ci: [1.0, 1.5] })]), []);
  // +3 %, within the 5 % threshold, disjoint CIs → comparable
  assert.deepEqual(rules([one({ run_id: 'b', rtt: 1.0, rtt_ci: [0.99, 1.01] })], [one({ run_id: 'h', rtt: 1.03, rtt_ci: [1.02, 1.04] })]), []);
  // no CI recorded: the threshold alone decides
  assert.deepEqual(rules([one({ run_id: 'b', rtt: 1.0, rtt_ci: null })], [one({ run_id: 'h', rtt: 1.1, rtt_ci: null })]), ['calibrated_rtt']);
  // a larger threshold lets the same difference through
  assert.deepEqual(rules([one({ run_id: 'b', rtt: 1.0, rtt_ci: null })], [one({ run_id: 'h', rtt: 1.1, rtt_ci: null })], 'request', 15), []);
  // not recorded: the rule cannot judge
  assert.deepEqual(rules([one({ run_id: 'b', rtt: null })], [one({ run_id: 'h', rtt: 2 })]), []);
});

test('rule: the link RTT during the runs (connects of new connections) beyond the threshold', () => {
  const [r] = reasons([one({ run_id: 'b', connect_ms: 2 })], [one({ run_id: 'h', connect_ms: 2.4 })]);
  assert.deepEqual(r?.map((x) => x.rule), ['in_run_rtt']);
  assert.match(r?.[0]?.detail ?? '', /2\.000 ms \(base\) vs 2\.400 ms \(head\) \(\+20\.0 %, beyond ±5 %\)/);
  assert.deepEqual(rules([one({ run_id: 'b', connect_ms: 2 })], [one({ run_id: 'h', connect_ms: 2.08 })]), []);
  // too few connects to judge a run by
  const few = spread(10, 1, MIN_IN_RUN_CONNECTS - 2);
  assert.deepEqual(rules([one({ run_id: 'b', connect_ms: 2, cases: [{ mode: 'new', values: few }] })], [one({ run_id: 'h', connect_ms: 3, cases: [{ mode: 'new', values: few }] })]), []);
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

const OPTS: CompareOptions = { threshold_pct: 5, alpha: 0.05, metrics: ['total_ms'], force_comparable: false };

test('--force-comparable compares despite forceable differences and lists them; one-sided cases stay out', () => {
  const base = fakeRun({ run_id: 'b', cases: [{ mode: 'new', values: VALUES }, { mode: 'resumed', values: VALUES }] });
  const head = fakeRun({ run_id: 'h', backend: 'proxy', cc: 'reno', cases: [{ mode: 'new', values: VALUES.map((v) => v * 1.5) }] });
  const plain = compareRuns([base], [head], OPTS);
  assert.deepEqual(plain.rows.map((r) => r.verdict), ['not_comparable', 'not_comparable']);
  assert.deepEqual(plain.not_comparable.map((c) => c.reasons.map((r) => r.rule)), [['link_backend', 'congestion_control'], ['only_in_base']]);
  assert.equal(plain.forced.length, 0);

  const forced = compareRuns([base], [head], { ...OPTS, force_comparable: true });
  assert.deepEqual(forced.rows.map((r) => r.verdict), ['regressed', 'not_comparable']);
  assert.deepEqual(forced.forced.map((c) => c.reasons.map((r) => r.rule)), [['link_backend', 'congestion_control']]);
  assert.deepEqual(forced.not_comparable.map((c) => c.reasons.map((r) => r.rule)), [['only_in_base']]);
});
