import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRuns, exitCodeOf } from '../../../report/compare/compare.ts';
import { failureFindings } from '../../../report/compare/gate.ts';
import { renderJson } from '../../../report/compare/json.ts';
import { renderMarkdown } from '../../../report/compare/markdown.ts';
import type { CompareOptions, CompareResult, GateRule } from '../../../report/compare/types.ts';
import { fakeRun, spread, type FakeCase } from './fake-run.ts';

const OPTS: CompareOptions = {
  threshold_pct: 5,
  alpha: 0.05,
  metrics: ['total_ms'],
  force_comparable: false,
  allow_not_comparable: false,
  allow_underpowered: false,
  failure_tolerance_pct: 1,
};

/** Three cases of 60 requests with a 2 % spread: enough power to catch 10 %. */
function cases(scale = 1, n = 60): FakeCase[] {
  return ['new', 'reused', 'server_close'].map((mode, i) => ({
    mode,
    values: spread((10 + i) * scale, 0.2 * scale, n),
  }));
}

function rules(res: CompareResult, blockingOnly = true): GateRule[] {
  return res.gate.findings.filter((f) => !blockingOnly || f.blocking).map((f) => f.rule);
}

test('gate: an A/A pair with power passes (exit 0), and says what it can catch', () => {
  const res = compareRuns([fakeRun({ run_id: 'b', cases: cases() })], [fakeRun({ run_id: 'h', cases: cases() })], OPTS);
  assert.equal(res.gate.verdict, 'pass');
  assert.deepEqual(res.gate.findings, []);
  assert.equal(exitCodeOf(res), 0);
  assert.ok(
    (res.gate.power.median_detectable_pct ?? Infinity) < 10,
    `detectable ${res.gate.power.median_detectable_pct}`,
  );
  assert.match(renderMarkdown(res), /### Gate: ✅ \*\*pass\*\* \(exit 0\)/);
});

test('gate: a head whose every request failed fails, one row per case with the figure', () => {
  const failed = ['new', 'reused', 'server_close'].map((mode) => ({ mode, values: [], errors: 60 }));
  const res = compareRuns([fakeRun({ run_id: 'b', cases: cases() })], [fakeRun({ run_id: 'h', cases: failed })], OPTS);
  assert.equal(exitCodeOf(res), 1);
  const failures = res.gate.findings.filter((f) => f.rule === 'failures');
  assert.equal(failures.length, 3);
  assert.match(
    failures[0]?.figure ?? '',
    /^60 of 60 requests failed in head \(100\.0 %\) vs 0 of 60 in base \(0\.0 %\): \+100\.0 %, tolerance 1\.0 %; first: timeout$/,
  );
  // nothing was tested, so nothing can be called unchanged either
  assert.ok(rules(res).includes('nothing_compared'));
  const md = renderMarkdown(res);
  assert.match(
    md,
    /\| more failures \| yes \| `handshake\/protocol=h1\/security=none\/conn_mode=new\/size_bytes=100\/profile=lan` \| 60 of 60 requests failed/,
  );
});

test('gate: failures within the tolerance pass; beyond it fail; cases that measure failures are left out', () => {
  const withErrors = (errors: number): FakeCase[] => cases().map((c, i) => (i === 0 ? { ...c, errors } : c));
  const base = fakeRun({ run_id: 'b', cases: cases(1, 200) });
  const head = (errors: number, outcome = false) =>
    fakeRun({
      run_id: `h${errors}${outcome}`,
      cases: withErrors(errors).map((c) => ({ ...c, values: spread(c.values[0] ?? 10, 0.2, 200) })),
      failure_is_outcome: outcome,
    });
  assert.deepEqual(rules(compareRuns([base], [head(1)], OPTS)), [], '1 of 201 (0.5 %) is within 1 %');
  assert.deepEqual(rules(compareRuns([base], [head(3)], OPTS)), ['failures'], '3 of 203 (1.5 %) is beyond 1 %');
  assert.deepEqual(
    rules(compareRuns([base], [head(3)], { ...OPTS, failure_tolerance_pct: 2 })),
    [],
    '--failure-tolerance 2%',
  );
  const outcomeBase = fakeRun({ run_id: 'bo', cases: cases(1, 200), failure_is_outcome: true });
  assert.deepEqual(
    rules(compareRuns([outcomeBase], [head(50, true)], OPTS)),
    [],
    'failure_is_outcome in base: the errors are the measurement',
  );
  // …but the base defines what a case measures: a head cannot exempt itself
  assert.deepEqual(rules(compareRuns([base], [head(50, true)], OPTS)), ['failures']);
  // shares, not counts: base 10 of 1010 (1.0 %), head 9 of 209 (4.3 %) fails though it lost fewer requests
  const big = fakeRun({ run_id: 'big', cases: [{ mode: 'new', values: spread(10, 0.2, 1000), errors: 10 }] });
  const small = fakeRun({ run_id: 'small', cases: [{ mode: 'new', values: spread(10, 0.2, 200), errors: 9 }] });
  assert.deepEqual(rules(compareRuns([big], [small], OPTS)), ['failures']);
  // the rule on its own: more failures in base than head never fail
  assert.deepEqual(
    failureFindings(
      [
        {
          key: 'k',
          scenario: 's',
          in_base: true,
          in_head: true,
          requests_base: 10,
          errors_base: 5,
          requests_head: 10,
          errors_head: 1,
          first_error_head: '',
          failure_is_outcome: false,
        },
      ],
      1,
    ),
    [],
  );
});

test('gate: a head that lost cases fails, even with --allow-not-comparable', () => {
  const base = fakeRun({ run_id: 'b', cases: cases() });
  const head = fakeRun({ run_id: 'h', cases: cases().slice(0, 2) });
  for (const allow of [false, true]) {
    const res = compareRuns([base], [head], { ...OPTS, allow_not_comparable: allow });
    assert.deepEqual(rules(res), ['lost_cases']);
    assert.equal(exitCodeOf(res), 1);
    assert.match(res.gate.findings[0]?.figure ?? '', /in base, missing from head: handshake\/.*conn_mode=server_close/);
  }
});

test('gate: a head killed mid-run (meta status running) or ended otherwise fails, whatever it measured', () => {
  const base = fakeRun({ run_id: 'b', cases: cases() });
  const killed = compareRuns([base], [fakeRun({ run_id: 'h', status: 'running', cases: cases().slice(0, 1) })], OPTS);
  assert.deepEqual(rules(killed), ['run_status', 'lost_cases']);
  assert.match(killed.gate.findings[0]?.figure ?? '', /still "running" in meta\.json: killed, or not finished/);
  const empty = { ...fakeRun({ run_id: 'h2', status: 'running', cases: [] }), samples: [] };
  assert.deepEqual(rules(compareRuns([base], [empty], OPTS)), ['run_status', 'lost_cases', 'nothing_compared']);
  for (const status of ['errored', 'aborted', null]) {
    const res = compareRuns([base], [fakeRun({ run_id: `h-${status}`, status, cases: cases() })], OPTS);
    assert.deepEqual(rules(res), ['run_status'], String(status));
    assert.equal(exitCodeOf(res), 1);
  }
  // a base that did not complete is no reference either
  const res = compareRuns(
    [fakeRun({ run_id: 'b2', status: 'aborted', cases: cases() })],
    [fakeRun({ run_id: 'h3', cases: cases() })],
    OPTS,
  );
  assert.deepEqual(rules(res), ['run_status']);
  assert.match(res.gate.findings[0]?.subject ?? '', /^base run b2$/);
});

test('gate: not comparable fails unless --allow-not-comparable; with nothing left to compare it still fails', () => {
  const base = fakeRun({ run_id: 'b', cases: cases() });
  const head = fakeRun({ run_id: 'h', cc: 'reno', cases: cases() });
  const res = compareRuns([base], [head], OPTS);
  assert.deepEqual(rules(res), ['not_comparable', 'nothing_compared']);
  assert.match(res.gate.findings[0]?.figure ?? '', /congestion control: bbr \(base\) vs reno \(head\)/);
  const allowed = compareRuns([base], [head], { ...OPTS, allow_not_comparable: true });
  assert.deepEqual(rules(allowed), ['nothing_compared']);
  assert.deepEqual(rules(allowed, false), ['not_comparable', 'nothing_compared']);
  // one comparable case beside a not-comparable one: allowed, the rest is tested and passes
  const mixedBase = fakeRun({ run_id: 'b2', cases: cases() });
  const mixedHead = fakeRun({ run_id: 'h2', cases: [...cases(), { mode: 'resumed', values: spread(12, 0.2, 60) }] });
  const mixed = compareRuns([mixedBase], [mixedHead], { ...OPTS, allow_not_comparable: true });
  assert.equal(exitCodeOf(mixed), 0);
  assert.equal(exitCodeOf(compareRuns([mixedBase], [mixedHead], OPTS)), 1);
});

test('gate: two --quick-sized runs (3 samples per case) are underpowered: exit 2 and the advice; allowed: exit 0', () => {
  const quick = (id: string) => fakeRun({ run_id: id, cases: cases(1, 3) });
  const res = compareRuns([quick('b')], [quick('h')], OPTS);
  assert.equal(res.gate.verdict, 'underpowered');
  assert.equal(exitCodeOf(res), 2);
  const f = res.gate.findings.find((x) => x.rule === 'underpowered');
  assert.match(
    f?.figure ?? '',
    /^underpowered: 3 samples per case catch no change at all \(median\), not the 10 % \(twice the threshold\) a gate must; 3 comparisons can never be significant at these sample counts, whatever they measure: handshake\/.* \(n = 3 \/ 3\);.*; measure both sides with `npm run bench -- --ci`/,
  );
  assert.match(renderMarkdown(res), /### Gate: ⚠️ \*\*underpowered\*\* \(exit 2\)/);
  const allowed = compareRuns([quick('b')], [quick('h')], { ...OPTS, allow_underpowered: true });
  assert.equal(exitCodeOf(allowed), 0);
  assert.equal(allowed.gate.findings[0]?.blocking, false);
});

test('gate: a regression fails even when the rest is underpowered (a change found is found)', () => {
  const base = fakeRun({ run_id: 'b', cases: [...cases(1, 3), { mode: 'resumed', values: spread(10, 0.2, 60) }] });
  const head = fakeRun({ run_id: 'h', cases: [...cases(1, 3), { mode: 'resumed', values: spread(13, 0.2, 60) }] });
  const res = compareRuns([base], [head], OPTS);
  assert.equal(res.gate.verdict, 'fail');
  assert.deepEqual(rules(res), ['regression']);
  assert.ok(rules(res, false).includes('underpowered'));
  assert.equal(exitCodeOf(res), 1);
});

test('compare.json carries the verdict, the exit code, the reasons and every case', () => {
  const failed = cases().map((c) => ({ ...c, values: [], errors: 60 }));
  const res = compareRuns([fakeRun({ run_id: 'b', cases: cases() })], [fakeRun({ run_id: 'h', cases: failed })], OPTS);
  const doc = JSON.parse(renderJson(res)) as Record<string, unknown>;
  assert.equal(doc.schema, 'keepalive-bench/compare@1');
  assert.equal(doc.verdict, 'fail');
  assert.equal(doc.exit_code, 1);
  assert.deepEqual(
    (doc.reasons as Array<{ rule: string }>).map((r) => r.rule),
    ['failures', 'failures', 'failures', 'not_comparable', 'nothing_compared'],
  );
  assert.ok(Array.isArray(doc.cases) && doc.cases.length === 3);
  const first = (doc.cases as Array<Record<string, unknown>>)[0];
  assert.equal(first?.errors_head, 60);
  assert.equal(first?.verdict, 'not_comparable');
});

test('gate: a metric one side has no samples of is a comparison that did not happen: not comparable, blocking', () => {
  const base = fakeRun({ run_id: 'b', cases: cases() });
  // the head's new-connection case has only its warm-up row: nothing measured, nothing failed
  const head = fakeRun({ run_id: 'h', cases: cases().map((c, i) => (i === 0 ? { ...c, values: [] } : c)) });
  const res = compareRuns([base], [head], OPTS);
  const nc = res.gate.findings.filter((f) => f.rule === 'not_comparable');
  assert.equal(nc.length, 1);
  assert.match(nc[0]?.figure ?? '', /no successful total_ms samples in head/);
  assert.equal(exitCodeOf(res), 1);
  assert.equal(exitCodeOf(compareRuns([base], [head], { ...OPTS, allow_not_comparable: true })), 0);
});

test('gate: a corrected link drift beyond the threshold is listed, not blocking', () => {
  const values = spread(10, 0.2, 200);
  const base = fakeRun({ run_id: 'b', connect_ms: 2, cases: [{ mode: 'new', values }] });
  const head = fakeRun({
    run_id: 'h',
    connect_ms: 2.16,
    cases: [{ mode: 'new', values: values.map((v) => v * 1.08) }],
  });
  const res = compareRuns([base], [head], OPTS);
  assert.deepEqual(
    res.gate.findings.map((f) => [f.rule, f.blocking]),
    [['link_drift', false]],
  );
  assert.match(res.gate.findings[0]?.figure ?? '', /differed by \+8\.0 % from the base's/);
  assert.equal(exitCodeOf(res), 0);
});

test('gate: a few comparisons that can never be significant make it underpowered, even among well-powered ones', () => {
  // 3 well-powered cases and one of 2 runs-worth of pages (2 samples a side: smallest p 0.33 ≥ α).
  const run = (id: string) =>
    fakeRun({ run_id: id, cases: [...cases(1, 60), { mode: 'resumed', values: spread(10, 0.2, 2) }] });
  const res = compareRuns([run('b')], [run('h')], OPTS);
  assert.equal(res.gate.power.weak * 2 < res.gate.power.tested, true, 'a minority of weak rows');
  assert.deepEqual(res.gate.power.untestable, [
    'handshake/protocol=h1/security=none/conn_mode=resumed/size_bytes=100/profile=lan total_ms (n = 2 / 2)',
  ]);
  assert.equal(res.gate.verdict, 'underpowered');
  assert.equal(exitCodeOf(res), 2);
});

test('gate: a base whose requests all failed by accident measured nothing: blocking, not "not measured"', () => {
  const base = fakeRun({ run_id: 'b', cases: [...cases(1, 60), { mode: 'resumed', values: [], errors: 20 }] });
  const head = fakeRun({ run_id: 'h', cases: [...cases(1, 60), { mode: 'resumed', values: [], errors: 20 }] });
  const res = compareRuns([base], [head], OPTS);
  const row = res.rows.find((r) => r.key.includes('conn_mode=resumed') && r.metric === 'total_ms');
  assert.equal(row?.reason, 'no_samples');
  assert.match(row?.why ?? '', /no successful total_ms samples in base \(20 failed\)/);
  assert.equal(exitCodeOf(res), 1);
  // The same failures as the case's outcome (failure_is_outcome) are the failure rule's: not blocking here.
  const onPurpose = (id: string) =>
    fakeRun({
      run_id: id,
      failure_is_outcome: true,
      cases: [{ mode: 'resumed', values: [], errors: 20 }, ...cases(1, 60)],
    });
  const res2 = compareRuns([onPurpose('b2')], [onPurpose('h2')], OPTS);
  assert.equal(
    res2.rows.find((r) => r.key.includes('conn_mode=resumed') && r.metric === 'total_ms')?.reason,
    'not_measured',
  );
});
