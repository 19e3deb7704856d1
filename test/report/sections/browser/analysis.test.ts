import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantileSummary } from '../../../../lib/stats-summary.ts';
import {
  AGREE_MARGIN_PCT,
  agreement,
  browserFigures,
  browserPoints,
  fmtPage,
  harnessComparisons,
  winnerOf,
} from '../../../../report/sections/browser/analysis.ts';
import { BASE, around, loads, type Row } from './rows.ts';

test('browser points: n, median and exact 95 % CI of the page time; warm-ups, failed and skipped rows left out', () => {
  const rows: Row[] = [
    ...loads(
      { case: 'h1_keepalive', connections: '6', new_connections: '6', tls_ms_max: '52' },
      [640, 600, 650, 610, 630, 620],
    ),
    // Warm-ups, written 1/0 by lib/csv-file.ts, and true/false by hand: neither counts.
    ...loads({ case: 'h1_keepalive', warmup: '1' }, [9_000]),
    ...loads({ case: 'h1_keepalive', warmup: 'true' }, [9_000]),
    // A load that failed: counted as a load and its errors, no page time.
    { ...BASE, case: 'h1_keepalive', page_ms: '', errors: '2', error: 'net::ERR_CONNECTION_RESET' },
    {
      ...BASE,
      case: '',
      page: '',
      state: '',
      client: '',
      loss_pct: '',
      congestion_control: 'reno',
      skipped: 'no reno',
    },
  ];
  const points = browserPoints(rows);
  assert.equal(points.length, 1);
  const p = points[0]!;
  assert.deepEqual(
    [p.page, p.case, p.state, p.loss_pct, p.cc, p.client],
    ['flat', 'h1_keepalive', 'cold', 0, 'bbr', 'chromium'],
  );
  assert.equal(p.page_ms.n, 6);
  assert.equal(p.page_ms.median, 625, '(620 + 630) / 2');
  // n = 6: the only ranks with ≥ 95 % coverage are 1 and 6 (1 − 2/64 = 96.9 %).
  assert.deepEqual([p.page_ms.ci_low, p.page_ms.ci_high], [600, 650]);
  assert.equal(p.loads, 7);
  assert.equal(p.failed_loads, 1);
  assert.equal(p.errors, 2);
  assert.equal(p.first_error, 'net::ERR_CONNECTION_RESET');
  assert.equal(p.connections, 6);
  assert.equal(p.new_connections, 6);
  assert.equal(p.tls_ms_max, 52);
  assert.equal(p.wait_ms_max, null, 'an empty column is not measured, not 0');
  const figs = browserFigures(rows);
  assert.deepEqual(figs.skipped, [{ profile: 'wan', loss_pct: '', cc: 'reno', page: '', case: '', reason: 'no reno' }]);
  assert.deepEqual(figs.ccs, ['bbr']);
});

test('browser points: below 6 loads no CI; at 10 the 2nd and 9th values; one point per client, case and condition', () => {
  const rows = [
    ...loads({ case: 'h2' }, [500, 510, 520, 530, 540]),
    ...loads({ case: 'h2', client: 'harness' }, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]),
    ...loads({ case: 'h2', loss_pct: '5' }, [700]),
  ];
  const points = browserPoints(rows);
  assert.deepEqual(
    points.map((p) => `${p.client}/${p.loss_pct}`),
    ['chromium/0', 'harness/0', 'chromium/5'],
  );
  const [five, ten] = points;
  assert.equal(five!.page_ms.median, 520);
  assert.deepEqual([five!.page_ms.ci_low, five!.page_ms.ci_high], [null, null]);
  // n = 10: P(B ≤ 1) = 11/1024 ≤ 2.5 % < P(B ≤ 2) = 56/1024, so the ranks 2 and 9.
  assert.deepEqual([ten!.page_ms.ci_low, ten!.page_ms.ci_high], [200, 900]);
});

const q = (xs: number[]) => quantileSummary(xs);

test('winnerOf: the lower median only when the two 95 % CIs are apart; no CI (n < 6) or overlap: no clear winner', () => {
  assert.equal(winnerOf(q(around(450)), q(around(620))), 'h2');
  assert.equal(winnerOf(q(around(620)), q(around(450))), 'h1_keepalive');
  assert.equal(winnerOf(q(around(450)), q(around(500))), 'none', '[420, 480] and [470, 530] overlap');
  assert.equal(winnerOf(q([400, 410, 420, 430, 440]), q(around(900))), 'none', 'n = 5: no CI');
  assert.equal(winnerOf(null, q(around(900))), null);
  assert.equal(winnerOf(q([]), q(around(900))), null);
});

function side(h2: number[], h1: number[]) {
  const a = q(h2);
  const b = q(h1);
  return { h2: a, h1_keepalive: b, winner: winnerOf(a, b) };
}

test(`agreement: same winner and each browser median within ±${AGREE_MARGIN_PCT} % of the harness's`, () => {
  assert.equal(AGREE_MARGIN_PCT, 30);
  const agree = agreement(side(around(456), around(619)), side(around(420), around(560)));
  assert.equal(agree.agree, true, agree.why);
  assert.ok(Math.abs(agree.h2_diff_pct! - ((456 - 420) / 420) * 100) < 1e-9);
  assert.match(agree.why, /^same winner \(h2\); medians within ±30 % \(h2 \+9 %, h1 keep-alive \+11 %\)$/);

  const winner = agreement(side(around(456), around(619)), side(around(620), around(460)));
  assert.equal(winner.agree, false);
  assert.match(winner.why, /winner differs \(browser: h2, harness: h1 keep-alive\)/);

  // Same winner, but the browser's h2 takes twice the harness's time: outside the margin.
  const margin = agreement(side(around(900), around(1_200)), side(around(450), around(1_000)));
  assert.equal(margin.agree, false);
  assert.doesNotMatch(margin.why, /winner differs/);
  assert.match(margin.why, /^browser h2 median \+100 % from the harness's \(outside ±30 %\)$/);

  // n = 5 a side: no CI, so no clear winner and no way to tell the medians apart.
  const five = [440, 450, 456, 460, 470];
  const none = agreement(side(five, [600, 610, 619, 630, 640]), side(five, [600, 610, 619, 630, 640]));
  assert.equal(none.agree, null);
  assert.equal(none.why, 'cannot tell: a median without a 95 % CI (n < 6)');
  // Outside the margin without CIs is not a difference the data show either.
  const far = agreement(
    side(five, [600, 610, 619, 630, 640]),
    side([200, 210, 220, 230, 240], [600, 610, 619, 630, 640]),
  );
  assert.equal(far.agree, null);
  // A clear winner on one side only: they cannot tell.
  const one = agreement(side(around(456), around(900)), side(around(456), [470, 500, 850, 950, 1_000, 1_500]));
  assert.equal(one.agree, null, 'a side without a clear winner does not contradict the other');
  assert.match(one.why, /^cannot tell: winner differs \(browser: h2, harness: no clear winner\)/);

  const missing = agreement({ h2: null, h1_keepalive: q(around(600)), winner: null }, side(around(456), around(619)));
  assert.equal(missing.agree, null);
});

test("agreement: a gap within 1 RTT counts as agreeing even beyond ±30 % (a browser's fixed per-page overhead)", () => {
  // Warm h2: browser 121 ms vs harness 93 ms is +30 %, 28 ms apart; at 50 ms RTT that is within 1 RTT.
  const tight = (m: number): number[] => [m - 2, m - 1, m, m, m + 1, m + 2];
  const browser = side(tight(121), tight(442));
  const harness = side(tight(93), tight(421));
  const pctOnly = agreement(browser, harness, 30);
  assert.equal(pctOnly.agree, false, 'outside ±30 % with the CIs apart: they differ');
  const withRtt = agreement(browser, harness, 30, 50);
  assert.equal(withRtt.agree, true, withRtt.why);
  assert.match(withRtt.why, /within ±30 % or ±1 RTT \(50\.0 ms\)/);
  // 28 ms apart is beyond 1 RTT at 20 ms: the margin does not grow with the gap.
  const shortRtt = agreement(browser, harness, 30, 20);
  assert.equal(shortRtt.agree, false);
  assert.match(shortRtt.why, /outside ±30 % or ±1 RTT \(20\.0 ms\)\)$/);
});

test('agreement: outside the margin but with overlapping CIs, or one side without a clear winner, they cannot tell', () => {
  // At 5 % loss page times spread widely: 1.6 s vs 1.1 s medians, CIs overlapping.
  const wide = agreement(
    side(around(500), [1_000, 1_300, 1_500, 1_700, 2_400, 3_000]),
    side(around(480), [700, 800, 1_050, 1_150, 1_800, 2_000]),
  );
  assert.equal(wide.agree, null);
  assert.match(
    wide.why,
    /^cannot tell: browser h1 keep-alive median \+45 % from the harness's \(outside ±30 %, but their CIs overlap\)$/,
  );
});

test('harnessComparisons: the flat page cold and warm, per loss and congestion control, only where the harness loaded it', () => {
  const rows = [
    ...loads({ case: 'h2' }, around(456)),
    ...loads({ case: 'h1_keepalive' }, around(619)),
    ...loads({ case: 'h2', client: 'harness' }, around(430)),
    ...loads({ case: 'h1_keepalive', client: 'harness' }, around(580)),
    // Warm: the harness disagrees on the winner.
    ...loads({ case: 'h2', state: 'warm' }, around(300)),
    ...loads({ case: 'h1_keepalive', state: 'warm' }, around(420)),
    ...loads({ case: 'h2', state: 'warm', client: 'harness' }, around(400)),
    ...loads({ case: 'h1_keepalive', state: 'warm', client: 'harness' }, around(300)),
    // No harness counterpart: the document page, the resumed state, another loss rate.
    ...loads({ case: 'h2', page: 'document' }, around(700)),
    ...loads({ case: 'h2', state: 'resumed' }, around(500)),
    ...loads({ case: 'h2', loss_pct: '5' }, around(900)),
  ];
  const cs = harnessComparisons(browserPoints(rows));
  assert.deepEqual(
    cs.map((c) => [c.state, c.loss_pct, c.cc, c.browser.winner, c.harness.winner, c.agree]),
    [
      ['cold', 0, 'bbr', 'h2', 'h2', true],
      ['warm', 0, 'bbr', 'h2', 'h1_keepalive', false],
    ],
  );
  assert.equal(cs[0]!.browser.h2?.median, 456);
  assert.equal(cs[0]!.harness.h1_keepalive?.median, 580);

  // A failed load on one side: the medians are trimmed differently, so the comparison cannot tell.
  const failed = harnessComparisons(
    browserPoints([...rows, { ...BASE, case: 'h1_keepalive', client: 'harness', page_ms: '', errors: '41' }]),
  );
  assert.equal(failed[0]!.agree, null);
  assert.match(failed[0]!.why, /^cannot tell: 1 load\(s\) failed and are left out; same winner \(h2\)/);
  assert.equal(failed[1]!.agree, false, 'the warm comparison has no failed load');
});

test('fmtPage: ms below a second, s above, decimals below 100 ms', () => {
  assert.equal(fmtPage(612.4), '612 ms');
  assert.equal(fmtPage(1_310), '1.31 s');
  assert.equal(fmtPage(999.7), '1.00 s');
  assert.equal(fmtPage(12.34), '12.3 ms');
  assert.equal(fmtPage(null), '—');
});
