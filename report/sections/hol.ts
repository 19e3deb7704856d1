/**
 * The hol scenario's section: C4 (pipelining suffers head-of-line blocking) from hol-app.csv (per request: when it
 * would have arrived alone vs when it did), C5 (HTTP/2 multiplexing beats HTTP/1.1) from the same file and from
 * hol-pages.csv (page time vs packet loss: TCP's own head-of-line blocking), and the load runs from load.csv.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../lib/csv-file.ts';
import { medianCiSorted, quantileCiSorted, sortAsc } from '../../lib/stats.ts';
import type { CsvRow, RunFolder } from '../load-run.ts';
import { fmtMs, round4 } from '../format.ts';
import { num } from '../rows.ts';
import type { Cell, ChartSpec, ReportSection, SectionOutput, Table, Verdict, VerdictKind } from './types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** CI layers draw only where a CI exists (n ≥ 6). */
const CI_PRESENT = { filter: 'isValid(datum.lo) && isValid(datum.hi)' };
/** Pipelined fast responses count as "delayed by D" when at least D minus this much later than alone (RTT noise). */
export const BLOCK_TOLERANCE_MS = 5;
/** Issue 8: h2's fast responses finish within this factor of their unblocked time. */
export const H2_UNBLOCKED_FACTOR = 1.1;

export const MODE_LABEL: Record<string, string> = {
  h1_serial: 'h1 × 1, serial',
  h1_pipelined: 'h1 × 1, pipelined',
  h1_6conn: 'h1 × 6 connections',
  h2_streams: 'h2 × 1, streams',
};
const MODE_ORDER = ['h1_serial', 'h1_pipelined', 'h1_6conn', 'h2_streams'];
const MODE_COLORS = ['#999999', '#D55E00', '#0072B2', '#009E73'];
const modeColor = (title = 'mode') => ({
  field: 'mode_label',
  type: 'nominal' as const,
  title,
  scale: { domain: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m), range: MODE_COLORS },
});

function readExtra(dir: string, name: string): CsvRow[] {
  const p = join(dir, `${name}.csv`);
  if (!existsSync(p)) return [];
  try {
    return readCsv(p);
  } catch {
    return [];
  }
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}

export interface Dist {
  n: number;
  median: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p90: number | null;
  p90_ci_low: number | null;
  p90_ci_high: number | null;
}

export function dist(values: readonly number[]): Dist {
  const s = sortAsc(values.filter((v) => Number.isFinite(v)));
  if (s.length === 0) return { n: 0, median: null, ci_low: null, ci_high: null, p90: null, p90_ci_low: null, p90_ci_high: null };
  const q = (p: number): number => {
    const pos = (s.length - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (pos - lo);
  };
  const ci = medianCiSorted(s);
  const ci90 = quantileCiSorted(s, 0.9);
  return { n: s.length, median: q(0.5), ci_low: ci?.low ?? null, ci_high: ci?.high ?? null, p90: q(0.9), p90_ci_low: ci90?.low ?? null, p90_ci_high: ci90?.high ?? null };
}

// ---------------------------------------------------------------------------------------------
// Application-level HOL (hol-app.csv)

export interface AppFigures {
  profile: string;
  rtt_ms: number | null;
  delay_ms: number;
  /** Per mode: distribution of fast requests' delay vs alone (from batch start), and of blocked time. */
  fast_delay: Map<string, Dist>;
  fast_blocked: Map<string, Dist>;
  batch: Map<string, Dist>;
  /** Pipelined fast responses delayed ≥ D − tolerance, of all. */
  pipelined_delayed: { ok: number; n: number };
  /** h2 fast responses done within H2_UNBLOCKED_FACTOR × their unblocked time, of all. */
  h2_within: { ok: number; n: number };
  /** Median per mode × position of ready_ms (write + unblocked) and done_ms, for the timeline chart. */
  timeline: Array<{ mode: string; pos: number; ready_ms: number | null; done_ms: number | null; write_ms: number | null }>;
  errors: number;
}

export function appFigures(rows: readonly CsvRow[]): AppFigures[] {
  const measured = rows.filter((r) => r.warmup !== '1');
  const out: AppFigures[] = [];
  for (const [profile, prs] of groupBy(measured, (r) => r.profile ?? '')) {
    const delay_ms = Math.max(0, ...prs.map((r) => num(r.server_delay_ms) ?? 0));
    const ok = prs.filter((r) => (r.error ?? '') === '');
    const fast_delay = new Map<string, Dist>();
    const fast_blocked = new Map<string, Dist>();
    const batch = new Map<string, Dist>();
    for (const [mode, mrs] of groupBy(ok, (r) => r.mode ?? '')) {
      const fast = mrs.filter((r) => r.req === 'fast');
      fast_delay.set(mode, dist(fast.map((r) => num(r.delay_vs_alone_ms) ?? Number.NaN)));
      fast_blocked.set(mode, dist(fast.map((r) => num(r.blocked_ms) ?? Number.NaN)));
      const perBatch = groupBy(mrs, (r) => r.batch_id ?? '');
      batch.set(mode, dist([...perBatch.values()].map((b) => num(b[0]?.batch_ms) ?? Number.NaN)));
    }
    const piped = ok.filter((r) => r.mode === 'h1_pipelined' && r.req === 'fast');
    const h2 = ok.filter((r) => r.mode === 'h2_streams' && r.req === 'fast');
    const timeline: AppFigures['timeline'] = [];
    for (const [k, trs] of groupBy(ok, (r) => `${r.mode}|${r.pos}`)) {
      const [mode = '', pos = '0'] = k.split('|');
      const med = (c: string): number | null => dist(trs.map((r) => num(r[c]) ?? Number.NaN)).median;
      timeline.push({ mode, pos: Number(pos), ready_ms: round4(med('ready_ms')), done_ms: round4(med('done_ms')), write_ms: round4(med('write_ms')) });
    }
    out.push({
      profile,
      rtt_ms: num(prs[0]?.rtt_ms_calibrated),
      delay_ms,
      fast_delay,
      fast_blocked,
      batch,
      pipelined_delayed: { ok: piped.filter((r) => (num(r.delay_vs_alone_ms) ?? -1) >= delay_ms - BLOCK_TOLERANCE_MS).length, n: piped.length },
      h2_within: {
        ok: h2.filter((r) => {
          const done = num(r.done_ms);
          const alone = num(r.unblocked_ms);
          return done !== null && alone !== null && done <= alone * H2_UNBLOCKED_FACTOR;
        }).length,
        n: h2.length,
      },
      timeline,
      errors: prs.length - ok.length,
    });
  }
  return out;
}

export function verdictC4(figs: readonly AppFigures[]): Verdict {
  const rule = `confirmed when every pipelined fast response arrives at least D − ${BLOCK_TOLERANCE_MS} ms later than it does alone while h1 × 6 and h2 fast responses are blocked less than D/4 (medians)`;
  const f = figs.find((x) => x.pipelined_delayed.n > 0);
  if (!f) return { claim: 'C4', kind: 'depends', figure: 'no pipelined batches measured', reason: 'no data', numbers: {}, rule };
  const piped = f.fast_blocked.get('h1_pipelined')?.median ?? null;
  const six = f.fast_blocked.get('h1_6conn')?.median ?? null;
  const h2 = f.fast_blocked.get('h2_streams')?.median ?? null;
  const allDelayed = f.pipelined_delayed.ok === f.pipelined_delayed.n;
  const othersFree = (six ?? Infinity) < f.delay_ms / 4 && (h2 ?? Infinity) < f.delay_ms / 4;
  const kind: VerdictKind = allDelayed && othersFree ? 'confirmed' : allDelayed ? 'depends' : 'refuted';
  const v: Verdict = {
    claim: 'C4',
    kind,
    figure: `behind a ${f.delay_ms} ms response, ${f.pipelined_delayed.ok}/${f.pipelined_delayed.n} pipelined fast responses arrived ≥ ${f.delay_ms - BLOCK_TOLERANCE_MS} ms late (median blocked ${fmtMs(piped)}); h1 × 6 ${fmtMs(six)}, h2 ${fmtMs(h2)} (${f.profile}, RTT ${fmtMs(f.rtt_ms)})`,
    numbers: { delay_ms: f.delay_ms, pipelined_blocked_median_ms: piped, h1_6conn_blocked_median_ms: six, h2_blocked_median_ms: h2, pipelined_delayed: f.pipelined_delayed.ok, pipelined_n: f.pipelined_delayed.n },
    rule,
  };
  if (kind !== 'confirmed') v.reason = allDelayed ? 'other modes were blocked too' : 'some pipelined responses were not held back';
  return v;
}

// ---------------------------------------------------------------------------------------------
// Transport-level HOL (hol-pages.csv)

export interface PagePoint {
  profile: string;
  rtt_ms: number | null;
  cc: string;
  /** fresh (connects timed) or preconnected (only the transfer timed). */
  conn: string;
  loss_pct: number;
  mode: string;
  page: Dist;
  retrans_median: number | null;
  errors: number;
}

export function pagePoints(rows: readonly CsvRow[]): PagePoint[] {
  const measured = rows.filter((r) => r.warmup === '0' && (r.skipped ?? '') === '');
  const out: PagePoint[] = [];
  for (const [, rs] of groupBy(measured, (r) => `${r.profile}|${r.congestion_control}|${r.conn_start || 'fresh'}|${r.loss_pct}|${r.mode}`)) {
    const r0 = rs[0];
    if (!r0) continue;
    out.push({
      profile: r0.profile ?? '',
      rtt_ms: num(r0.rtt_ms_calibrated) ?? num(r0.rtt_ms_configured),
      cc: r0.congestion_control ?? '',
      conn: r0.conn_start || 'fresh',
      loss_pct: num(r0.loss_pct) ?? 0,
      mode: r0.mode ?? '',
      page: dist(rs.map((r) => num(r.page_ms) ?? Number.NaN)),
      retrans_median: dist(rs.map((r) => (num(r.retrans_segs_server) ?? Number.NaN) + (num(r.retrans_segs_client) ?? 0))).median,
      errors: rs.reduce((a, r) => a + (num(r.errors) ?? 0), 0),
    });
  }
  return out.sort((a, b) => a.profile.localeCompare(b.profile) || a.cc.localeCompare(b.cc) || a.conn.localeCompare(b.conn) || a.loss_pct - b.loss_pct || MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode));
}

export interface Crossover {
  profile: string;
  cc: string;
  conn: string;
  rtt_ms: number | null;
  /** Lowest loss where h1 × 6's median page time is below h2's; null = never. */
  loss_pct: number | null;
  /** true when at that loss the CIs do not overlap. */
  clear: boolean;
  h2_ms: number | null;
  h1x6_ms: number | null;
  /** h2 / h1×6 median ratio at each loss, for the sentence. */
  ratios: Array<{ loss_pct: number; ratio: number | null }>;
}

export function crossovers(points: readonly PagePoint[]): Crossover[] {
  const out: Crossover[] = [];
  for (const [, ps] of groupBy(points, (p) => `${p.profile}|${p.cc}|${p.conn}`)) {
    const losses = [...new Set(ps.map((p) => p.loss_pct))].sort((a, b) => a - b);
    let found: Crossover | null = null;
    const ratios: Crossover['ratios'] = [];
    for (const loss of losses) {
      const h2 = ps.find((p) => p.loss_pct === loss && p.mode === 'h2_streams')?.page;
      const six = ps.find((p) => p.loss_pct === loss && p.mode === 'h1_6conn')?.page;
      const ratio = h2?.median != null && six?.median != null && six.median > 0 ? h2.median / six.median : null;
      ratios.push({ loss_pct: loss, ratio: round4(ratio) });
      if (!found && h2?.median != null && six?.median != null && six.median < h2.median) {
        const clear = six.ci_high !== null && h2.ci_low !== null && six.ci_high < h2.ci_low;
        found = { profile: ps[0]?.profile ?? '', cc: ps[0]?.cc ?? '', conn: ps[0]?.conn ?? '', rtt_ms: ps[0]?.rtt_ms ?? null, loss_pct: loss, clear, h2_ms: h2.median, h1x6_ms: six.median, ratios };
      }
    }
    out.push(found ? { ...found, ratios } : { profile: ps[0]?.profile ?? '', cc: ps[0]?.cc ?? '', conn: ps[0]?.conn ?? '', rtt_ms: ps[0]?.rtt_ms ?? null, loss_pct: null, clear: false, h2_ms: null, h1x6_ms: null, ratios });
  }
  return out;
}

export function verdictC5(app: readonly AppFigures[], points: readonly PagePoint[]): Verdict {
  const rule = `confirmed when h2 × 1 loads the page no slower than h1 × 6 (median) at every loss rate measured; "depends" when h1 × 6 overtakes h2 at some loss rate (the crossover); refuted when h1 × 6 is faster already without loss. The share of h2 fast responses within ${H2_UNBLOCKED_FACTOR}× their unblocked time (issue 8's goal) is reported beside it`;
  const cross = crossovers(points);
  const f = app.find((x) => x.h2_within.n > 0);
  const h2Free = f ? f.h2_within.ok / f.h2_within.n : null;
  const parts: string[] = [];
  if (f) parts.push(`app level: ${f.h2_within.ok}/${f.h2_within.n} h2 fast responses within ${H2_UNBLOCKED_FACTOR}× their unblocked time; batch median h2 ${fmtMs(f.batch.get('h2_streams')?.median ?? null)} vs h1 × 6 ${fmtMs(f.batch.get('h1_6conn')?.median ?? null)} vs serial ${fmtMs(f.batch.get('h1_serial')?.median ?? null)}`);
  for (const c of cross) {
    const at = (loss: number): string => {
      const same = (p: PagePoint): boolean => p.profile === c.profile && p.cc === c.cc && p.conn === c.conn && p.loss_pct === loss;
      const h2 = points.find((p) => same(p) && p.mode === 'h2_streams')?.page.median ?? null;
      const six = points.find((p) => same(p) && p.mode === 'h1_6conn')?.page.median ?? null;
      return `${loss} %: h2 ${fmtMs(h2)} vs h1×6 ${fmtMs(six)}`;
    };
    const losses = c.ratios.map((r) => r.loss_pct);
    parts.push(
      c.loss_pct === null
        ? `${c.profile}/${c.cc}/${c.conn}: no crossover up to ${Math.max(...losses)} % loss (${at(losses[0] ?? 0)}; ${at(losses[losses.length - 1] ?? 0)})`
        : `${c.profile}/${c.cc}/${c.conn}: h1 × 6 overtakes h2 from ${c.loss_pct} % loss (${at(c.loss_pct)}${c.clear ? ', CIs apart' : ', CIs overlap'})`,
    );
  }
  const anyCross = cross.some((c) => c.loss_pct !== null && c.loss_pct > 0);
  const crossAtZero = cross.some((c) => c.loss_pct === 0);
  let kind: VerdictKind;
  let reason: string | undefined;
  if (cross.length === 0 && !f) return { claim: 'C5', kind: 'depends', figure: 'no h2 data', reason: 'no data', numbers: {}, rule };
  const h2Batch = f?.batch.get('h2_streams')?.median ?? null;
  const sixBatch = f?.batch.get('h1_6conn')?.median ?? null;
  if (crossAtZero) {
    kind = 'refuted';
    reason = 'h1 × 6 loads the page faster than h2 even without loss';
  } else if (anyCross) {
    kind = 'depends';
    reason = `on packet loss: h1 × 6 overtakes h2 from ${cross.filter((c) => c.loss_pct !== null).map((c) => `${c.loss_pct} % (${c.profile}/${c.cc}/${c.conn})`).join(', ')}`;
  } else if (cross.length === 0 && h2Batch !== null && sixBatch !== null && h2Batch > sixBatch * 1.1) {
    kind = 'depends';
    reason = 'h2 finished the slow-first batch later than h1 × 6';
  } else kind = 'confirmed';
  const numbers: Record<string, number | null> = { h2_fast_within_share: h2Free };
  for (const c of cross) numbers[`crossover_loss_pct_${c.profile}_${c.cc}_${c.conn}`] = c.loss_pct;
  const v: Verdict = { claim: 'C5', kind, figure: parts.join('; '), numbers, rule };
  if (reason) v.reason = reason;
  return v;
}

// ---------------------------------------------------------------------------------------------
// Charts

function timelineChart(app: readonly AppFigures[]): ChartSpec {
  const values = app.flatMap((f) =>
    f.timeline.map((t) => ({ profile: f.profile, mode_label: MODE_LABEL[t.mode] ?? t.mode, pos: t.pos, ready_ms: t.ready_ms, done_ms: t.done_ms, write_ms: t.write_ms })),
  );
  const enc = { y: { field: 'pos', type: 'ordinal' as const, title: 'request (1 = slow)' } };
  return {
    id: 'hol-app-timeline',
    title: 'Per request: ready (alone) vs reached the client',
    caption: 'Grey tick: when the request would have arrived had nothing been ahead of it (its write + its time alone); dot: when it arrived (medians, ms since the batch started). The bar between them is blocked time.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { row: { field: 'mode_label', type: 'nominal', title: null, sort: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m) }, column: { field: 'profile', type: 'nominal', title: null } },
      spec: {
        width: 360,
        height: { step: 12 },
        layer: [
          { mark: { type: 'rule', strokeWidth: 3, opacity: 0.5 }, encoding: { ...enc, x: { field: 'ready_ms', type: 'quantitative', title: 'ms since batch start' }, x2: { field: 'done_ms' }, color: modeColor() } },
          { mark: { type: 'tick', color: '#888', thickness: 2 }, encoding: { ...enc, x: { field: 'ready_ms', type: 'quantitative' } } },
          {
            mark: { type: 'point', filled: true, size: 40 },
            encoding: {
              ...enc,
              x: { field: 'done_ms', type: 'quantitative' },
              color: modeColor(),
              tooltip: [{ field: 'mode_label', title: 'mode' }, { field: 'pos', title: 'request' }, { field: 'write_ms', title: 'written (ms)' }, { field: 'ready_ms', title: 'ready alone (ms)' }, { field: 'done_ms', title: 'arrived (ms)' }],
            },
          },
        ],
      },
    },
  };
}

function batchChart(app: readonly AppFigures[]): ChartSpec {
  const values = app.flatMap((f) => [...f.batch.entries()].map(([mode, d]) => ({ profile: f.profile, mode_label: MODE_LABEL[mode] ?? mode, median: round4(d.median), lo: round4(d.ci_low), hi: round4(d.ci_high), n: d.n })));
  return {
    id: 'hol-app-batch',
    title: 'Batch completion time (10 requests, the first one slow)',
    caption: 'Median time until the last response of the batch arrived, with its 95 % CI.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { column: { field: 'profile', type: 'nominal', title: null } },
      spec: {
        width: 300,
        height: { step: 20 },
        layer: [
          { mark: { type: 'bar' }, encoding: { y: { field: 'mode_label', type: 'nominal', title: null, sort: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m) }, x: { field: 'median', type: 'quantitative', title: 'batch time (ms)' }, color: { ...modeColor(), legend: null }, tooltip: [{ field: 'mode_label' }, { field: 'median' }, { field: 'lo' }, { field: 'hi' }, { field: 'n' }] } },
          { transform: [CI_PRESENT], mark: { type: 'rule' }, encoding: { y: { field: 'mode_label', type: 'nominal', sort: MODE_ORDER.map((m) => MODE_LABEL[m] ?? m) }, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
        ],
      },
    },
  };
}

function lossChart(points: readonly PagePoint[]): ChartSpec {
  const values = points.map((p) => ({
    panel: `${p.profile} (RTT ${fmtMs(p.rtt_ms)}), ${p.cc}, ${p.conn}`,
    loss_pct: p.loss_pct,
    mode_label: MODE_LABEL[p.mode] ?? p.mode,
    median: round4(p.page.median),
    lo: round4(p.page.ci_low),
    hi: round4(p.page.ci_high),
    p90: round4(p.page.p90),
    n: p.page.n,
    retrans: p.retrans_median,
  }));
  const x = { field: 'loss_pct', type: 'quantitative' as const, title: 'packet loss per direction (%)' };
  return {
    id: 'hol-loss-page',
    title: 'Page time vs packet loss (1 × 100 KB + 40 × 10 KB)',
    caption: 'Median page load time per mode with its 95 % CI (bars) and p90 (open circles); log scale; one panel per profile × congestion control × connection start. Where the h1 × 6 line falls below h2 × 1, six TCP connections beat one multiplexed one.',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 2,
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 320,
        height: 240,
        layer: [
          { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'median', type: 'quantitative', title: 'page time (ms)', scale: { type: 'log' } }, color: modeColor(), tooltip: [{ field: 'mode_label' }, { field: 'loss_pct' }, { field: 'median' }, { field: 'lo' }, { field: 'hi' }, { field: 'p90' }, { field: 'n' }, { field: 'retrans', title: 'retransmitted segments (median)' }] } },
          { transform: [CI_PRESENT], mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: modeColor() } },
          { mark: { type: 'point', filled: false, shape: 'circle' }, encoding: { x, y: { field: 'p90', type: 'quantitative' }, color: modeColor() } },
        ],
      },
    },
  };
}

function retransChart(points: readonly PagePoint[]): ChartSpec {
  const values = points.map((p) => ({ panel: `${p.profile}, ${p.cc}, ${p.conn}`, loss_pct: p.loss_pct, mode_label: MODE_LABEL[p.mode] ?? p.mode, retrans: p.retrans_median }));
  return {
    id: 'hol-loss-retrans',
    title: 'Retransmitted TCP segments per page',
    caption: 'Median RetransSegs of both namespaces per page load (kernel counters, /proc/<pid>/net/snmp).',
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 4,
      spec: { width: 260, height: 180, mark: { type: 'line', point: true }, encoding: { x: { field: 'loss_pct', type: 'quantitative', title: 'loss (%)' }, y: { field: 'retrans', type: 'quantitative', title: 'segments' }, color: modeColor() } },
    },
  };
}

function loadCharts(rows: readonly CsvRow[]): ChartSpec[] {
  const closed = rows.filter((r) => r.loop === 'closed' && r.keep_alive === '1' && (r.error ?? '') === '');
  const values = closed.map((r) => ({
    profile: r.profile,
    series: r.protocol === 'h1' ? `h1 pipelined, ${r.total_concurrency} in flight` : `h2 streams, ${r.total_concurrency} in flight`,
    per_connection: num(r.per_connection),
    rps: num(r.requests_per_s),
    p50_ms: (num(r.lat_p50_us) ?? Number.NaN) / 1000,
    p99_ms: (num(r.lat_p99_us) ?? Number.NaN) / 1000,
    errors: num(r.errors),
  }));
  const x = { field: 'per_connection', type: 'quantitative' as const, title: 'requests in flight per connection', scale: { type: 'log' as const } };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: { labelLimit: 300 } };
  return [
    {
      id: 'hol-load-rps',
      title: 'Throughput vs pipelining depth / streams per connection (closed loop)',
      caption: 'Requests per second at a fixed total concurrency: more per connection means fewer connections. Closed loop: each slot waits for its answer.',
      spec: { $schema: SCHEMA, data: { values }, facet: { column: { field: 'profile', type: 'nominal', title: null } }, spec: { width: 280, height: 200, mark: { type: 'line', point: true }, encoding: { x, y: { field: 'rps', type: 'quantitative', title: 'requests/s' }, color, tooltip: [{ field: 'series' }, { field: 'per_connection' }, { field: 'rps' }, { field: 'p99_ms' }, { field: 'errors' }] } } },
    },
    {
      id: 'hol-load-latency',
      title: 'Latency p50 and p99 vs requests per connection (closed loop)',
      caption: 'Solid: p99; dashed: p50 (µs histogram, shown in ms).',
      spec: {
        $schema: SCHEMA,
        data: { values },
        facet: { column: { field: 'profile', type: 'nominal', title: null } },
        spec: {
          width: 280,
          height: 200,
          layer: [
            { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'p99_ms', type: 'quantitative', title: 'latency (ms)' }, color } },
            { mark: { type: 'line', strokeDash: [4, 3] }, encoding: { x, y: { field: 'p50_ms', type: 'quantitative' }, color } },
          ],
        },
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Tables

function appTable(app: readonly AppFigures[]): Table {
  const rows: Cell[][] = [];
  for (const f of app) {
    for (const mode of MODE_ORDER) {
      const d = f.fast_delay.get(mode);
      const b = f.fast_blocked.get(mode);
      const batch = f.batch.get(mode);
      if (!d && !batch) continue;
      rows.push([f.profile, MODE_LABEL[mode] ?? mode, round4(d?.median ?? null), round4(b?.median ?? null), round4(batch?.median ?? null), batch ? `${fmtMs(batch.ci_low)} – ${fmtMs(batch.ci_high)}` : '', batch?.n ?? null]);
    }
  }
  return {
    title: 'Application-level HOL: fast requests behind one slow one',
    columns: [
      { label: 'profile' },
      { label: 'mode' },
      { label: 'fast: later than alone (median)', unit: 'ms', numeric: true },
      { label: 'fast: blocked after sent (median)', unit: 'ms', numeric: true },
      { label: 'batch time (median)', unit: 'ms', numeric: true },
      { label: 'batch 95 % CI', unit: 'ms' },
      { label: 'batches', numeric: true },
    ],
    rows,
  };
}

function pageTable(points: readonly PagePoint[]): Table {
  return {
    title: 'Transport-level HOL: page time vs loss',
    columns: [
      { label: 'profile' },
      { label: 'CC' },
      { label: 'connections' },
      { label: 'loss', unit: '%', numeric: true },
      { label: 'mode' },
      { label: 'median', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms' },
      { label: 'p90', unit: 'ms', numeric: true },
      { label: 'p90 95 % CI', unit: 'ms' },
      { label: 'retransmits (median)', numeric: true },
      { label: 'pages', numeric: true },
      { label: 'errors', numeric: true },
    ],
    rows: points.map((p) => [
      p.profile,
      p.cc,
      p.conn,
      p.loss_pct,
      MODE_LABEL[p.mode] ?? p.mode,
      round4(p.page.median),
      `${fmtMs(p.page.ci_low)} – ${fmtMs(p.page.ci_high)}`,
      round4(p.page.p90),
      `${fmtMs(p.page.p90_ci_low)} – ${fmtMs(p.page.p90_ci_high)}`,
      p.retrans_median,
      p.page.n,
      p.errors,
    ]),
  };
}

function loadTable(rows: readonly CsvRow[]): Table {
  return {
    title: 'Load runs (load.csv)',
    columns: [
      { label: 'profile' },
      { label: 'driver' },
      { label: 'loop' },
      { label: 'keep-alive' },
      { label: 'conns × per conn' },
      { label: 'target', unit: 'req/s', numeric: true },
      { label: 'achieved', unit: 'req/s', numeric: true },
      { label: 'p50', unit: 'ms', numeric: true },
      { label: 'p99', unit: 'ms', numeric: true },
      { label: 'errors / timeouts / resets / non-2xx' },
      { label: 'send lag p99', unit: 'ms', numeric: true },
    ],
    rows: rows.map((r) => [
      r.profile ?? '',
      r.driver || (r.error ? `failed: ${r.error}` : ''),
      r.loop ?? '',
      r.keep_alive === '1' ? 'yes' : 'no',
      `${r.connections} × ${r.per_connection}`,
      num(r.rate_rps_target),
      num(r.requests_per_s),
      round4((num(r.lat_p50_us) ?? Number.NaN) / 1000),
      round4((num(r.lat_p99_us) ?? Number.NaN) / 1000),
      `${r.errors ?? ''} / ${r.timeouts ?? ''} / ${r.resets ?? ''} / ${r.non_2xx ?? ''}`,
      round4((num(r.send_lag_p99_us) ?? Number.NaN) / 1000),
    ]),
  };
}

export function buildHol(run: RunFolder): SectionOutput {
  const appRows = readExtra(run.dir, 'hol-app');
  const pageRows = readExtra(run.dir, 'hol-pages');
  const loadRows = readExtra(run.dir, 'load');
  const app = appFigures(appRows);
  const points = pagePoints(pageRows);
  const specs: ChartSpec[] = [];
  const tables: Table[] = [];
  if (app.length) {
    specs.push(timelineChart(app), batchChart(app));
    tables.push(appTable(app));
  }
  if (points.length) {
    specs.push(lossChart(points), retransChart(points));
    tables.push(pageTable(points));
  }
  if (loadRows.length) {
    specs.push(...loadCharts(loadRows));
    tables.push(loadTable(loadRows));
  }
  const caveats: string[] = [
    'Unblocked time = the same request measured alone on a warm connection of the same protocol; "blocked" = arrival − (write + unblocked). The server\'s own ready time is not reported, so it is inferred this way on the client clock.',
    'The page requests all 41 resources at t = 0 (the document → sub-resource dependency is left out). "fresh": the connects are part of the page time, so h1 × 6 also pays six handshakes (a lost SYN costs a 1 s RTO) and gains six initial windows; "preconnected": connections opened just before, untimed, so only losses during the transfer count.',
    'HTTP/2 uses browser-sized flow-control windows (15 MB session, 6 MB stream, as Chrome); with node\'s 64 KiB defaults h2 would be flow-control-bound, not TCP-bound.',
    'Loss rates are applied by the link within the run; samples.csv\'s loss_pct_configured shows the profile\'s own value — the loss of a case is in its variant and case key.',
  ];
  for (const s of pageRows.filter((r) => (r.skipped ?? '') !== '')) caveats.push(`${(s.loss_pct ?? '') !== '' ? `loss ${s.loss_pct} %` : s.congestion_control} skipped: ${s.skipped}`);
  if (loadRows.some((r) => r.loop === 'closed')) caveats.push('Closed-loop load rows (loop = closed) hide queueing (coordinated omission); the open-loop rows measure from the intended send time at 80 % of the closed-loop throughput of the same shape.');
  if (appRows.some((r) => r.congestion_control === 'bbr' && r.mode === 'h2_streams')) {
    caveats.push(
      'Under bbr the server paces each connection at its bandwidth estimate, which for a connection that has only carried 1 KB answers is low: the nine fast h2 responses on one connection leave spread over ~10 ms, so some arrive later than 1.1 × alone — pacing, not head-of-line blocking (six h1 connections get six pacing budgets). With --cc reno (no pacing without the fq qdisc) every h2 fast response arrives within 1.1 × alone (measured here: +2.7 to +3.3 ms).',
    );
  }
  const errs = app.reduce((a, f) => a + f.errors, 0);
  if (errs) caveats.push(`${errs} application-level requests failed (errors are in hol-app.csv).`);
  return {
    claimSentence:
      'HTTP/1.1 pipelining needs keep-alive but a slow response blocks those queued behind it (C4); HTTP/2 multiplexes streams on one connection and beats HTTP/1.1 keep-alive — but one lost packet stalls all its streams (C5).',
    verdicts: [verdictC4(app), verdictC5(app, points)],
    specs,
    tables,
    caveats,
  };
}

export const holSection: ReportSection = {
  scenario: 'hol',
  build: buildHol,
};
