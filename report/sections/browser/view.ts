/**
 * The browser section's tables, charts and caveats, from its figures (analysis.ts): Chromium's page loads per
 * case and state, the flat page beside the harness's own loads of it, and what to keep in mind reading them.
 * Nothing is computed here but the layout.
 */
import { round4 } from '../../format.ts';
import type { QuantileSummary } from '../../../lib/stats-summary.ts';
import type { Cell, ChartSpec, Table } from '../types.ts';
import {
  AGREEMENT_RULE,
  CASE_LABEL,
  CASE_ORDER,
  PAGE_ORDER,
  STATE_ORDER,
  WINNER_LABEL,
  fmtPage,
  type BrowserFigures,
  type BrowserPoint,
  type HarnessComparison,
} from './analysis.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** Okabe–Ito: tells apart for colour-blind readers, reads on both backgrounds. */
const CASE_COLORS = ['#009E73', '#0072B2', '#D55E00'];
const CLIENT_COLORS = ['#E69F00', '#7F7F7F'];
const CLIENT_LABEL: Record<string, string> = { chromium: 'Chromium', harness: 'harness' };

const caseLabel = (c: string): string => CASE_LABEL[c] ?? c;
const rank = (order: readonly string[], x: string): number => (order.includes(x) ? order.indexOf(x) : order.length);
const lossLabel = (loss: number): string => `${loss} % loss`;

interface CiDatum {
  median: number | null;
  lo: number | null;
  hi: number | null;
  /** The error bar's ends: the CI, or the median itself (a bar of no length) where there is none (n < 6). */
  bar_lo: number | null;
  bar_hi: number | null;
  n: number;
}

function ciDatum(q: QuantileSummary | null): CiDatum {
  const median = round4(q?.median ?? null);
  const lo = round4(q?.ci_low ?? null);
  const hi = round4(q?.ci_high ?? null);
  return { median, lo, hi, bar_lo: lo ?? median, bar_hi: hi ?? median, n: q?.n ?? 0 };
}

function anyCi(values: readonly CiDatum[]): boolean {
  return values.some((v) => v.lo !== null && v.hi !== null);
}

/** "with its 95 % CI", or why there is none (a median's 95 % CI needs at least 6 values). */
function ciWords(values: readonly CiDatum[]): string {
  if (anyCi(values)) return 'bars: its 95 % CI where n ≥ 6';
  return `no 95 % CI: ${Math.max(0, ...values.map((v) => v.n))} or fewer loads a bar, 6 are needed`;
}

/** "440.0 – 470.0", or "no CI (n < 6)". */
function ciRange(q: QuantileSummary): string {
  if (q.n === 0) return '';
  if (q.ci_low === null || q.ci_high === null) return q.n < 6 ? 'no CI (n < 6)' : 'no CI';
  return `${round4(q.ci_low)} – ${round4(q.ci_high)}`;
}

/** "420–480 ms", "0.95–1.10 s", "980 ms–1.10 s": the unit once where both ends share it. */
function rangeWords(lo: number, hi: number): string {
  const a = fmtPage(lo);
  const b = fmtPage(hi);
  const unit = / (ms|s)$/.exec(a)?.[0];
  return unit !== undefined && b.endsWith(unit) ? `${a.slice(0, -unit.length)}–${b}` : `${a}–${b}`;
}

/** "456 ms (95 % CI 440–470 ms, n = 6)", "456 ms (no CI: n = 5 < 6)", or "—". */
export function medianWords(q: QuantileSummary | null): string {
  if (q === null || q.n === 0 || q.median === null) return '—';
  if (q.ci_low === null || q.ci_high === null)
    return `${fmtPage(q.median)} (no CI: n = ${q.n}${q.n < 6 ? ' < 6' : ''})`;
  return `${fmtPage(q.median)} (95 % CI ${rangeWords(q.ci_low, q.ci_high)}, n = ${q.n})`;
}

// ---------------------------------------------------------------------------------------------
// Tables

export function pageLoadsTable(points: readonly BrowserPoint[]): Table {
  return {
    title: 'Browser page loads (medians of the measured loads, warm-ups left out)',
    columns: [
      { label: 'profile' },
      { label: 'page' },
      { label: 'loss', unit: '%', numeric: true },
      { label: 'CC' },
      { label: 'state' },
      { label: 'case' },
      { label: 'client' },
      { label: 'n (loads with a page time)', numeric: true },
      { label: 'page time', unit: 'ms', numeric: true },
      { label: 'page time 95 % CI', unit: 'ms' },
      { label: 'connections', numeric: true },
      { label: 'new connections', numeric: true },
      { label: 'TLS resumed', numeric: true },
      { label: 'longest TLS handshake', unit: 'ms', numeric: true },
      { label: 'longest wait for a connection', unit: 'ms', numeric: true },
      { label: 'failed loads', numeric: true },
      { label: 'failed requests', numeric: true },
    ],
    rows: points.map((p): Cell[] => [
      p.profile,
      p.page,
      p.loss_pct,
      p.cc,
      p.state,
      caseLabel(p.case),
      CLIENT_LABEL[p.client] ?? p.client,
      p.page_ms.n,
      round4(p.page_ms.median),
      ciRange(p.page_ms),
      p.connections,
      p.new_connections,
      p.resumed_connections,
      round4(p.tls_ms_max),
      round4(p.wait_ms_max),
      p.failed_loads,
      p.errors,
    ]),
  };
}

function winnerCell(w: HarnessComparison['browser']['winner']): string {
  return w === null ? '—' : WINNER_LABEL[w];
}

export function harnessTable(comparisons: readonly HarnessComparison[]): Table {
  return {
    title: `Browser vs harness: the flat page (41 resources requested at once), median page times; ${AGREEMENT_RULE}`,
    columns: [
      { label: 'profile' },
      { label: 'loss', unit: '%', numeric: true },
      { label: 'CC' },
      { label: 'state' },
      { label: 'Chromium h2' },
      { label: 'Chromium h1 keep-alive' },
      { label: 'Chromium: faster' },
      { label: 'harness h2' },
      { label: 'harness h1 keep-alive' },
      { label: 'harness: faster' },
      { label: 'agree' },
      { label: 'why' },
    ],
    rows: comparisons.map((c): Cell[] => [
      c.profile,
      c.loss_pct,
      c.cc,
      c.state,
      medianWords(c.browser.h2),
      medianWords(c.browser.h1_keepalive),
      winnerCell(c.browser.winner),
      medianWords(c.harness.h2),
      medianWords(c.harness.h1_keepalive),
      winnerCell(c.harness.winner),
      c.agree === null ? (c.why.startsWith('cannot tell') ? 'cannot tell' : '—') : c.agree ? 'yes' : 'no',
      c.why,
    ]),
  };
}

// ---------------------------------------------------------------------------------------------
// Charts

/**
 * The CIs as rules, when some point has one. Every point gets a rule (of no length without a CI): a filter that
 * left a facet without data would give Vega "infinite extent" warnings there.
 */
function errorBars(values: readonly CiDatum[], x: object, color: object): object[] {
  if (!anyCi(values)) return [];
  return [
    {
      mark: { type: 'rule' },
      encoding: { ...x, y: { field: 'bar_lo', type: 'quantitative' }, y2: { field: 'bar_hi' }, color },
    },
  ];
}

export function pageTimeChart(points: readonly BrowserPoint[]): ChartSpec | null {
  const chromium = points.filter((p) => p.client === 'chromium' && p.page_ms.n > 0);
  if (chromium.length === 0) return null;
  const losses = [...new Set(chromium.map((p) => p.loss_pct))].sort((a, b) => a - b);
  const panelOf = (p: BrowserPoint): string => `${p.profile}, ${p.page} page, ${p.cc}`;
  // Points come sorted by profile and page; within those, by congestion control.
  const panels = [
    ...new Set(
      [...chromium]
        .sort(
          (a, b) =>
            a.profile.localeCompare(b.profile) ||
            rank(PAGE_ORDER, a.page) - rank(PAGE_ORDER, b.page) ||
            a.cc.localeCompare(b.cc),
        )
        .map(panelOf),
    ),
  ];
  const values = chromium.map((p) => ({
    panel: panelOf(p),
    loss_label: lossLabel(p.loss_pct),
    state: p.state,
    case_label: caseLabel(p.case),
    ...ciDatum(p.page_ms),
  }));
  const x = {
    x: { field: 'state', type: 'nominal', title: null, sort: STATE_ORDER },
    xOffset: { field: 'case_label', sort: CASE_ORDER.map(caseLabel) },
  };
  const color = {
    field: 'case_label',
    type: 'nominal',
    title: 'case',
    scale: { domain: CASE_ORDER.map(caseLabel), range: CASE_COLORS },
    legend: { labelLimit: 300 },
  };
  return {
    id: 'browser-page-time',
    title: 'Chromium: page time per case and state',
    caption: `Median page load time of Chromium (${ciWords(values)}); one column per loss rate, one row per congestion control and page. Cold: a new browser; warm: the same browser, its connections open; resumed: after the server closed them.`,
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: {
        column: { field: 'loss_label', type: 'nominal', title: null, sort: losses.map(lossLabel) },
        row: { field: 'panel', type: 'nominal', title: null, sort: panels },
      },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 220,
        height: 180,
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              ...x,
              y: { field: 'median', type: 'quantitative', title: 'page time (ms)' },
              color,
              tooltip: [
                { field: 'case_label', title: 'case' },
                { field: 'state' },
                { field: 'median', title: 'median (ms)' },
                { field: 'lo', title: 'CI low (ms)' },
                { field: 'hi', title: 'CI high (ms)' },
                { field: 'n' },
              ],
            },
          },
          ...errorBars(values, x, { value: '#555555' }),
        ],
      },
    } as ChartSpec['spec'],
  };
}

export function harnessChart(comparisons: readonly HarnessComparison[]): ChartSpec | null {
  const values = comparisons.flatMap((c) =>
    (['chromium', 'harness'] as const).flatMap((client) =>
      (['h2', 'h1_keepalive'] as const)
        .map((k) => ({ k, q: client === 'chromium' ? c.browser[k] : c.harness[k] }))
        .filter(({ q }) => q !== null)
        .map(({ k, q }) => ({
          panel: `${c.profile}, ${c.cc}`,
          loss_label: lossLabel(c.loss_pct),
          group: `${caseLabel(k)}, ${c.state}`,
          client: CLIENT_LABEL[client] ?? client,
          ...ciDatum(q),
        })),
    ),
  );
  if (values.length === 0) return null;
  const losses = [...new Set(comparisons.map((c) => c.loss_pct))].sort((a, b) => a - b);
  const groups = (['h2', 'h1_keepalive'] as const).flatMap((k) => ['cold', 'warm'].map((s) => `${caseLabel(k)}, ${s}`));
  const x = {
    x: { field: 'group', type: 'nominal', title: null, sort: groups },
    xOffset: { field: 'client', sort: ['Chromium', 'harness'] },
  };
  const color = {
    field: 'client',
    type: 'nominal',
    title: 'client',
    scale: { domain: ['Chromium', 'harness'], range: CLIENT_COLORS },
  };
  return {
    id: 'browser-vs-harness',
    title: 'The flat page: Chromium beside the harness',
    caption: `Median page time of the same page on the same link, loaded by Chromium and by the harness's own client (${ciWords(values)}): ${AGREEMENT_RULE}.`,
    spec: {
      $schema: SCHEMA,
      data: { values },
      facet: {
        column: { field: 'loss_label', type: 'nominal', title: null, sort: losses.map(lossLabel) },
        row: { field: 'panel', type: 'nominal', title: null },
      },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: 240,
        height: 180,
        layer: [
          {
            mark: { type: 'bar' },
            encoding: {
              ...x,
              y: { field: 'median', type: 'quantitative', title: 'page time (ms)' },
              color,
              tooltip: [
                { field: 'client' },
                { field: 'group', title: 'case, state' },
                { field: 'median', title: 'median (ms)' },
                { field: 'lo', title: 'CI low (ms)' },
                { field: 'hi', title: 'CI high (ms)' },
                { field: 'n' },
              ],
            },
          },
          ...errorBars(values, x, { value: '#555555' }),
        ],
      },
    } as ChartSpec['spec'],
  };
}

// ---------------------------------------------------------------------------------------------
// Caveats

/** At most this many errored cases are named one by one; the rest are counted. */
const MAX_ERROR_CAVEATS = 6;

function where(p: BrowserPoint): string {
  return `${CLIENT_LABEL[p.client] ?? p.client}, ${p.page} page, ${caseLabel(p.case)}, ${p.state}, ${p.loss_pct} % loss, ${p.cc}`;
}

function errorCaveats(points: readonly BrowserPoint[]): string[] {
  const failed = points.filter((p) => p.failed_loads > 0 || p.errors > 0);
  const out = failed
    .slice(0, MAX_ERROR_CAVEATS)
    .map(
      (p) =>
        `${p.failed_loads} of ${p.loads} loads failed, ${p.errors} failed request${p.errors === 1 ? '' : 's'} (${where(p)})${p.first_error ? `: ${p.first_error}` : ''}; the medians leave those loads out.`,
    );
  if (failed.length > MAX_ERROR_CAVEATS)
    out.push(`Loads failed in ${failed.length - MAX_ERROR_CAVEATS} more cases (browser-pages.csv has each error).`);
  return out;
}

function skippedCaveats(figs: BrowserFigures): string[] {
  const byReason = new Map<string, string[]>();
  for (const s of figs.skipped) {
    const what = [
      s.page && `${s.page} page`,
      s.case && caseLabel(s.case),
      s.loss_pct !== '' && `${s.loss_pct} % loss`,
      s.cc,
    ]
      .filter(Boolean)
      .join(', ');
    const list = byReason.get(s.reason) ?? [];
    if (what && !list.includes(what)) list.push(what);
    byReason.set(s.reason, list);
  }
  return [...byReason].map(([reason, whats]) => `Not run${whats.length ? ` (${whats.join('; ')})` : ''}: ${reason}.`);
}

function lossCaveat(figs: BrowserFigures): string {
  const lossy = figs.losses.filter((l) => l > 0);
  const ccs = figs.ccs.length ? figs.ccs.join(', ') : 'none recorded';
  const how =
    "bbr paces by its bandwidth and RTT estimates and does not back off on random loss; loss-based ones (reno, cubic) cut their window at each loss, which weighs on h2's one connection more than on h1's six";
  if (lossy.length === 0)
    return `Only loss-free links were measured (congestion control: ${ccs}); with loss, page times depend on the server's congestion control: ${how}.`;
  return `At ${lossy.join(', ')} % loss the results depend on the server's congestion control: ${how}. Measured here: ${ccs}${figs.ccs.length === 1 ? ' only' : ''}.`;
}

export function browserCaveats(figs: BrowserFigures): string[] {
  return [
    'Cold: a new Chromium (new connections, full TLS handshakes); warm: the same browser loading the page again on its open connections; resumed: the same browser after the server closed them (new connections, TLS sessions resumed where the browser has tickets).',
    `The harness's own loads (client = harness) exist for the flat page, h2 and h1 keep-alive, cold and warm: the same page on the same link, interleaved with Chromium's. A case "wins" only when the two 95 % CIs of the medians do not overlap (n ≥ 6 each); ${AGREEMENT_RULE}.`,
    ...(figs.browsers.length ? [`The browser: ${figs.browsers.join(', ')} (headless, as Playwright reports it).`] : []),
    lossCaveat(figs),
    ...skippedCaveats(figs),
    ...errorCaveats(figs.points),
  ];
}

export interface BrowserView {
  specs: ChartSpec[];
  tables: Table[];
  caveats: string[];
}

export function browserView(figs: BrowserFigures): BrowserView {
  const specs = [pageTimeChart(figs.points), harnessChart(figs.comparisons)].filter((c): c is ChartSpec => c !== null);
  // The comparison first: summary.md shows a section's first table, and the page-loads table has a row per case.
  const tables = [
    ...(figs.comparisons.length ? [harnessTable(figs.comparisons)] : []),
    ...(figs.points.length ? [pageLoadsTable(figs.points)] : []),
  ];
  return { specs, tables, caveats: browserCaveats(figs) };
}
