/**
 * The hol scenario's figures and verdicts: C4 (pipelining suffers head-of-line blocking) from hol-app.csv (per
 * request: when it would have arrived alone vs when it did), C5 (HTTP/2 multiplexing beats HTTP/1.1) from the
 * same file and from hol-pages.csv (page time vs packet loss: TCP's own head-of-line blocking). Pure: rows in,
 * figures and verdicts out; the charts, tables and caveats are in view.ts.
 */
import { quantileSummary, type QuantileSummary } from '../../../lib/stats-summary.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs, round4 } from '../../format.ts';
import { num } from '../../rows.ts';
import { pipeliningFigures, pipeliningWords, type PipeliningFigures } from './pipelining.ts';
import type { Verdict, VerdictKind } from '../types.ts';

/** Pipelined fast responses count as "delayed by D" when at least D minus this much later than alone (RTT noise). */
export const BLOCK_TOLERANCE_MS = 5;
/** Issue 8: h2's fast responses finish within this factor of their unblocked time. */
export const H2_UNBLOCKED_FACTOR = 1.1;

/** The transport modes in the order the charts and tables show them. */
export const MODE_ORDER = ['h1_serial', 'h1_pipelined', 'h1_6conn', 'h2_streams'];

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

// ---------------------------------------------------------------------------------------------
// Application-level HOL (hol-app.csv)

export interface AppFigures {
  profile: string;
  rtt_ms: number | null;
  delay_ms: number;
  /** Per mode: distribution of fast requests' delay vs alone (from batch start), and of blocked time. */
  fast_delay: Map<string, QuantileSummary>;
  fast_blocked: Map<string, QuantileSummary>;
  batch: Map<string, QuantileSummary>;
  /** Pipelined fast responses delayed ≥ D − tolerance, of all. */
  pipelined_delayed: { ok: number; n: number };
  /** Pipelined requests that got no response (a server that closes, or answers out of turn), of all sent. */
  pipelined_failed: { failed: number; n: number; first_error: string | null };
  /** h2 fast responses done within H2_UNBLOCKED_FACTOR × their unblocked time, of all. */
  h2_within: { ok: number; n: number };
  /** Median per mode × position of ready_ms (write + unblocked) and done_ms, for the timeline chart. */
  timeline: Array<{
    mode: string;
    pos: number;
    ready_ms: number | null;
    done_ms: number | null;
    write_ms: number | null;
  }>;
  errors: number;
}

export function appFigures(rows: readonly CsvRow[]): AppFigures[] {
  const measured = rows.filter((r) => r.warmup !== '1');
  const out: AppFigures[] = [];
  for (const [profile, prs] of groupBy(measured, (r) => r.profile ?? '')) {
    const delay_ms = Math.max(0, ...prs.map((r) => num(r.server_delay_ms) ?? 0));
    const ok = prs.filter((r) => (r.error ?? '') === '');
    const fast_delay = new Map<string, QuantileSummary>();
    const fast_blocked = new Map<string, QuantileSummary>();
    const batch = new Map<string, QuantileSummary>();
    for (const [mode, mrs] of groupBy(ok, (r) => r.mode ?? '')) {
      const fast = mrs.filter((r) => r.req === 'fast');
      fast_delay.set(mode, quantileSummary(fast.map((r) => num(r.delay_vs_alone_ms) ?? Number.NaN)));
      fast_blocked.set(mode, quantileSummary(fast.map((r) => num(r.blocked_ms) ?? Number.NaN)));
      const perBatch = groupBy(mrs, (r) => r.batch_id ?? '');
      batch.set(mode, quantileSummary([...perBatch.values()].map((b) => num(b[0]?.batch_ms) ?? Number.NaN)));
    }
    const piped = ok.filter((r) => r.mode === 'h1_pipelined' && r.req === 'fast');
    const pipedSent = prs.filter((r) => r.mode === 'h1_pipelined');
    const pipedFailed = pipedSent.filter((r) => (r.error ?? '') !== '');
    const h2 = ok.filter((r) => r.mode === 'h2_streams' && r.req === 'fast');
    const timeline: AppFigures['timeline'] = [];
    for (const [k, trs] of groupBy(ok, (r) => `${r.mode}|${r.pos}`)) {
      const [mode = '', pos = '0'] = k.split('|');
      const med = (c: string): number | null => quantileSummary(trs.map((r) => num(r[c]) ?? Number.NaN)).median;
      timeline.push({
        mode,
        pos: Number(pos),
        ready_ms: round4(med('ready_ms')),
        done_ms: round4(med('done_ms')),
        write_ms: round4(med('write_ms')),
      });
    }
    out.push({
      profile,
      rtt_ms: num(prs[0]?.rtt_ms_calibrated),
      delay_ms,
      fast_delay,
      fast_blocked,
      batch,
      pipelined_delayed: {
        ok: piped.filter((r) => (num(r.delay_vs_alone_ms) ?? -1) >= delay_ms - BLOCK_TOLERANCE_MS).length,
        n: piped.length,
      },
      pipelined_failed: {
        failed: pipedFailed.length,
        n: pipedSent.length,
        first_error: pipedFailed[0]?.error ?? null,
      },
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

export function verdictC4(figs: readonly AppFigures[], check: PipeliningFigures | null = null): Verdict {
  const rule = `confirmed when every pipelined fast response arrives at least D − ${BLOCK_TOLERANCE_MS} ms later than it does alone while h1 × 6 and h2 fast responses are blocked less than D/4 (medians)`;
  const f = figs.find((x) => x.pipelined_delayed.n > 0);
  const refused = figs.find((x) => x.pipelined_failed.failed > 0)?.pipelined_failed ?? null;
  const checkFailed = check !== null && check.in_turn < check.sent;
  const refusedWords =
    [
      refused
        ? `the server under test did not answer ${refused.failed} of ${refused.n} pipelined requests (${refused.first_error})`
        : '',
      checkFailed ? `pipelining check: ${pipeliningWords(check)}` : '',
    ]
      .filter(Boolean)
      .join('; ') || null;
  if (!f)
    return {
      claim: 'C4',
      kind: 'depends',
      figure: refusedWords ?? (check ? `pipelining check: ${pipeliningWords(check)}` : 'no pipelined batches measured'),
      reason: refusedWords
        ? 'the server under test does not answer pipelined requests in turn'
        : check
          ? 'the server answers pipelined requests in turn, but without a slow route (--slow-path) the blocking itself was not measured'
          : 'no HTTP/1.1 pipelining in this run (a server under test that speaks only HTTP/2)',
      numbers: check ? { pipelined_in_turn: check.in_turn, pipelined_sent: check.sent } : {},
      rule,
    };
  const piped = f.fast_blocked.get('h1_pipelined')?.median ?? null;
  const six = f.fast_blocked.get('h1_6conn')?.median ?? null;
  const h2 = f.fast_blocked.get('h2_streams')?.median ?? null;
  const allDelayed = f.pipelined_delayed.ok === f.pipelined_delayed.n;
  // h2 is left out for a server under test that speaks only HTTP/1.1: h1 × 6 is then the one unblocked way.
  const h2Measured = f.batch.has('h2_streams');
  const othersFree = (six ?? Infinity) < f.delay_ms / 4 && (!h2Measured || (h2 ?? Infinity) < f.delay_ms / 4);
  const kind: VerdictKind = allDelayed && othersFree ? 'confirmed' : allDelayed ? 'depends' : 'refuted';
  const v: Verdict = {
    claim: 'C4',
    kind,
    figure: `behind a ${f.delay_ms} ms response, ${f.pipelined_delayed.ok}/${f.pipelined_delayed.n} pipelined fast responses arrived ≥ ${f.delay_ms - BLOCK_TOLERANCE_MS} ms late (median blocked ${fmtMs(piped)}); h1 × 6 ${fmtMs(six)}, h2 ${h2Measured ? fmtMs(h2) : 'not measured'} (${f.profile}, RTT ${fmtMs(f.rtt_ms)})`,
    numbers: {
      delay_ms: f.delay_ms,
      pipelined_blocked_median_ms: piped,
      h1_6conn_blocked_median_ms: six,
      h2_blocked_median_ms: h2,
      pipelined_delayed: f.pipelined_delayed.ok,
      pipelined_n: f.pipelined_delayed.n,
    },
    rule,
  };
  if (refusedWords) {
    v.figure += `; ${refusedWords}`;
    v.kind = 'depends';
    v.reason = 'some pipelined requests were not answered in turn';
    return v;
  }
  if (check) v.figure += `; pipelining check: ${pipeliningWords(check)}`;
  if (kind !== 'confirmed')
    v.reason = allDelayed ? 'other modes were blocked too' : 'some pipelined responses were not held back';
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
  page: QuantileSummary;
  retrans_median: number | null;
  errors: number;
}

export function pagePoints(rows: readonly CsvRow[]): PagePoint[] {
  const measured = rows.filter((r) => r.warmup === '0' && (r.skipped ?? '') === '');
  const out: PagePoint[] = [];
  for (const [, rs] of groupBy(
    measured,
    (r) => `${r.profile}|${r.congestion_control}|${r.conn_start || 'fresh'}|${r.loss_pct}|${r.mode}`,
  )) {
    const r0 = rs[0];
    if (!r0) continue;
    out.push({
      profile: r0.profile ?? '',
      rtt_ms: num(r0.rtt_ms_calibrated) ?? num(r0.rtt_ms_configured),
      cc: r0.congestion_control ?? '',
      conn: r0.conn_start || 'fresh',
      loss_pct: num(r0.loss_pct) ?? 0,
      mode: r0.mode ?? '',
      page: quantileSummary(rs.map((r) => num(r.page_ms) ?? Number.NaN)),
      retrans_median: quantileSummary(
        rs.map((r) => (num(r.retrans_segs_server) ?? Number.NaN) + (num(r.retrans_segs_client) ?? 0)),
      ).median,
      errors: rs.reduce((a, r) => a + (num(r.errors) ?? 0), 0),
    });
  }
  return out.sort(
    (a, b) =>
      a.profile.localeCompare(b.profile) ||
      a.cc.localeCompare(b.cc) ||
      a.conn.localeCompare(b.conn) ||
      a.loss_pct - b.loss_pct ||
      MODE_ORDER.indexOf(a.mode) - MODE_ORDER.indexOf(b.mode),
  );
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
    // A crossover needs both: a server under test that speaks one protocol has pages of only one.
    if (!ps.some((p) => p.mode === 'h2_streams') || !ps.some((p) => p.mode === 'h1_6conn')) continue;
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
        found = {
          profile: ps[0]?.profile ?? '',
          cc: ps[0]?.cc ?? '',
          conn: ps[0]?.conn ?? '',
          rtt_ms: ps[0]?.rtt_ms ?? null,
          loss_pct: loss,
          clear,
          h2_ms: h2.median,
          h1x6_ms: six.median,
          ratios,
        };
      }
    }
    out.push(
      found
        ? { ...found, ratios }
        : {
            profile: ps[0]?.profile ?? '',
            cc: ps[0]?.cc ?? '',
            conn: ps[0]?.conn ?? '',
            rtt_ms: ps[0]?.rtt_ms ?? null,
            loss_pct: null,
            clear: false,
            h2_ms: null,
            h1x6_ms: null,
            ratios,
          },
    );
  }
  return out;
}

export function verdictC5(app: readonly AppFigures[], points: readonly PagePoint[]): Verdict {
  const rule = `confirmed when h2 × 1 loads the page no slower than h1 × 6 (median) at every loss rate measured; "depends" when h1 × 6 overtakes h2 at some loss rate (the crossover); refuted when h1 × 6 is faster already without loss. The share of h2 fast responses within ${H2_UNBLOCKED_FACTOR}× their unblocked time (issue 8's goal) is reported beside it`;
  const cross = crossovers(points);
  const f = app.find((x) => x.h2_within.n > 0);
  const h2Free = f ? f.h2_within.ok / f.h2_within.n : null;
  const parts: string[] = [];
  if (f)
    parts.push(
      `app level: ${f.h2_within.ok}/${f.h2_within.n} h2 fast responses within ${H2_UNBLOCKED_FACTOR}× their unblocked time; batch median h2 ${fmtMs(f.batch.get('h2_streams')?.median ?? null)} vs h1 × 6 ${fmtMs(f.batch.get('h1_6conn')?.median ?? null)} vs serial ${fmtMs(f.batch.get('h1_serial')?.median ?? null)}`,
    );
  for (const c of cross) {
    const at = (loss: number): string => {
      const same = (p: PagePoint): boolean =>
        p.profile === c.profile && p.cc === c.cc && p.conn === c.conn && p.loss_pct === loss;
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
  const measured = (mode: string): boolean => points.some((p) => p.mode === mode) || app.some((a) => a.batch.has(mode));
  const missing = ['h2_streams', 'h1_6conn'].filter((m) => !measured(m));
  if (missing.length > 0 && (points.length > 0 || app.length > 0))
    return {
      claim: 'C5',
      kind: 'depends',
      figure: parts.join('; ') || 'no comparison',
      reason: `needs HTTP/2 and HTTP/1.1 × 6 both; this run has no ${missing.map((m) => (m === 'h2_streams' ? 'HTTP/2' : 'HTTP/1.1')).join(' or ')} cases (a server under test that speaks one protocol)`,
      numbers: {},
      rule,
    };
  const anyCross = cross.some((c) => c.loss_pct !== null && c.loss_pct > 0);
  const crossAtZero = cross.some((c) => c.loss_pct === 0);
  let kind: VerdictKind;
  let reason: string | undefined;
  if (cross.length === 0 && !f)
    return { claim: 'C5', kind: 'depends', figure: 'no h2 data', reason: 'no data', numbers: {}, rule };
  const h2Batch = f?.batch.get('h2_streams')?.median ?? null;
  const sixBatch = f?.batch.get('h1_6conn')?.median ?? null;
  if (crossAtZero) {
    kind = 'refuted';
    reason = 'h1 × 6 loads the page faster than h2 even without loss';
  } else if (anyCross) {
    kind = 'depends';
    reason = `on packet loss: h1 × 6 overtakes h2 from ${cross
      .filter((c) => c.loss_pct !== null)
      .map((c) => `${c.loss_pct} % (${c.profile}/${c.cc}/${c.conn})`)
      .join(', ')}`;
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
// The section's figures, from its three files

/** The rows of the section's CSV files; a file the run did not write has none. */
export interface HolRows {
  pipelining: readonly CsvRow[];
  app: readonly CsvRow[];
  pages: readonly CsvRow[];
  load: readonly CsvRow[];
}

/** A page case that was not run, and why (a congestion control the host does not allow, a link that cannot drop packets). */
export interface SkippedPages {
  loss_pct: string | undefined;
  congestion_control: string | undefined;
  reason: string;
}

export interface HolFigures {
  /** The pipelining check (null: not run, e.g. a server that speaks only h2). */
  pipelining: PipeliningFigures | null;
  app: AppFigures[];
  points: PagePoint[];
  /** load.csv as written: each row is already the load driver's summary of one run. */
  load: readonly CsvRow[];
  skipped: SkippedPages[];
  /** Some load runs were closed-loop, which hides queueing. */
  closed_loop_load: boolean;
  /** The app part ran h2 under bbr, whose pacing delays h2's fast responses. */
  bbr_h2_app: boolean;
  /** Failed application-level requests, all profiles. */
  app_errors: number;
}

export function holFigures(rows: HolRows): HolFigures {
  const app = appFigures(rows.app);
  return {
    pipelining: pipeliningFigures(rows.pipelining),
    app,
    points: pagePoints(rows.pages),
    load: rows.load,
    skipped: rows.pages
      .filter((r) => (r.skipped ?? '') !== '')
      .map((r) => ({ loss_pct: r.loss_pct, congestion_control: r.congestion_control, reason: r.skipped ?? '' })),
    closed_loop_load: rows.load.some((r) => r.loop === 'closed'),
    bbr_h2_app: rows.app.some((r) => r.congestion_control === 'bbr' && r.mode === 'h2_streams'),
    app_errors: app.reduce((a, f) => a + f.errors, 0),
  };
}

export function holVerdicts(figs: HolFigures): Verdict[] {
  return [verdictC4(figs.app, figs.pipelining), verdictC5(figs.app, figs.points)];
}
