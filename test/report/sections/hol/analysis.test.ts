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
  assert.equal(f.h2_within.ok, 54, '54 ms ≤ 1.1 × 50 ms');
  assert.equal(verdictC4(figs).kind, 'confirmed');
  // A pipelined response that was not held back refutes it.
  const notHeld = rows.map((r) =>
    r.mode === 'h1_pipelined' && r.pos === '2' && r.rep === '1'
      ? { ...r, done_ms: '60', delay_vs_alone_ms: '10', blocked_ms: '9.9' }
      : r,
  );
  assert.equal(verdictC4(appFigures(notHeld)).kind, 'refuted');
  // Warm-up rows are left out.
  assert.equal(appFigures(rows.map((r) => ({ ...r, warmup: '1' }))).length, 0);
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
  assert.equal(c?.clear, true, 'the CIs (n = 8) do not overlap at 2 %');
  const v = verdictC5([], points);
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /from 2 %/);

  const h2Always = rows.filter((r) => r.mode === 'h2_streams' || Number(r.loss_pct) < 2);
  for (let rep = 1; rep <= 8; rep++) h2Always.push(page('h1_6conn', 2, 2000, rep), page('h1_6conn', 5, 3000, rep));
  const v2 = verdictC5([], pagePoints(h2Always));
  assert.equal(v2.kind, 'confirmed');
  assert.match(v2.figure, /no crossover up to 5 % loss/);
  // Skipped rows (a congestion control the host does not allow) are not points.
  assert.equal(pagePoints([{ ...page('h2_streams', 0, 1, 1), skipped: 'cubic not allowed' }]).length, 0);
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
