/**
 * The browser scenario's figures, from browser-pages.csv: per page, case, state, loss rate, congestion control
 * and client (Chromium or the harness's own client), the page time's median with its 95 % CI and the medians of
 * what the loads saw (connections, new and resumed ones, the longest TLS handshake and wait for a connection);
 * and, for the flat page, whether Chromium and the harness agree on which of h2 and h1 keep-alive is faster.
 * Pure: rows in, figures out; the words for other claims' verdicts are in addenda.ts, the view in view.ts.
 */
import { quantileSummary, type QuantileSummary } from '../../../lib/stats-summary.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs } from '../../format.ts';
import { groupBy, num } from '../../rows.ts';

/** Chromium and the harness agree when each browser median lies within this much of the harness's (same case). */
export const AGREE_MARGIN_PCT = 30;

/** The rule agreement() applies, in words (for the table, the chart and the caveats). */
export const AGREEMENT_RULE = `they agree when the faster case is the same and each Chromium median lies within ±${AGREE_MARGIN_PCT} % of the harness's or within 1 RTT of it (a browser's own per-page overhead is a few tens of ms on any link); they differ when the data show it (opposite clear winners, or a median outside that margin with the two CIs apart); otherwise they cannot tell`;

export const PAGE_ORDER = ['flat', 'document'];
export const CASE_ORDER = ['h2', 'h1_keepalive', 'h1_close'];
export const STATE_ORDER = ['cold', 'warm', 'resumed'];
export const CLIENT_ORDER = ['chromium', 'harness'];

export const CASE_LABEL: Record<string, string> = {
  h2: 'h2',
  h1_keepalive: 'h1 keep-alive',
  h1_close: 'h1 Connection: close',
};

/** The loads of one page, case, state, loss rate, congestion control and client. */
export interface BrowserPoint {
  profile: string;
  rtt_ms: number | null;
  page: string;
  case: string;
  state: string;
  loss_pct: number;
  cc: string;
  client: string;
  /** Page time (ms) of the measured loads that finished: n, median and its 95 % CI (null below n = 6). */
  page_ms: QuantileSummary;
  /** Measured (not warm-up) loads, finished or not. */
  loads: number;
  /** Loads without a page time: one of their requests failed (or the page timed out). */
  failed_loads: number;
  /** Failed requests over all its loads (the errors column summed). */
  errors: number;
  first_error: string | null;
  /** Medians over the loads that finished; null where no load has the figure (e.g. no TLS handshake when warm). */
  resources: number | null;
  connections: number | null;
  new_connections: number | null;
  resumed_connections: number | null;
  tls_ms_max: number | null;
  wait_ms_max: number | null;
}

/** A case the scenario did not run, and why (a congestion control the host does not allow, a link without loss). */
export interface SkippedCase {
  profile: string;
  loss_pct: string;
  cc: string;
  page: string;
  case: string;
  reason: string;
}

/** h2 or h1 keep-alive: the faster median with the two CIs apart; none: the CIs overlap or one is missing (n < 6). */
export type Winner = 'h2' | 'h1_keepalive' | 'none';

/** Chromium against the harness for the flat page at one profile, loss rate, congestion control and state. */
export interface HarnessComparison {
  profile: string;
  loss_pct: number;
  cc: string;
  state: string;
  browser: { h2: QuantileSummary | null; h1_keepalive: QuantileSummary | null; winner: Winner | null };
  harness: { h2: QuantileSummary | null; h1_keepalive: QuantileSummary | null; winner: Winner | null };
  /** The browser's median over the harness's for the same case, − 1, in %. */
  h2_diff_pct: number | null;
  h1_keepalive_diff_pct: number | null;
  /** true: they agree; false: the data show they differ; null: they cannot tell, or a median is missing. */
  agree: boolean | null;
  /** Why they agree or not, in words. */
  why: string;
}

export interface BrowserFigures {
  points: BrowserPoint[];
  comparisons: HarnessComparison[];
  skipped: SkippedCase[];
  /** Congestion controls and loss rates measured, in order. */
  ccs: string[];
  losses: number[];
  /** The browsers that loaded the pages, as the file names them (client_version of Chromium's rows). */
  browsers: string[];
}

/** csv-file.ts writes booleans as 1/0; a hand-made file may say true/false. */
export function isWarmup(r: CsvRow): boolean {
  const w = (r.warmup ?? '').trim().toLowerCase();
  return w === '1' || w === 'true';
}

function isSkipped(r: CsvRow): boolean {
  return (r.skipped ?? '').trim() !== '';
}

function rank(order: readonly string[], x: string): number {
  const i = order.indexOf(x);
  return i < 0 ? order.length : i;
}

export function comparePoints(a: BrowserPoint, b: BrowserPoint): number {
  return (
    a.profile.localeCompare(b.profile) ||
    rank(PAGE_ORDER, a.page) - rank(PAGE_ORDER, b.page) ||
    a.loss_pct - b.loss_pct ||
    a.cc.localeCompare(b.cc) ||
    rank(STATE_ORDER, a.state) - rank(STATE_ORDER, b.state) ||
    rank(CASE_ORDER, a.case) - rank(CASE_ORDER, b.case) ||
    rank(CLIENT_ORDER, a.client) - rank(CLIENT_ORDER, b.client)
  );
}

function medianOf(rows: readonly CsvRow[], column: string): number | null {
  return quantileSummary(rows.map((r) => num(r[column]) ?? Number.NaN)).median;
}

function pointOf(rs: readonly CsvRow[]): BrowserPoint {
  const r0 = rs[0]!;
  const finished = rs.filter((r) => num(r.page_ms) !== null);
  const failed = rs.filter((r) => num(r.page_ms) === null);
  return {
    profile: r0.profile ?? '',
    rtt_ms: num(r0.rtt_ms_calibrated) ?? num(r0.rtt_ms_configured),
    page: r0.page ?? '',
    case: r0.case ?? '',
    state: r0.state ?? '',
    loss_pct: num(r0.loss_pct) ?? 0,
    cc: r0.congestion_control ?? '',
    client: r0.client ?? '',
    page_ms: quantileSummary(finished.map((r) => num(r.page_ms) ?? Number.NaN)),
    loads: rs.length,
    failed_loads: failed.length,
    errors: rs.reduce((a, r) => a + (num(r.errors) ?? 0), 0),
    first_error: rs.find((r) => (r.error ?? '') !== '')?.error ?? null,
    resources: medianOf(finished, 'resources'),
    connections: medianOf(finished, 'connections'),
    new_connections: medianOf(finished, 'new_connections'),
    resumed_connections: medianOf(finished, 'resumed_connections'),
    tls_ms_max: medianOf(finished, 'tls_ms_max'),
    wait_ms_max: medianOf(finished, 'wait_ms_max'),
  };
}

/** One point per page, case, state, loss rate, congestion control and client (and profile), warm-ups left out. */
export function browserPoints(rows: readonly CsvRow[]): BrowserPoint[] {
  const measured = rows.filter((r) => !isSkipped(r) && !isWarmup(r));
  const key = (r: CsvRow): string =>
    [r.profile, r.page, r.case, r.state, num(r.loss_pct) ?? 0, r.congestion_control, r.client].join('|');
  return [...groupBy(measured, key).values()].map(pointOf).sort(comparePoints);
}

/**
 * Which of h2 and h1 keep-alive loads the page faster: the lower median when the two 95 % CIs do not overlap;
 * 'none' when they do or when either has no CI (n < 6); null when either has no page time at all.
 */
export function winnerOf(h2: QuantileSummary | null, h1: QuantileSummary | null): Winner | null {
  if (h2 === null || h1 === null || h2.median === null || h1.median === null) return null;
  if (h2.ci_low === null || h2.ci_high === null || h1.ci_low === null || h1.ci_high === null) return 'none';
  if (h2.ci_high < h1.ci_low) return 'h2';
  if (h1.ci_high < h2.ci_low) return 'h1_keepalive';
  return 'none';
}

/** (browser − harness) / harness in %; null without both medians (or a zero harness median). */
export function diffPct(browser: QuantileSummary | null, harness: QuantileSummary | null): number | null {
  const b = browser?.median ?? null;
  const h = harness?.median ?? null;
  if (b === null || h === null || h === 0) return null;
  return ((b - h) / h) * 100;
}

export const WINNER_LABEL: Record<Winner, string> = {
  h2: 'h2',
  h1_keepalive: 'h1 keep-alive',
  none: 'no clear winner',
};

function signedPct(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(0)} %`;
}

/** Whether two medians' 95 % CIs overlap (the data cannot tell the two apart); false without both CIs. */
function cisOverlap(a: QuantileSummary | null, b: QuantileSummary | null): boolean {
  if (a?.ci_low == null || a.ci_high == null || b?.ci_low == null || b.ci_high == null) return false;
  return a.ci_low <= b.ci_high && b.ci_low <= a.ci_high;
}

/**
 * Whether the browser's figures agree with the harness's. true: the same winner, and each browser median within
 * ±margin_pct % of the harness's or within margin_ms (1 RTT) of it. false: the data show a difference — opposite
 * clear winners, or a median outside the margin with the two CIs apart. null: they cannot tell (one side has a
 * clear winner and the other none, a median outside the margin whose CI overlaps the other's, or a median
 * without a CI: n < 6), or a median is missing.
 */
export function agreement(
  browser: HarnessComparison['browser'],
  harness: HarnessComparison['harness'],
  margin_pct: number = AGREE_MARGIN_PCT,
  margin_ms: number | null = null,
): { agree: boolean | null; why: string; h2_diff_pct: number | null; h1_keepalive_diff_pct: number | null } {
  const h2_diff_pct = diffPct(browser.h2, harness.h2);
  const h1_keepalive_diff_pct = diffPct(browser.h1_keepalive, harness.h1_keepalive);
  const base = { h2_diff_pct, h1_keepalive_diff_pct };
  if (browser.winner === null || harness.winner === null || h2_diff_pct === null || h1_keepalive_diff_pct === null)
    return { ...base, agree: null, why: 'a median is missing: nothing to compare' };
  const noCi = [browser.h2, browser.h1_keepalive, harness.h2, harness.h1_keepalive].some((q) => q?.ci_low == null);
  if (noCi) return { ...base, agree: null, why: 'cannot tell: a median without a 95 % CI (n < 6)' };
  // A browser's own per-page overhead (script, renderer and network-service hops) is a few tens of ms whatever
  // the link: on a page of a few round trips that is more than 30 %, yet less than the 1 RTT a handshake costs.
  const margin = margin_ms === null ? `±${margin_pct} %` : `±${margin_pct} % or ±1 RTT (${fmtPage(margin_ms)})`;
  const differ: string[] = [];
  const unsure: string[] = [];
  if (browser.winner !== harness.winner) {
    const text = `winner differs (browser: ${WINNER_LABEL[browser.winner]}, harness: ${WINNER_LABEL[harness.winner]})`;
    (browser.winner === 'none' || harness.winner === 'none' ? unsure : differ).push(text);
  }
  for (const [c, d] of [
    ['h2', h2_diff_pct],
    ['h1_keepalive', h1_keepalive_diff_pct],
  ] as const) {
    const gap_ms = Math.abs((browser[c]?.median ?? 0) - (harness[c]?.median ?? 0));
    if (Math.abs(d) <= margin_pct || (margin_ms !== null && gap_ms <= margin_ms)) continue;
    const text = `browser ${CASE_LABEL[c]} median ${signedPct(d)} from the harness's (outside ${margin}`;
    if (cisOverlap(browser[c], harness[c])) unsure.push(`${text}, but their CIs overlap)`);
    else differ.push(`${text})`);
  }
  if (differ.length > 0) return { ...base, agree: false, why: [...differ, ...unsure].join('; ') };
  if (unsure.length > 0) return { ...base, agree: null, why: `cannot tell: ${unsure.join('; ')}` };
  return {
    ...base,
    agree: true,
    why: `same winner (${WINNER_LABEL[browser.winner]}); medians within ${margin} (h2 ${signedPct(h2_diff_pct)}, h1 keep-alive ${signedPct(h1_keepalive_diff_pct)})`,
  };
}

/** The flat page, cold and warm, per profile, loss rate and congestion control: Chromium beside the harness. */
export function harnessComparisons(points: readonly BrowserPoint[]): HarnessComparison[] {
  const flat = points.filter((p) => p.page === 'flat' && (p.state === 'cold' || p.state === 'warm'));
  const out: HarnessComparison[] = [];
  for (const ps of groupBy(flat, (p) => `${p.profile}|${p.loss_pct}|${p.cc}|${p.state}`).values()) {
    if (!ps.some((p) => p.client === 'harness')) continue;
    const q = (client: string, c: string): QuantileSummary | null => {
      const s = ps.find((p) => p.client === client && p.case === c)?.page_ms;
      return s && s.n > 0 ? s : null;
    };
    const side = (client: string): HarnessComparison['browser'] => {
      const h2 = q(client, 'h2');
      const h1_keepalive = q(client, 'h1_keepalive');
      return { h2, h1_keepalive, winner: winnerOf(h2, h1_keepalive) };
    };
    const browser = side('chromium');
    const harness = side('harness');
    const p0 = ps[0]!;
    const verdict = agreement(browser, harness, AGREE_MARGIN_PCT, p0.rtt_ms);
    // Failed loads are left out of the medians: where one side lost some, the two are trimmed differently.
    const failed = ps.filter((p) => p.case !== 'h1_close').reduce((a, p) => a + p.failed_loads, 0);
    if (failed > 0 && verdict.agree !== null)
      Object.assign(verdict, {
        agree: null,
        why: `cannot tell: ${failed} load(s) failed and are left out; ${verdict.why}`,
      });
    out.push({ profile: p0.profile, loss_pct: p0.loss_pct, cc: p0.cc, state: p0.state, browser, harness, ...verdict });
  }
  return out;
}

function skippedCases(rows: readonly CsvRow[]): SkippedCase[] {
  return rows.filter(isSkipped).map((r) => ({
    profile: r.profile ?? '',
    loss_pct: r.loss_pct ?? '',
    cc: r.congestion_control ?? '',
    page: r.page ?? '',
    case: r.case ?? '',
    reason: (r.skipped ?? '').trim(),
  }));
}

export function browserFigures(rows: readonly CsvRow[]): BrowserFigures {
  const points = browserPoints(rows);
  return {
    points,
    comparisons: harnessComparisons(points),
    skipped: skippedCases(rows),
    ccs: [...new Set(points.map((p) => p.cc))].sort(),
    losses: [...new Set(points.map((p) => p.loss_pct))].sort((a, b) => a - b),
    browsers: [
      ...new Set(
        rows.filter((r) => r.client === 'chromium' && (r.client_version ?? '') !== '').map((r) => r.client_version!),
      ),
    ],
  };
}

/** A page time in words: "612 ms", "1.31 s" (below 100 ms with decimals: "12.3 ms"). */
export function fmtPage(ms: number | null): string {
  if (ms === null) return '—';
  if (Math.abs(ms) < 100) return fmtMs(ms);
  const r = Math.round(ms);
  return Math.abs(r) < 1000 ? `${r} ms` : `${(ms / 1000).toFixed(2)} s`;
}
