/**
 * What every load of the browser scenario shares (servers, CSV, launcher) and the conditions it sweeps: each
 * congestion control the host allows × each loss rate × the repetitions, with one warm-up round first. The
 * link and the server side's congestion control are restored on every way out.
 */
import type { CsvAppender } from '../../../lib/csv-file.ts';
import type { RunningServer, ScenarioContext } from '../types.ts';
import { ccsToRun, sweepCcAndLoss } from '../cc-loss-sweep.ts';
import { BROWSER_PAGE_COLUMNS, BROWSER_RESOURCE_COLUMNS } from './definition.ts';
import type { ResourceSeen } from './in-page.ts';
import { waitForConnection_ms, type LoadFigures } from './observe.ts';
import { browserPlan, type BrowserCase, type BrowserState, type PageKind } from './plan.ts';

type Column = (typeof BROWSER_PAGE_COLUMNS)[number];
export type BrowserRow = Parameters<CsvAppender<Column>['append']>[0];

/** The columns every browser-pages.csv row of a profile starts with. */
export interface RowHead {
  profile: string;
  rtt_ms_configured: number;
  rtt_ms_calibrated: number | null;
}

export interface BrowserSweep {
  ctx: ScenarioContext;
  h1: RunningServer;
  h2: RunningServer;
  csv: CsvAppender<Column>;
  resources_csv: CsvAppender<(typeof BROWSER_RESOURCE_COLUMNS)[number]>;
  head: RowHead;
  /** How Chromium starts inside the client namespace, and the servers' certificates it trusts. */
  launch: { executable: string; env: Record<string, string> };
  trusted_spki: string[];
  rtt_ms: number;
  page_timeout_ms: number;
  /** Browser launches and harness connection sets so far: their ids. */
  launches: number;
  harness_sets: number;
}

/** One condition of the sweep: congestion control, loss rate and repetition (rep 0: the warm-up round). */
export interface Condition {
  cc: string;
  loss_pct: number;
  /** The loss rate's place in the sweep (rounds rotate their order by it). */
  loss_index: number;
  rep: number;
  warmup: boolean;
}

export interface Round extends Condition {
  page: PageKind;
  case: BrowserCase;
}

// Longer than any pause between the loads of one launch: only closeIdle ends a connection mid-round.
const SERVER_IDLE_TIMEOUT_MS = 60_000;

/** The two TLS servers (h1 also serves the Connection: close case) and the sweep's shared state. */
export async function openSweep(
  ctx: ScenarioContext,
  launch: BrowserSweep['launch'],
  spki: (cert_pem: string) => string,
): Promise<BrowserSweep> {
  const h1 = await ctx.startServer({ protocol: 'h1', tls: true, keep_alive_timeout_ms: SERVER_IDLE_TIMEOUT_MS });
  const h2 = await ctx.startServer({
    protocol: 'h2',
    tls: true,
    max_concurrent_streams: 100,
    keep_alive_timeout_ms: SERVER_IDLE_TIMEOUT_MS,
  });
  const certs = [h1, h2].map((s) => s.clientTls('TLSv1.3')?.ca ?? null);
  if (certs.some((c) => c === null)) throw new Error('the TLS servers gave no certificate to trust');
  const base = ctx.link.params();
  return {
    ctx,
    h1,
    h2,
    csv: ctx.csv('browser-pages', BROWSER_PAGE_COLUMNS),
    resources_csv: ctx.csv('browser-resources', BROWSER_RESOURCE_COLUMNS),
    head: {
      profile: ctx.profile.name,
      rtt_ms_configured: base.rtt_ms,
      rtt_ms_calibrated: ctx.calibration.rtt_ms_calibrated,
    },
    launch,
    trusted_spki: [...new Set(certs.map((c) => spki(c!)))],
    rtt_ms: ctx.calibration.rtt_ms_calibrated ?? base.rtt_ms,
    page_timeout_ms: 3 * ctx.options.request_timeout_ms,
    launches: 0,
    harness_sets: 0,
  };
}

/** A row for a condition that was not run, and why. */
export function skippedRow(head: RowHead, cc: string, loss_pct: number | null, skipped: string): BrowserRow {
  return {
    ...head,
    loss_pct,
    congestion_control: cc,
    client: null,
    page: null,
    case: null,
    state: null,
    protocol: null,
    browser_id: null,
    rep: null,
    warmup: null,
    page_ms: null,
    resources: null,
    connections: null,
    new_connections: null,
    resumed_connections: null,
    tls_ms_max: null,
    wait_ms_max: null,
    wait_ms_mean: null,
    errors: null,
    error: null,
    client_version: null,
    skipped,
  };
}

/** Calls `round` for every condition, in order (rep 0, before the first measured ones: the warm-up round). */
export async function sweepConditions(sw: BrowserSweep, round: (c: Condition) => Promise<void>): Promise<void> {
  const { ctx } = sw;
  const plan = browserPlan(ctx.options);
  const ccs = ccsToRun(ctx, plan.ccs, (cc, reason) => sw.csv.append(skippedRow(sw.head, cc, null, reason)));
  const losses = ctx.link.capabilities.drops_packets ? plan.losses : plan.losses.filter((l) => l === 0);
  for (const l of plan.losses.filter((x) => !losses.includes(x)))
    sw.csv.append(skippedRow(sw.head, ctx.congestion_control, l, `the ${ctx.link.backend} link cannot drop packets`));
  await sweepCcAndLoss(ctx, ccs, losses, async ({ cc, loss_pct, cc_index, loss_index }) => {
    const firstRep = cc_index === 0 && loss_index === 0 ? 0 : 1;
    for (let rep = firstRep; rep <= plan.reps && !ctx.signal.aborted; rep++)
      await round({ cc, loss_pct, rep, loss_index, warmup: rep === 0 });
  });
}

export function serverFor(sw: Pick<BrowserSweep, 'h1' | 'h2'>, c: BrowserCase): RunningServer {
  return c === 'h2' ? sw.h2 : sw.h1;
}

/** One load: which round, by whom, in which state of which browser launch (or harness connection set). */
export interface LoadRecord {
  round: Round;
  client: 'chromium' | 'harness';
  state: BrowserState;
  browser_id: string;
  client_version: string;
}

/** What a load gave: its page time (null when it failed) and its errors. */
export interface LoadOutcome {
  page_ms: number | null;
  errors: number;
  error: string | null;
}

/**
 * The load's browser-pages.csv row and its browser-resources.csv rows. The harness's client has no Resource
 * Timing: its TLS, wait and resumption figures stay empty rather than be read from a different clock.
 */
export function appendLoad(
  sw: BrowserSweep,
  load: LoadRecord,
  figures: LoadFigures,
  outcome: LoadOutcome,
  resources: readonly ResourceSeen[],
): void {
  const r = load.round;
  const browser = load.client === 'chromium';
  sw.csv.append({
    ...sw.head,
    loss_pct: r.loss_pct,
    congestion_control: r.cc,
    client: load.client,
    page: r.page,
    case: r.case,
    state: load.state,
    protocol: figures.protocol,
    browser_id: load.browser_id,
    rep: r.rep,
    warmup: r.warmup,
    page_ms: outcome.page_ms === null ? null : Math.round(outcome.page_ms * 1000) / 1000,
    resources: figures.resources,
    connections: figures.connections,
    new_connections: figures.new_connections,
    resumed_connections: browser ? figures.resumed_connections : null,
    tls_ms_max: browser ? figures.tls_ms_max : null,
    wait_ms_max: browser ? figures.wait_ms_max : null,
    wait_ms_mean: browser ? figures.wait_ms_mean : null,
    errors: outcome.errors,
    error: outcome.error,
    client_version: load.client_version,
    skipped: null,
  });
  appendResources(sw, load, resources, figures.fresh_ids);
}

/** One browser-resources.csv row per response of a load; times from the load's first request. */
function appendResources(
  sw: BrowserSweep,
  load: LoadRecord,
  resources: readonly ResourceSeen[],
  fresh_ids: ReadonlySet<string>,
): void {
  const t0 = Math.min(...resources.map((x) => x.start_ms));
  const rel = (t: number): number | null =>
    Number.isFinite(t) && (t > 0 || t0 === 0) ? Math.round((t - t0) * 1000) / 1000 : null;
  const { round: r } = load;
  for (const x of resources) {
    let resource = x.name;
    try {
      const u = new URL(x.name);
      resource = u.pathname + u.search;
    } catch {
      // the harness's responses are named by their path already
    }
    sw.resources_csv.append({
      profile: sw.head.profile,
      loss_pct: r.loss_pct,
      congestion_control: r.cc,
      client: load.client,
      page: r.page,
      case: r.case,
      state: load.state,
      browser_id: load.browser_id,
      rep: r.rep,
      warmup: r.warmup,
      resource,
      protocol: x.protocol || null,
      status: x.status || null,
      conn_id: x.conn_id,
      on_new_connection: x.conn_id === null ? null : fresh_ids.has(x.conn_id),
      tls_session: x.tls_session,
      start_ms: rel(x.start_ms),
      request_ms: x.request_ms > 0 ? rel(x.request_ms) : null,
      end_ms: rel(x.end_ms),
      connect_ms: load.client === 'chromium' ? x.connect_ms : null,
      tls_ms: load.client === 'chromium' ? x.tls_ms : null,
      wait_ms:
        load.client === 'chromium' && x.request_ms > 0 ? Math.round(waitForConnection_ms(x) * 1000) / 1000 : null,
    });
  }
}

/** Connections the case's server has accepted so far (null where it keeps no count). */
export async function acceptedSoFar(sw: BrowserSweep, c: BrowserCase): Promise<number | null> {
  const stats = serverFor(sw, c).handle.stats;
  return stats === null ? null : (await stats()).connections_accepted;
}
