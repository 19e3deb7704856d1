import { test } from 'node:test';
import assert from 'node:assert/strict';
import { c8Rates, verdictC7, verdictC8 } from '../../../../report/sections/lifecycle/analysis.ts';
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
