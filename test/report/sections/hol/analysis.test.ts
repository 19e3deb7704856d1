import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appFigures,
  crossovers,
  holFigures,
  holVerdicts,
  pagePoints,
  verdictC4,
  verdictC5,
} from '../../../../report/sections/hol/analysis.ts';
import { pipeliningFigures } from '../../../../report/sections/hol/pipelining.ts';

type Row = Record<string, string>;

/** One app batch of a mode: slow first, 9 fast ones arriving at `fastDone` ms, alone they take 50 ms. */
function appBatch(mode: string, batch: number, fastDone: number): Row[] {
  return Array.from({ length: 10 }, (_, i) => {
    const slow = i === 0;
    const done = slow ? 252 : fastDone;
    const unblocked = slow ? 251 : 50;
    return {
      profile: 'wan',
      rtt_ms_calibrated: '50',
      mode,
      batch_id: `b${mode}${batch}`,
      rep: String(batch),
      warmup: '0',
      pos: String(i + 1),
      req: slow ? 'slow' : 'fast',
      server_delay_ms: slow ? '200' : '0',
      write_ms: '0.1',
      done_ms: String(done),
      unblocked_ms: String(unblocked),
      ready_ms: String(unblocked + 0.1),
      blocked_ms: String(Math.max(0, done - 0.1 - unblocked)),
      delay_vs_alone_ms: String(done - unblocked),
      batch_ms: '260',
      error: '',
    };
  });
}

test('hol section: C4 is confirmed when pipelined fast responses wait D and the others do not', () => {
  const rows = [1, 2, 3, 4, 5, 6].flatMap((b) => [
    ...appBatch('h1_pipelined', b, 253),
    ...appBatch('h1_6conn', b, 51),
    ...appBatch('h2_streams', b, 54),
  ]);
  const figs = appFigures(rows);
  assert.equal(figs.length, 1);
  const f = figs[0]!;
  assert.deepEqual(f.pipelined_delayed, { ok: 54, n: 54 });
  assert.deepEqual(f.pipelined_batches_held, { ok: 6, n: 6 }, 'the batch is the unit of the evidence');
  assert.equal(f.h2_within.ok, 54, '54 ms ≤ 1.1 × 50 ms');
  const v = verdictC4(figs);
  assert.equal(v.kind, 'confirmed');
  // 54/54 held back: the Wilson CI (from 93 %) lies above one half; h1 × 6's and h2's medians' CIs below D/4.
  assert.deepEqual(v.evidence, {
    n: 'n = 6 batches (≥ 54 fast responses a mode in 6 batches)',
    strength: 'strong',
  });
  assert.ok((v.numbers.pipelined_held_ci_low_ratio ?? 0) > 0.6, 'Wilson 6 of 6 batches: from 61 %');
  assert.ok((v.numbers.h1_6conn_blocked_ci_high_ms ?? Infinity) < 50);
  // One pipelined response that was not held back (in 5 of 6 batches every one was): not every one, but the share's
  // CI reaches above one half, so no refutation either: inconclusive.
  const notHeld = rows.map((r) =>
    r.mode === 'h1_pipelined' && r.pos === '2' && r.rep === '1'
      ? { ...r, done_ms: '60', delay_vs_alone_ms: '10', blocked_ms: '9.9' }
      : r,
  );
  const one = verdictC4(appFigures(notHeld));
  assert.equal(one.kind, 'depends');
  assert.equal(
    one.reason,
    'not every pipelined fast response was held back (every one in 5 of 6 batches), but the 95 % CI of that share (44 %–97 %) does not lie below half: inconclusive at n = 6 batches',
  );
  assert.equal(one.evidence?.strength, 'inconclusive');
  // Warm-up rows are left out.
  assert.equal(appFigures(rows.map((r) => ({ ...r, warmup: '1' }))).length, 0);
});

test('C4 evidence: strong refutation, strong "others blocked", and a confirmed whose h1 × 6 CI reaches D/4', () => {
  const batches = [1, 2, 3, 4, 5, 6];
  const with6 = (fastDone: (b: number) => number, piped = 253): Row[] =>
    batches.flatMap((b) => [
      ...appBatch('h1_pipelined', b, piped),
      ...appBatch('h1_6conn', b, fastDone(b)),
      ...appBatch('h2_streams', b, 54),
    ]);
  // No batch held back (0 of 6): the share's CI (to 39 %) lies below one half.
  const free = verdictC4(appFigures(with6(() => 51, 60)));
  assert.equal(free.kind, 'refuted');
  assert.equal(free.reason, 'some pipelined responses were not held back');
  assert.deepEqual(free.evidence, {
    n: 'n = 6 batches (≥ 54 fast responses a mode in 6 batches)',
    strength: 'strong',
  });
  // h1 × 6 held back as long as pipelining: the CI of its median blocked time lies above D/4.
  const blocked = verdictC4(appFigures(with6(() => 253)));
  assert.equal(blocked.kind, 'depends');
  assert.equal(blocked.reason, 'other modes were blocked too');
  assert.equal(blocked.evidence?.strength, 'strong');
  // Half of h1 × 6's batches blocked ~80 ms: its median (~40 ms) is below D/4 = 50 ms, the CI of it is not.
  const half = verdictC4(appFigures(with6((b) => (b <= 3 ? 51 : 131))));
  assert.equal(half.kind, 'confirmed');
  assert.deepEqual(half.evidence, {
    n: 'n = 6 batches (≥ 54 fast responses a mode in 6 batches)',
    strength: 'inconclusive',
  });
  assert.ok((half.numbers.h1_6conn_blocked_ci_high_ms ?? 0) >= 50);
  // One batch of 9: its 9 responses sit behind one slow response, one observation: 1 of 1 batches gives a Wilson
  // CI from 21 %, inconclusive, though all 9 were held back (counted as 9, the CI would start at 70 %).
  const small = verdictC4(
    appFigures([...appBatch('h1_pipelined', 1, 253), ...appBatch('h1_6conn', 1, 51), ...appBatch('h2_streams', 1, 54)]),
    pipeliningFigures(
      Array.from({ length: 10 }, (_, i) => ({ profile: 'wan', rep: '1', pos: String(i + 1), answer: 'in_turn' })),
    ),
  );
  assert.equal(small.kind, 'confirmed');
  assert.deepEqual(small.evidence, {
    n: 'n = 1 batch (≥ 9 fast responses a mode in 1 batch); 10 pipelined requests in the check',
    strength: 'inconclusive',
  });
  // Four batches, each held back: 4 of 4 gives a Wilson CI from 51 %, above one half: strong.
  const four = verdictC4(
    appFigures(
      [1, 2, 3, 4].flatMap((b) => [
        ...appBatch('h1_pipelined', b, 253),
        ...appBatch('h1_6conn', b, 51),
        ...appBatch('h2_streams', b, 54),
      ]),
    ),
  );
  assert.equal(four.evidence?.strength, 'strong');
  assert.ok((four.numbers.pipelined_held_ci_low_ratio ?? 0) > 0.5);
  // Three fast responses a mode: too few for a CI of h1 × 6's median (n < 6), so inconclusive.
  const three = appFigures(
    ['h1_pipelined', 'h1_6conn', 'h2_streams'].flatMap((m) =>
      appBatch(m, 1, m === 'h1_pipelined' ? 253 : 51).slice(0, 4),
    ),
  );
  assert.equal(verdictC4(three).kind, 'confirmed');
  assert.deepEqual(verdictC4(three).evidence, {
    n: 'n = 1 batch (≥ 3 fast responses a mode in 1 batch)',
    strength: 'inconclusive',
  });
});

function page(mode: string, loss: number, ms: number, rep: number, conn = 'fresh'): Row {
  return {
    profile: 'wan',
    rtt_ms_configured: '50',
    rtt_ms_calibrated: '50.5',
    loss_pct: String(loss),
    congestion_control: 'bbr',
    mode,
    conn_start: conn,
    protocol: mode.startsWith('h2') ? 'h2' : 'h1',
    rep: String(rep),
    warmup: '0',
    page_ms: String(ms),
    errors: '0',
    retrans_segs_server: String(loss * 3),
    retrans_segs_client: '0',
    skipped: '',
  };
}

test('hol section: the crossover is the lowest loss where h1 × 6 is faster than h2, or none', () => {
  const rows: Row[] = [];
  for (let rep = 1; rep <= 8; rep++) {
    for (const [loss, h2, six] of [
      [0, 400, 500],
      [1, 600, 620],
      [2, 900, 700],
      [5, 1500, 1000],
    ] as const) {
      rows.push(page('h2_streams', loss, h2 + rep, rep), page('h1_6conn', loss, six + rep, rep));
    }
  }
  const points = pagePoints(rows);
  assert.equal(points.length, 8);
  const [c] = crossovers(points);
  assert.equal(c?.loss_pct, 2);
  assert.equal(c?.evidence, 'strong', 'the CI of the difference (n = 8 + 8) excludes 0 at 2 %');
  assert.deepEqual(
    c?.comparisons.map((x) => [x.loss_pct, x.outcome, x.diff_ms]),
    [
      [0, 'h2_faster', -100],
      [1, 'h2_faster', -20],
      [2, 'h2_slower', 200],
      [5, 'h2_slower', 500],
    ],
  );
  const v = verdictC5([], points);
  assert.equal(v.kind, 'depends');
  assert.equal(v.reason, 'on packet loss: bbr: h1 × 6 overtakes h2 from 2 % (wan/fresh)');
  assert.deepEqual(v.evidence, {
    n: '≥ 8 pages a side per loss rate, 1 congestion control × start case',
    strength: 'strong',
  });
  assert.match(
    v.figure,
    /wan\/bbr\/fresh: h1 × 6 overtakes h2 from 2 % loss \(2 %: h2 − h1×6 = \+200\.0 ms \[95 % CI \+197\.0 ms…\+203\.0 ms\], n = 8 \+ 8\)/,
  );

  const h2Always = rows.filter((r) => r.mode === 'h2_streams' || Number(r.loss_pct) < 2);
  for (let rep = 1; rep <= 8; rep++) h2Always.push(page('h1_6conn', 2, 2000, rep), page('h1_6conn', 5, 3000, rep));
  const v2 = verdictC5([], pagePoints(h2Always));
  assert.equal(v2.kind, 'confirmed');
  assert.match(v2.figure, /no crossover up to 5 % loss, h2 faster at every loss rate/);
  // Skipped rows (a congestion control the host does not allow) are not points.
  assert.equal(pagePoints([{ ...page('h2_streams', 0, 1, 1), skipped: 'cubic not allowed' }]).length, 0);
});

test('C5: medians that cross with the CI of the difference including 0 are inconclusive, never a crossover', () => {
  const rows: Row[] = [];
  // Three pages a side: too few for a 95 % CI of the difference whatever they show.
  for (let rep = 1; rep <= 3; rep++)
    rows.push(page('h2_streams', 0, 400, rep), page('h1_6conn', 0, 500, rep), page('h2_streams', 2, 900, rep));
  rows.push(page('h1_6conn', 2, 700, 1), page('h1_6conn', 2, 700, 2), page('h1_6conn', 2, 700, 3));
  const few = verdictC5([], pagePoints(rows));
  assert.equal(few.kind, 'depends');
  assert.equal(few.evidence?.strength, 'inconclusive');
  assert.match(
    few.reason ?? '',
    /^inconclusive at n = 3 pages a side: no crossover shown, but the CI of the difference includes 0 at 0 %, 2 % \(wan\/bbr\/fresh\)/,
  );
  assert.match(few.figure, /too few pages for a 95 % CI\], n = 3 \+ 3/);

  // Eight pages a side whose spreads overlap: the medians say h1 × 6 at 2 %, the CI does not.
  const overlap: Row[] = [];
  for (let rep = 1; rep <= 8; rep++)
    overlap.push(
      page('h2_streams', 0, 400 + rep, rep),
      page('h1_6conn', 0, 500 + rep, rep),
      page('h2_streams', 2, 700 + 40 * rep, rep),
      page('h1_6conn', 2, 690 + 40 * rep, rep),
    );
  const [c] = crossovers(pagePoints(overlap));
  assert.equal(c?.loss_pct, null);
  assert.equal(c?.evidence, 'inconclusive');
  assert.equal(c?.comparisons[1]?.outcome, 'inconclusive');
  assert.equal(verdictC5([], pagePoints(overlap)).kind, 'depends');

  // A page with a failed request has no page time: the difference without it leans toward the mode that failed.
  const failing: Row[] = [];
  for (let rep = 1; rep <= 8; rep++)
    failing.push(page('h2_streams', 5, 900 + rep, rep), page('h1_6conn', 5, 1500 + rep, rep));
  failing.push({ ...page('h2_streams', 5, 0, 9), page_ms: '', errors: '3' });
  const [withFailures] = crossovers(pagePoints(failing));
  assert.equal(withFailures?.comparisons[0]?.outcome, 'inconclusive');
  assert.match(verdictC5([], pagePoints(failing)).figure, /n = 8 \+ 8; 3 failed requests, their pages left out/);
});

test('C5 per congestion control: one crossing and one not is "depends on packet loss and congestion control"', () => {
  const rows: Row[] = [];
  for (let rep = 1; rep <= 5; rep++)
    for (const [cc, loss, h2, six] of [
      ['bbr', 0, 400, 500],
      ['bbr', 5, 800, 1500],
      ['reno', 0, 400, 500],
      ['reno', 5, 2500, 1200],
      ['cubic', 0, 400, 500],
    ] as const)
      rows.push(
        { ...page('h2_streams', loss, h2 + rep, rep), congestion_control: cc },
        { ...page('h1_6conn', loss, six + rep, rep), congestion_control: cc },
      );
  // cubic at 5 %: pages that spread over each other, so the CI of the difference includes 0.
  for (let rep = 1; rep <= 5; rep++)
    rows.push(
      { ...page('h2_streams', 5, 1000 + 100 * rep, rep), congestion_control: 'cubic' },
      { ...page('h1_6conn', 5, 1050 + 100 * rep, rep), congestion_control: 'cubic' },
    );
  const v = verdictC5([], pagePoints(rows));
  assert.equal(v.kind, 'depends');
  assert.equal(
    v.reason,
    'on packet loss and congestion control: bbr: no crossover; cubic: no crossover shown (inconclusive at 5 %, n = 5 pages a side); reno: h1 × 6 overtakes h2 from 5 % (wan/fresh)',
  );
  assert.equal(v.numbers.crossover_loss_pct_wan_reno_fresh, 5);
  assert.equal(v.numbers.crossover_loss_pct_wan_bbr_fresh, null);
  assert.equal(v.numbers.crossover_strong_wan_bbr_fresh, 1);
});

test('hol section: the figures note skipped page cases, closed-loop load, h2 under bbr and failed requests', () => {
  const app = appBatch('h2_streams', 1, 54).map((r, i) => ({
    ...r,
    congestion_control: 'bbr',
    error: i === 2 ? 'reset' : '',
  }));
  const pages = [
    page('h2_streams', 0, 400, 1),
    { ...page('h2_streams', 0, 1, 1), loss_pct: '', congestion_control: 'cubic', skipped: 'cubic not allowed' },
  ];
  const figs = holFigures({ pipelining: [], app, pages, load: [{ loop: 'closed' }, { loop: 'open' }] });
  assert.equal(figs.app.length, 1);
  assert.equal(figs.points.length, 1);
  assert.deepEqual(figs.skipped, [{ loss_pct: '', congestion_control: 'cubic', reason: 'cubic not allowed' }]);
  assert.equal(figs.closed_loop_load, true);
  assert.equal(figs.bbr_h2_app, true);
  assert.equal(figs.app_errors, 1);
  assert.deepEqual(
    holVerdicts(figs).map((v) => v.claim),
    ['C4', 'C5'],
  );
  const none = holFigures({ pipelining: [], app: [], pages: [], load: [{ loop: 'open' }] });
  assert.deepEqual([none.skipped, none.closed_loop_load, none.bbr_h2_app, none.app_errors], [[], false, false, 0]);
});
