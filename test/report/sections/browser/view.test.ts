import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderChart } from '../../../../report/charts.ts';
import { browserFigures } from '../../../../report/sections/browser/analysis.ts';
import { browserView, medianWords } from '../../../../report/sections/browser/view.ts';
import { quantileSummary } from '../../../../lib/stats-summary.ts';
import { BASE, around, loads, type Row } from './rows.ts';

const RUN: Row[] = [
  ...loads({ case: 'h2' }, around(456)),
  ...loads({ case: 'h1_keepalive' }, around(619)),
  ...loads({ case: 'h2', client: 'harness' }, around(430)),
  ...loads({ case: 'h1_keepalive', client: 'harness' }, around(580)),
  ...loads({ case: 'h1_close', loss_pct: '5', congestion_control: 'reno' }, [2_000, 2_100]),
  { ...BASE, case: 'h1_close', loss_pct: '5', congestion_control: 'reno', errors: '3', error: 'net::ERR_TIMED_OUT' },
  {
    ...BASE,
    case: '',
    page: '',
    client: '',
    state: '',
    loss_pct: '',
    congestion_control: 'cubic',
    skipped: 'cubic is not allowed',
  },
  {
    ...BASE,
    case: '',
    page: '',
    client: '',
    state: '',
    loss_pct: '1',
    congestion_control: 'bbr',
    skipped: 'the link cannot drop packets',
  },
];

test('browser view: the page-load table a row per case and client, every median with its CI or why none', () => {
  const { tables } = browserView(browserFigures(RUN));
  assert.deepEqual(
    tables.map((t) => t.title.split(':')[0]!.split(' (')[0]),
    ['Browser vs harness', 'Browser page loads'],
  );
  const loadsTable = tables[1]!;
  const col = (label: string): number => loadsTable.columns.findIndex((c) => c.label === label);
  assert.equal(loadsTable.rows.length, 5);
  assert.equal(loadsTable.columns[col('page time')]!.unit, 'ms');
  const first = loadsTable.rows[0]!;
  assert.deepEqual(
    [first[col('case')], first[col('client')], first[col('n (loads with a page time)')]],
    ['h2', 'Chromium', 6],
  );
  assert.equal(first[col('page time')], 456);
  assert.equal(first[col('page time 95 % CI')], '426 – 486');
  const close = loadsTable.rows.find((r) => r[col('case')] === 'h1 Connection: close')!;
  assert.equal(close[col('page time 95 % CI')], 'no CI (n < 6)');
  assert.deepEqual([close[col('failed loads')], close[col('failed requests')]], [1, 3]);
});

test('browser view: the harness table says the margin and each side its winner and agreement', () => {
  const { tables } = browserView(browserFigures(RUN));
  const t = tables[0]!;
  assert.match(t.title, /±30 %/);
  assert.equal(t.rows.length, 1);
  const r = t.rows[0]!;
  assert.equal(r[4], '456 ms (95 % CI 426–486 ms, n = 6)');
  assert.deepEqual([r[6], r[9], r[10]], ['h2', 'h2', 'yes']);
  assert.equal(medianWords(quantileSummary([1, 2, 3])), '2.00 ms (no CI: n = 3 < 6)');
  assert.equal(medianWords(quantileSummary(around(1_000))), '1.00 s (95 % CI 970 ms–1.03 s, n = 6)');
});

test('browser view: caveats name what was skipped, what failed and the congestion controls measured', () => {
  const { caveats } = browserView(browserFigures(RUN));
  assert.ok(caveats.includes('Not run (cubic): cubic is not allowed.'), caveats.join('\n'));
  assert.ok(caveats.includes('Not run (1 % loss, bbr): the link cannot drop packets.'), caveats.join('\n'));
  assert.ok(
    caveats.some((c) =>
      c.startsWith(
        '1 of 3 loads failed, 3 failed requests (Chromium, flat page, h1 Connection: close, cold, 5 % loss, reno): net::ERR_TIMED_OUT',
      ),
    ),
    caveats.join('\n'),
  );
  assert.ok(
    caveats.some((c) =>
      /^At 5 % loss the results depend on the server's congestion control: bbr .*Measured here: bbr, reno\.$/.test(c),
    ),
  );
});

test('browser view: a caveat names the browser as the file does', () => {
  const { caveats } = browserView(
    browserFigures([
      ...loads({ client_version: 'chromium 131.0.6778.85' }, [400]),
      ...loads({ client: 'harness', client_version: 'keepalive-bench 0.1.0' }, [380]),
    ]),
  );
  assert.ok(
    caveats.includes('The browser: chromium 131.0.6778.85 (headless, as Playwright reports it).'),
    caveats.join('\n'),
  );
});

test('browser charts: Chromium only in the page-time chart; error bars only where some CI exists; vega draws them without warnings', async () => {
  const { specs } = browserView(browserFigures(RUN));
  assert.deepEqual(
    specs.map((s) => s.id),
    ['browser-page-time', 'browser-vs-harness'],
  );
  const pageSpec = specs[0]!.spec as unknown as {
    data: { values: Array<{ case_label: string }> };
    spec: { layer: unknown[] };
  };
  assert.equal(pageSpec.data.values.length, 3, 'h2, h1 keep-alive and h1 close of Chromium; not the harness');
  assert.equal(pageSpec.spec.layer.length, 2, 'bars and their CIs');
  for (const s of specs) {
    const { warnings } = await renderChart(s.spec);
    assert.deepEqual(warnings, [], s.id);
  }
  // No CI anywhere (n < 6): no error-bar layer, and the caption says why.
  const few = browserView(browserFigures(loads({ case: 'h2' }, [400, 410])));
  const spec = few.specs[0]!.spec as unknown as { spec: { layer: unknown[] } };
  assert.equal(spec.spec.layer.length, 1);
  assert.match(few.specs[0]!.caption, /no 95 % CI/);
  assert.deepEqual((await renderChart(few.specs[0]!.spec)).warnings, []);
  // Nothing measured: no charts, no tables.
  const none = browserView(browserFigures([]));
  assert.deepEqual([none.specs.length, none.tables.length], [0, 0]);
});
