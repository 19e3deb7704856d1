/**
 * The hol scenario's figures and verdicts: C4 (pipelining suffers head-of-line blocking) from hol-app.csv (per
 * request: when it would have arrived alone vs when it did), C5 (HTTP/2 multiplexing beats HTTP/1.1) from the
 * same file and from hol-pages.csv (page time vs packet loss: TCP's own head-of-line blocking). Pure: rows in,
 * figures and verdicts out; the charts, tables and caveats are in view.ts.
 */
import { hodgesLehmann } from '../../../lib/stats-rank-tests.ts';
import { quantileSummary, type QuantileSummary } from '../../../lib/stats-summary.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs, round4 } from '../../format.ts';
import { groupBy, num } from '../../rows.ts';
import { pipeliningFigures, pipeliningWords, type PipeliningFigures } from './pipelining.ts';
import { C4_SHARE_THRESHOLD, c4Evidence, c4Outcome, heldBackCi, notAllHeldWords } from './c4-evidence.ts';
import type { AppFigures } from './app-figures.ts';

export type { AppFigures } from './app-figures.ts';
import type { Verdict, VerdictKind } from '../types.ts';

/** Pipelined fast responses count as "delayed by D" when at least D minus this much later than alone (RTT noise). */
export const BLOCK_TOLERANCE_MS = 5;
/** Issue 8: h2's fast responses finish within this factor of their unblocked time. */
export const H2_UNBLOCKED_FACTOR = 1.1;

/** The transport modes in the order the charts and tables show them. */
export const MODE_ORDER = ['h1_serial', 'h1_pipelined', 'h1_6conn', 'h2_streams'];

// ---------------------------------------------------------------------------------------------
// Application-level HOL (hol-app.csv)

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
    const held = (r: CsvRow): boolean => (num(r.delay_vs_alone_ms) ?? -1) >= delay_ms - BLOCK_TOLERANCE_MS;
    const pipedBatches = groupBy(piped, (r) => `${r.rep ?? ''}|${r.batch_id ?? ''}`);
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
      pipelined_delayed: { ok: piped.filter(held).length, n: piped.length },
      pipelined_batches_held: {
        ok: [...pipedBatches.values()].filter((b) => b.every(held)).length,
        n: pipedBatches.size,
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
  const rule = `confirmed when every pipelined fast response arrives at least D − ${BLOCK_TOLERANCE_MS} ms later than it does alone while h1 × 6 and h2 fast responses are blocked less than D/4 (medians); strong evidence when the Wilson 95 % CI of the share of batches held back (a batch's responses share one slow response: the batch is the unit) lies above ${C4_SHARE_THRESHOLD} (below it for a refutation; across it: inconclusive) and the CIs of the other modes' medians lie below D/4`;
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
  if (!f) {
    const ev = c4Evidence(undefined, check, refused, refusedWords ? 'unanswered' : 'no_blocking_measured');
    return {
      claim: 'C4',
      kind: 'depends',
      figure: refusedWords ?? (check ? `pipelining check: ${pipeliningWords(check)}` : 'no pipelined batches measured'),
      reason: refusedWords
        ? 'the server under test does not answer pipelined requests in turn'
        : check
          ? 'the server answers pipelined requests in turn, but without a slow route (--slow-path) the blocking itself was not measured'
          : 'no HTTP/1.1 pipelining in this run (a server under test that speaks only HTTP/2)',
      numbers: { ...(check ? { pipelined_in_turn: check.in_turn, pipelined_sent: check.sent } : {}), ...ev.numbers },
      rule,
      evidence: ev.evidence,
    };
  }
  const piped = f.fast_blocked.get('h1_pipelined')?.median ?? null;
  const six = f.fast_blocked.get('h1_6conn')?.median ?? null;
  const h2 = f.fast_blocked.get('h2_streams')?.median ?? null;
  const allDelayed = f.pipelined_delayed.ok === f.pipelined_delayed.n;
  // h2 is left out for a server under test that speaks only HTTP/1.1: h1 × 6 is then the one unblocked way.
  const h2Measured = f.batch.has('h2_streams');
  const othersFree = (six ?? Infinity) < f.delay_ms / 4 && (!h2Measured || (h2 ?? Infinity) < f.delay_ms / 4);
  const kind: VerdictKind = allDelayed && othersFree ? 'confirmed' : allDelayed ? 'depends' : 'refuted';
  const ev = c4Evidence(f, check, refused, c4Outcome(refusedWords !== null, allDelayed, othersFree));
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
      ...ev.numbers,
    },
    rule,
    evidence: ev.evidence,
  };
  if (refusedWords) {
    v.figure += `; ${refusedWords}`;
    v.kind = 'depends';
    v.reason = 'some pipelined requests were not answered in turn';
    return v;
  }
  if (check) v.figure += `; pipelining check: ${pipeliningWords(check)}`;
  const held = heldBackCi(f);
  // A refutation needs most pipelined fast responses not held back; one response that was not is not that.
  if (kind === 'refuted' && held.high >= C4_SHARE_THRESHOLD) {
    v.kind = 'depends';
    v.reason = notAllHeldWords(held);
  } else if (kind !== 'confirmed')
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
  /** The page times themselves (ms), for the CI of a difference. */
  samples_ms: number[];
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
    const samples_ms = rs.map((r) => num(r.page_ms)).filter((x): x is number => x !== null);
    out.push({
      profile: r0.profile ?? '',
      rtt_ms: num(r0.rtt_ms_calibrated) ?? num(r0.rtt_ms_configured),
      cc: r0.congestion_control ?? '',
      conn: r0.conn_start || 'fresh',
      loss_pct: num(r0.loss_pct) ?? 0,
      mode: r0.mode ?? '',
      page: quantileSummary(rs.map((r) => num(r.page_ms) ?? Number.NaN)),
      samples_ms,
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

/**
 * h2 × 1 against h1 × 6 at one loss rate: the Hodges–Lehmann difference of their page times (h2 − h1×6, ms) with
 * its 95 % CI. `h2_slower` / `h2_faster` only when that CI excludes 0; `inconclusive` when it includes 0, or
 * when the samples are too few for a 95 % CI at all (fewer than 4 a side).
 */
export interface LossComparison {
  loss_pct: number;
  outcome: 'h2_slower' | 'h2_faster' | 'inconclusive';
  diff_ms: number | null;
  ci_low_ms: number | null;
  ci_high_ms: number | null;
  n_h2: number;
  n_h1x6: number;
  /** Failed requests in the pages of either mode: a page with one has no page time and is left out. */
  errors: number;
  h2_ms: number | null;
  h1x6_ms: number | null;
}

export interface Crossover {
  profile: string;
  cc: string;
  conn: string;
  rtt_ms: number | null;
  /** Lowest loss where h1 × 6 loads the page faster than h2 with the CI of the difference excluding 0; null = none. */
  loss_pct: number | null;
  /**
   * strong: the crossover's CI excludes 0, or (no crossover) h2 was faster with the CI excluding 0 at every loss;
   * inconclusive: no crossover shown, but some loss rate's CI includes 0 (or is too few samples to have one).
   */
  evidence: 'strong' | 'inconclusive';
  comparisons: LossComparison[];
}

export function compareAtLoss(loss_pct: number, h2: PagePoint | undefined, six: PagePoint | undefined): LossComparison {
  const base = {
    loss_pct,
    n_h2: h2?.samples_ms.length ?? 0,
    n_h1x6: six?.samples_ms.length ?? 0,
    errors: (h2?.errors ?? 0) + (six?.errors ?? 0),
    h2_ms: h2?.page.median ?? null,
    h1x6_ms: six?.page.median ?? null,
  };
  if (!h2?.samples_ms.length || !six?.samples_ms.length)
    return { ...base, outcome: 'inconclusive', diff_ms: null, ci_low_ms: null, ci_high_ms: null };
  const hl = hodgesLehmann(six.samples_ms, h2.samples_ms);
  // Failed pages are the slow tail of the mode that failed: without them the difference leans its way.
  const outcome =
    base.errors > 0
      ? 'inconclusive'
      : hl.low !== null && hl.low > 0
        ? 'h2_slower'
        : hl.high !== null && hl.high < 0
          ? 'h2_faster'
          : 'inconclusive';
  return { ...base, outcome, diff_ms: hl.shift, ci_low_ms: hl.low, ci_high_ms: hl.high };
}

export function crossovers(points: readonly PagePoint[]): Crossover[] {
  const out: Crossover[] = [];
  for (const [, ps] of groupBy(points, (p) => `${p.profile}|${p.cc}|${p.conn}`)) {
    // A crossover needs both: a server under test that speaks one protocol has pages of only one.
    if (!ps.some((p) => p.mode === 'h2_streams') || !ps.some((p) => p.mode === 'h1_6conn')) continue;
    const losses = [...new Set(ps.map((p) => p.loss_pct))].sort((a, b) => a - b);
    const comparisons = losses.map((loss) =>
      compareAtLoss(
        loss,
        ps.find((p) => p.loss_pct === loss && p.mode === 'h2_streams'),
        ps.find((p) => p.loss_pct === loss && p.mode === 'h1_6conn'),
      ),
    );
    const crossing = comparisons.find((c) => c.outcome === 'h2_slower');
    out.push({
      profile: ps[0]?.profile ?? '',
      cc: ps[0]?.cc ?? '',
      conn: ps[0]?.conn ?? '',
      rtt_ms: ps[0]?.rtt_ms ?? null,
      loss_pct: crossing?.loss_pct ?? null,
      evidence: crossing || comparisons.every((c) => c.outcome === 'h2_faster') ? 'strong' : 'inconclusive',
      comparisons,
    });
  }
  return out;
}

/** "1 %: h2 − h1×6 = +182 ms [95 % CI +40…+310], n = 5 + 5". */
function comparisonWords(c: LossComparison): string {
  const signed = (x: number | null): string => (x === null ? 'n/a' : `${x >= 0 ? '+' : '−'}${fmtMs(Math.abs(x))}`);
  const ci =
    c.ci_low_ms === null || c.ci_high_ms === null
      ? 'too few pages for a 95 % CI'
      : `95 % CI ${signed(c.ci_low_ms)}…${signed(c.ci_high_ms)}`;
  const failed = c.errors > 0 ? `; ${c.errors} failed request${c.errors === 1 ? '' : 's'}, their pages left out` : '';
  return `${c.loss_pct} %: h2 − h1×6 = ${signed(c.diff_ms)} [${ci}], n = ${c.n_h2} + ${c.n_h1x6}${failed}`;
}

function crossoverWords(c: Crossover): string {
  const where = `${c.profile}/${c.cc}/${c.conn}`;
  if (c.loss_pct !== null) {
    const at = c.comparisons.find((x) => x.loss_pct === c.loss_pct);
    return `${where}: h1 × 6 overtakes h2 from ${c.loss_pct} % loss (${at ? comparisonWords(at) : ''})`;
  }
  const maxLoss = Math.max(...c.comparisons.map((x) => x.loss_pct));
  if (c.evidence === 'strong')
    return `${where}: no crossover up to ${maxLoss} % loss, h2 faster at every loss rate (${comparisonWords(c.comparisons[c.comparisons.length - 1]!)})`;
  const open = c.comparisons.filter((x) => x.outcome === 'inconclusive');
  return `${where}: no crossover shown up to ${maxLoss} % loss, inconclusive at ${open.map(comparisonWords).join('; ')}`;
}

export function verdictC5(app: readonly AppFigures[], points: readonly PagePoint[]): Verdict {
  const rule = `per congestion control and connection start, at each loss rate the Hodges–Lehmann difference of page times h2 × 1 − h1 × 6 with its 95 % CI (a fixed number of pages per loss rate, planned before the run): a crossover is the lowest loss where that CI lies above 0. Confirmed when h2 is faster with the CI below 0 at every loss rate; "depends" when h1 × 6 overtakes h2 at some loss rate, or when a CI includes 0 (inconclusive at that n); refuted when h1 × 6 is faster already without loss. The share of h2 fast responses within ${H2_UNBLOCKED_FACTOR}× their unblocked time (issue 8's goal) is reported beside it`;
  const cross = crossovers(points);
  const f = app.find((x) => x.h2_within.n > 0);
  const h2Free = f ? f.h2_within.ok / f.h2_within.n : null;
  const parts: string[] = [];
  if (f)
    parts.push(
      `app level: ${f.h2_within.ok}/${f.h2_within.n} h2 fast responses within ${H2_UNBLOCKED_FACTOR}× their unblocked time; batch median h2 ${fmtMs(f.batch.get('h2_streams')?.median ?? null)} vs h1 × 6 ${fmtMs(f.batch.get('h1_6conn')?.median ?? null)} vs serial ${fmtMs(f.batch.get('h1_serial')?.median ?? null)}`,
    );
  for (const c of cross) parts.push(crossoverWords(c));
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
  if (cross.length === 0 && !f)
    return { claim: 'C5', kind: 'depends', figure: 'no h2 data', reason: 'no data', numbers: {}, rule };
  const crossing = cross.filter((c) => c.loss_pct !== null);
  const crossAtZero = crossing.some((c) => c.loss_pct === 0);
  const inconclusive = cross.filter((c) => c.loss_pct === null && c.evidence === 'inconclusive');
  const ccs = [...new Set(cross.map((c) => c.cc))];
  const h2Batch = f?.batch.get('h2_streams')?.median ?? null;
  const sixBatch = f?.batch.get('h1_6conn')?.median ?? null;
  let kind: VerdictKind;
  let reason: string | undefined;
  if (crossAtZero) {
    kind = 'refuted';
    reason = 'h1 × 6 loads the page faster than h2 even without loss (the CI of the difference excludes 0)';
  } else if (crossing.length > 0) {
    kind = 'depends';
    const byCc = ccs.map((cc) => {
      const mine = crossing.filter((c) => c.cc === cc);
      if (mine.length)
        return `${cc}: h1 × 6 overtakes h2 from ${mine.map((c) => `${c.loss_pct} % (${c.profile}/${c.conn})`).join(', ')}`;
      const open = inconclusive
        .filter((c) => c.cc === cc)
        .flatMap((c) => c.comparisons.filter((x) => x.outcome === 'inconclusive'));
      return open.length
        ? `${cc}: no crossover shown (inconclusive at ${[...new Set(open.map((x) => `${x.loss_pct} %`))].join(', ')}, n = ${Math.min(...open.map((x) => Math.min(x.n_h2, x.n_h1x6)))} pages a side)`
        : `${cc}: no crossover`;
    });
    reason = `on packet loss${ccs.length > 1 ? ' and congestion control' : ''}: ${byCc.join('; ')}`;
  } else if (inconclusive.length > 0) {
    kind = 'depends';
    const n = Math.min(...inconclusive.flatMap((c) => c.comparisons.map((x) => Math.min(x.n_h2, x.n_h1x6))));
    reason = `inconclusive at n = ${n} pages a side: no crossover shown, but the CI of the difference includes 0 at ${inconclusive
      .map(
        (c) =>
          `${c.comparisons
            .filter((x) => x.outcome === 'inconclusive')
            .map((x) => `${x.loss_pct} %`)
            .join(', ')} (${c.profile}/${c.cc}/${c.conn})`,
      )
      .join('; ')}`;
  } else if (cross.length === 0 && h2Batch !== null && sixBatch !== null && h2Batch > sixBatch * 1.1) {
    kind = 'depends';
    reason = 'h2 finished the slow-first batch later than h1 × 6';
  } else kind = 'confirmed';
  const numbers: Record<string, number | null> = { h2_fast_within_share: h2Free };
  for (const c of cross) {
    const key = `${c.profile}_${c.cc}_${c.conn}`;
    numbers[`crossover_loss_pct_${key}`] = c.loss_pct;
    numbers[`crossover_strong_${key}`] = c.evidence === 'strong' ? 1 : 0;
  }
  const v: Verdict = { claim: 'C5', kind, figure: parts.join('; '), numbers, rule };
  if (reason) v.reason = reason;
  if (cross.length > 0) {
    const sides = cross.flatMap((c) => c.comparisons.map((x) => Math.min(x.n_h2, x.n_h1x6)));
    v.evidence = {
      n: `≥ ${Math.min(...sides)} pages a side per loss rate, ${cross.length} congestion control × start case${cross.length === 1 ? '' : 's'}`,
      strength: cross.every((c) => c.evidence === 'strong') ? 'strong' : 'inconclusive',
    };
  }
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
