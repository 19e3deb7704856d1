import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../lib/errors.ts';
import { compareRuns, exitCodeOf, replicationUnit } from '../../../report/compare/compare.ts';
import { renderMarkdown } from '../../../report/compare/markdown.ts';
import type { CompareOptions } from '../../../report/compare/types.ts';
import { fakeRun, spread } from './fake-run.ts';

const OPTS: CompareOptions = {
  threshold_pct: 5,
  alpha: 0.05,
  metrics: ['ttfb_ms', 'total_ms'],
  force_comparable: false,
  allow_not_comparable: false,
  allow_underpowered: false,
  failure_tolerance_pct: 1,
};

test('unit of replication: requests with one run per side, runs otherwise', () => {
  assert.equal(replicationUnit(1, 1), 'request');
  assert.equal(replicationUnit(3, 1), 'run');
  assert.equal(replicationUnit(1, 2), 'run');
});

test('one run per side: requests are the samples (n = requests, warm-ups and failures excluded)', () => {
  const base = fakeRun({ run_id: 'b', cases: [{ mode: 'new', values: spread(10, 1, 30), errors: 3 }] });
  const head = fakeRun({ run_id: 'h', cases: [{ mode: 'new', values: spread(12, 1, 30) }] });
  const res = compareRuns([base], [head], OPTS);
  assert.equal(res.unit, 'request');
  assert.equal(res.min_p_reachable, null);
  const total = res.rows.find((r) => r.metric === 'total_ms');
  assert.ok(total);
  assert.equal(total.n_base, 30);
  assert.equal(total.errors_base, 3);
  assert.equal(total.verdict, 'regressed');
  // +2 ms on a median of 10.483: +19.1 %
  assert.ok(Math.abs((total.shift_ms ?? 0) - 2) < 1e-9);
  assert.ok(Math.abs((total.change_pct ?? 0) - (2 / 10.483333333333333) * 100) < 1e-6);
  assert.equal(exitCodeOf(res), 1);
});

test('several runs: each run median is one sample, so many requests of few runs cannot make a verdict', () => {
  // Every run has 200 requests, head runs are 20 % slower: with requests as the unit that would be
  // overwhelmingly significant; with 3 runs per side the smallest p is 0.1 and nothing can be called.
  const runs = (side: string, from: number) =>
    [0, 1, 2].map((i) =>
      fakeRun({ run_id: `${side}${i}`, cases: [{ mode: 'new', values: spread(from + i * 0.1, 1, 200) }] }),
    );
  const res = compareRuns(runs('b', 10), runs('h', 12), OPTS);
  assert.equal(res.unit, 'run');
  const total = res.rows.find((r) => r.metric === 'total_ms');
  assert.equal(total?.n_base, 3);
  assert.equal(total?.n_head, 3);
  assert.equal(total?.verdict, 'no_change');
  assert.ok(Math.abs((res.min_p_reachable ?? 0) - 0.1) < 1e-12);
  // …so it cannot say "no change" either: underpowered, exit 2, unless allowed
  assert.equal(res.gate.verdict, 'underpowered');
  assert.equal(total?.detectable_change_pct, null);
  assert.equal(exitCodeOf(res), 2);
  assert.equal(exitCodeOf(compareRuns(runs('b', 10), runs('h', 12), { ...OPTS, allow_underpowered: true })), 0);
});

test('several runs: enough consistent runs call the regression', () => {
  const runs = (side: string, from: number) =>
    Array.from({ length: 8 }, (_, i) =>
      fakeRun({ run_id: `${side}${i}`, cases: [{ mode: 'new', values: spread(from + i * 0.05, 1, 20) }] }),
    );
  const res = compareRuns(runs('b', 10), runs('h', 13), OPTS);
  assert.deepEqual(
    res.rows.map((r) => r.verdict),
    ['regressed', 'regressed'],
  );
  // run medians differ by exactly 3 ms in every pairing position: HL shift 3 ms
  assert.ok(Math.abs((res.rows[1]?.shift_ms ?? 0) - 3) < 1e-9);
});

test('a metric without successful samples on one side is not comparable, not "no change"', () => {
  const base = fakeRun({ run_id: 'b', cases: [{ mode: 'new', values: spread(10, 1, 10) }] });
  const head = fakeRun({ run_id: 'h', cases: [{ mode: 'new', values: [], errors: 10 }] });
  const res = compareRuns([base], [head], OPTS);
  assert.deepEqual(
    res.rows.map((r) => [r.verdict, r.reason]),
    [
      ['not_comparable', 'no_samples'],
      ['not_comparable', 'no_samples'],
    ],
  );
  assert.match(res.rows[0]?.why ?? '', /no successful ttfb_ms samples in head \(10 failed\)/);
  assert.match(
    renderMarkdown(res),
    /### Failed requests, base → head\n\n- `handshake\/protocol=h1\/security=none\/conn_mode=new\/size_bytes=100\/profile=lan`: 0 \(base\) → 10 \(head\) failed/,
  );
  assert.equal(exitCodeOf(res), 1);
});

test('bad input: the same run twice, a run without samples, a non-numeric metric cell', () => {
  const a = fakeRun({ run_id: 'same', cases: [{ mode: 'new', values: [1, 2, 3] }] });
  assert.throws(
    () => compareRuns([a], [a], OPTS),
    (e) => e instanceof UserError && /run same is given twice/.test(e.message),
  );
  const empty = { ...fakeRun({ run_id: 'e', cases: [] }), samples: [] };
  assert.throws(
    () => compareRuns([empty], [a], OPTS),
    (e) => e instanceof UserError && /has no samples .*nothing to compare against/.test(e.message),
  );
  const bad = fakeRun({ run_id: 'bad', cases: [{ mode: 'new', values: [1, 2, 3] }] });
  const row = bad.samples[2];
  assert.ok(row);
  row.total_ms = 'fast';
  assert.throws(
    () => compareRuns([bad], [a], OPTS),
    (e) => e instanceof UserError && /line 4: total_ms "fast" is not a number/.test(e.message),
  );
  const huge = fakeRun({ run_id: 'huge', cases: [{ mode: 'new', values: [1, 2, 3] }] });
  const hrow = huge.samples[2];
  assert.ok(hrow);
  hrow.total_ms = '1e308';
  assert.throws(
    () => compareRuns([huge], [a], OPTS),
    (e) => e instanceof UserError && /total_ms 1e308 is not a plausible time in ms/.test(e.message),
  );
  // an older run without the column (load-run.ts gives empty cells) cannot be compared on it
  const old = fakeRun({ run_id: 'old', cases: [{ mode: 'new', values: [1, 2, 3] }] });
  for (const r of old.samples) r.ttfb_ms = '';
  assert.throws(
    () => compareRuns([old], [a], OPTS),
    (e) => e instanceof UserError && /no ttfb_ms values in any successful request/.test(e.message),
  );
  assert.doesNotThrow(() => compareRuns([old], [a], { ...OPTS, metrics: ['total_ms'] }));
});

test('a metric the base has no samples of either (a case that records no ttfb, or fails on purpose) is listed, not blocking', () => {
  const noTtfb = (run: ReturnType<typeof fakeRun>): ReturnType<typeof fakeRun> => {
    for (const r of run.samples) if (r.conn_mode === 'reused') r.ttfb_ms = '';
    return run;
  };
  const mk = (id: string) =>
    noTtfb(
      fakeRun({
        run_id: id,
        cases: [
          { mode: 'new', values: spread(10, 1, 40) },
          { mode: 'reused', values: spread(5, 1, 40) },
        ],
      }),
    );
  const res = compareRuns([mk('b')], [mk('h')], OPTS);
  const reusedTtfb = res.rows.find((r) => r.key.includes('conn_mode=reused') && r.metric === 'ttfb_ms');
  assert.equal(reusedTtfb?.reason, 'not_measured');
  assert.match(reusedTtfb?.why ?? '', /no successful ttfb_ms samples in base, nor in head/);
  assert.ok(!res.gate.findings.some((f) => f.rule === 'not_comparable'), JSON.stringify(res.gate.findings));
  assert.equal(exitCodeOf(res), 0);
  // The head losing what the base measured still blocks.
  const lost = fakeRun({
    run_id: 'h2',
    cases: [
      { mode: 'new', values: spread(10, 1, 40) },
      { mode: 'reused', values: spread(5, 1, 40) },
    ],
  });
  const base = fakeRun({
    run_id: 'b2',
    cases: [
      { mode: 'new', values: spread(10, 1, 40) },
      { mode: 'reused', values: spread(5, 1, 40) },
    ],
  });
  const res2 = compareRuns([base], [noTtfb(lost)], OPTS);
  assert.equal(
    res2.rows.find((r) => r.key.includes('conn_mode=reused') && r.metric === 'ttfb_ms')?.reason,
    'no_samples',
  );
  assert.equal(exitCodeOf(res2), 1);
});

test('requests sent as one batch (a page) count once, as their median: 40 correlated requests are not 40 samples', () => {
  // 6 pages of 20 requests; within a page the requests move together (one loss recovery delays them all).
  const pages = (id: string, offsets: readonly number[]) => {
    const run = fakeRun({
      run_id: id,
      cases: [{ mode: 'new', values: offsets.flatMap((o) => spread(10 + o, 0.1, 20)) }],
    });
    run.samples.filter((r) => r.warmup === '0').forEach((r, i) => (r.batch_id = `p${Math.floor(i / 20)}`));
    return run;
  };
  const res = compareRuns([pages('b', [0, 2, 4, 0, 2, 4])], [pages('h', [1, 3, 5, 1, 3, 5])], OPTS);
  const total = res.rows.find((r) => r.metric === 'total_ms');
  assert.equal(total?.n_base, 6, 'one sample per page');
  assert.equal(total?.n_head, 6);
  // Per request (120 vs 120) the +1 ms page offsets would be "significant"; per page they are not.
  assert.notEqual(total?.verdict, 'regressed');
});
