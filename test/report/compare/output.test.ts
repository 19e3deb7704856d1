import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { loadRun } from '../../../report/load-run.ts';
import { compareRuns } from '../../../report/compare/compare.ts';
import { COMPARE_COLUMNS, renderCsv } from '../../../report/compare/csv.ts';
import { caseLabel, escapeHtml, renderHtml } from '../../../report/compare/html.ts';
import { renderMarkdown } from '../../../report/compare/markdown.ts';
import type { CompareOptions } from '../../../report/compare/types.ts';
import { fakeRun, spread } from './fake-run.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const OPTS: CompareOptions = {
  threshold_pct: 5,
  alpha: 0.05,
  metrics: ['ttfb_ms', 'total_ms'],
  force_comparable: false,
  allow_not_comparable: false,
  allow_underpowered: false,
  failure_tolerance_pct: 1,
};

function fixtureResult() {
  const base = loadRun(`${FIXTURES}compare-base`, { writeMissingSummary: false });
  const head = loadRun(`${FIXTURES}compare-head`, { writeMissingSummary: false });
  return compareRuns([base], [head], OPTS);
}

test('the Markdown of the two fixture runs is exactly the expected one', () => {
  const expected = readFileSync(`${FIXTURES}compare-expected/compare.md`, 'utf8');
  assert.equal(renderMarkdown(fixtureResult()), expected);
});

test('compare.csv: one row per case × metric with every column, numbers as in the Markdown', () => {
  const rows = parse(renderCsv(fixtureResult()), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 10); // 5 cases (3 joined, 2 one-sided) × 2 metrics
  assert.deepEqual(Object.keys(rows[0] ?? {}), Object.keys(COMPARE_COLUMNS));
  const reg = rows.find((r) => r.verdict === 'regressed' && r.metric === 'total_ms');
  assert.ok(reg);
  assert.equal(reg.base_median, '10.35');
  assert.equal(reg.head_median, '15.35');
  assert.equal(reg.shift_ms, '5');
  assert.equal(reg.p_value, '0.0001554'); // 2 / C(16, 8)
  assert.equal(reg.q_value, '0.0002331'); // BH: the 4 smallest of 6 p-values are equal, q = 6 × p / 4
  assert.deepEqual(
    rows.map((r) => r.verdict),
    [
      'regressed',
      'regressed',
      'improved',
      'improved',
      'no_change',
      'no_change',
      'not_comparable',
      'not_comparable',
      'not_comparable',
      'not_comparable',
    ],
  );
});

test('compare.html: self-contained, both charts with their data, every label escaped', () => {
  const base = fakeRun({
    run_id: 'b<1>',
    cases: [
      { mode: 'new', values: spread(10, 1, 10) },
      { mode: '<img src=x onerror=alert(1)>', values: spread(10, 1, 10) },
    ],
  });
  const head = fakeRun({
    run_id: 'h&2',
    cases: [
      { mode: 'new', values: spread(20, 1, 10) },
      { mode: '<img src=x onerror=alert(1)>', values: spread(10, 1, 10) },
    ],
  });
  const res = compareRuns([base], [head], OPTS);
  const html = renderHtml(res, ['/* vega */', '/* vega-lite */', '/* vega-embed */']);
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /b&lt;1&gt;/);
  assert.match(html, /h&amp;2/);
  assert.doesNotMatch(html, /<script src=|https?:\/\/(?!vega\.github\.io\/schema)/, 'no external resources');
  const json = /<script type="application\/json" id="kab-specs">(.*?)<\/script>/s.exec(html)?.[1];
  assert.ok(json);
  assert.doesNotMatch(json, /</, 'JSON inside <script> has no raw <');
  const specs = JSON.parse(json) as Array<{ spec: { data: { values: Array<Record<string, unknown>> } } }>;
  assert.equal(specs.length, 2);
  const change = specs[0]?.spec.data.values ?? [];
  assert.ok(change.some((d) => d.verdict === 'regressed' && d.metric === 'total_ms'));
  const medians = specs[1]?.spec.data.values ?? [];
  assert.equal(medians.length, 8); // 2 cases × 2 metrics × base/head
  assert.ok(medians.every((d) => typeof d.median === 'number'));
  // without the vega bundles the page still has the table and says how to get the charts
  const bare = renderHtml(res, null);
  assert.match(bare, /Charts need vega/);
  assert.match(bare, /<table>/);
});

test('caseLabel and escapeHtml', () => {
  assert.equal(
    caseLabel('handshake/protocol=h1/security=none/conn_mode=new/size_bytes=100/profile=lan'),
    'handshake: h1 · none · new · 100 · lan',
  );
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
