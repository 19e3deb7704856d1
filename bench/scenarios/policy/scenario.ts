/**
 * C7 for whatever server is under test: how long it keeps an idle connection (several connections watched at
 * once for the server's FIN, so discovering a timeout costs about one timeout, not a search), what its
 * responses say (`Keep-Alive`, `Connection`), whether it closes after a request that asks `Connection: close`,
 * and how many requests it serves on one connection before it closes it. The probes speak raw HTTP/1.1 (over TLS
 * where the server speaks only that), or HTTP/2 to a server that speaks only HTTP/2.
 */
import { errorMessage } from '../../../lib/errors.ts';
import { quantileOf } from '../../../lib/stats.ts';
import { routeOr, ServerLacks } from '../../../servers/under-test.ts';
import { startLifecycleAgent, type LifecycleAgent } from '../../drivers/lifecycle-agent.ts';
import { lcSampleFields } from '../../drivers/lifecycle-clients.ts';
import type { IdleCloseResult } from '../../drivers/idle-close-probe.ts';
import { anyTlsVersion, type ClientTls } from '../../drivers/target.ts';
import { bySize, type BenchOptions, type RunningServer, type Scenario, type ScenarioContext } from '../types.ts';
import { POLICY_COLUMNS, policyDefinition } from './definition.ts';
import { lbRaceCaseKey, lbRaceRow, lbRaceUnits, runLbRace } from './lb-race.ts';

/** Connections watched together for the idle close. */
export const IDLE_CONNECTIONS = 3;

/** How long to watch an idle connection before calling it "open at the cap". */
export function idleCap_ms(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 60_000, standard: 300_000, full: 300_000 });
}

/** Requests sent on one connection before calling it "still open at the cap" (nginx's default is 1000). */
export function requestsCap(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 20, standard: 100, full: 1000 });
}

type PolicyColumn = (typeof POLICY_COLUMNS)[number];
type Row = Partial<Record<PolicyColumn, string | number | boolean | null>>;

function idleRow(r: IdleCloseResult, cap_ms: number): Row {
  return {
    status: r.first_status,
    keep_alive_header: r.keep_alive_header,
    connection_header: r.connection_header,
    idle_close_ms: r.server_close_after_ms,
    cap: cap_ms,
    outcome: r.error !== null ? 'error' : r.server_close_after_ms === null ? 'open_at_cap' : 'closed',
    error: r.error,
  };
}

/** The kind of server the probes speak to: HTTP/1.1 in cleartext where it can, else what the server speaks. */
export interface PolicyKind {
  protocol: 'h1' | 'h2';
  tls: boolean;
}

export const POLICY_KINDS: readonly PolicyKind[] = [
  { protocol: 'h1', tls: false },
  { protocol: 'h1', tls: true },
  { protocol: 'h2', tls: false },
  { protocol: 'h2', tls: true },
];

/** Client TLS for a server of unknown TLS versions: 1.2 or 1.3. */
function anyTls(server: RunningServer): ClientTls | null {
  return anyTlsVersion(server.clientTls('TLSv1.3'));
}

async function idleParts(
  ctx: ScenarioContext,
  agent: LifecycleAgent,
  server: RunningServer,
  kind: PolicyKind,
  path: string,
) {
  const { target } = server;
  const cap_ms = idleCap_ms(ctx.options);
  ctx.progress.log(
    `[${ctx.profile.name}] policy: watching ${IDLE_CONNECTIONS} idle connections for the server's close (up to ${cap_ms / 1000} s)`,
  );
  const watch = (connection_close: boolean, wait_ms: number): Promise<IdleCloseResult> =>
    agent.idleClose({
      target,
      protocol: kind.protocol,
      tls: anyTls(server),
      path,
      wait_ms,
      reuse_after: false,
      reuse_timeout_ms: 0,
      connection_close,
    });
  const idle = await Promise.all(Array.from({ length: IDLE_CONNECTIONS }, () => watch(false, cap_ms)));
  const rows: Row[] = idle.map((r, i) => ({ part: 'idle', trial: i + 1, ...idleRow(r, cap_ms) }));
  ctx.progress.advance(IDLE_CONNECTIONS, `[${ctx.profile.name}] policy idle`);
  if (kind.protocol === 'h2') {
    ctx.skipPart('connection_close', 'HTTP/2 has no Connection: close (the server ends a session with GOAWAY)');
    ctx.progress.advance(1, `[${ctx.profile.name}] policy Connection: close`);
    return rows;
  }
  // A server that honours Connection: close closes right after the response; a few RTTs of margin.
  const close_wait_ms = 2_000 + 4 * (ctx.calibration.rtt_ms_calibrated ?? 0);
  const close = await watch(true, close_wait_ms);
  const closeRow = idleRow(close, close_wait_ms);
  rows.push({
    part: 'connection_close',
    trial: 1,
    ...closeRow,
    outcome: closeRow.outcome === 'closed' ? 'honoured' : closeRow.outcome === 'open_at_cap' ? 'ignored' : 'error',
  });
  ctx.progress.advance(1, `[${ctx.profile.name}] policy Connection: close`);
  return rows;
}

/** Requests on one kept-alive connection until the server closes it (or says it will), up to the cap. */
async function requestsPerConnection(
  ctx: ScenarioContext,
  server: RunningServer,
  kind: PolicyKind,
  path: string,
): Promise<Row> {
  const cap = requestsCap(ctx.options);
  let served = 0;
  let outcome = 'open_at_cap';
  let error: string | null = null;
  for (let i = 0; i < cap && !ctx.signal.aborted; i++) {
    const s = await ctx.agent.probe({
      target: server.target,
      protocol: kind.protocol,
      tls: anyTls(server),
      conn_key: 'policy-requests',
      connection: i === 0 ? 'new' : 'reuse',
      resume: false,
      path,
      close_after: false,
      timeout_ms: ctx.options.request_timeout_ms,
    });
    ctx.progress.advance(1, `[${ctx.profile.name}] policy requests on one connection: ${i + 1}`);
    if (s.error !== null) {
      outcome = /not reusable/.test(s.error) ? 'closed_after' : 'error';
      error = outcome === 'error' ? s.error : null;
      break;
    }
    served++;
  }
  ctx.progress.plan(served + (outcome === 'open_at_cap' ? 0 : 1) - cap);
  await ctx.agent.close('policy-requests');
  return { part: 'max_requests', trial: 1, requests: served, cap, outcome, error };
}

/** The server's idle close as the idle part measured it (median of the closes seen), null if none was seen. */
export function idleCloseMs(rows: readonly Row[]): number | null {
  const closes = rows.filter((r) => r.part === 'idle' && r.outcome === 'closed').map((r) => Number(r.idle_close_ms));
  return quantileOf(closes.filter(Number.isFinite), 0.5);
}

/** C8: the harness's LB in front of the server, its idle timeout raced against the server's (lb-race.ts). */
async function lbPart(
  ctx: ScenarioContext,
  agent: LifecycleAgent,
  server: RunningServer,
  args: Parameters<typeof runLbRace>[3],
  write: (r: Row) => void,
): Promise<void> {
  const key = lbRaceCaseKey(args.x_ms, ctx.profile.name);
  await runLbRace(ctx, agent, server, args, (t) => {
    write(lbRaceRow(t));
    ctx.record({
      failure_is_outcome: true,
      scenario: 'policy',
      case_key: key,
      protocol: 'h1',
      security: 'none',
      conn_mode: 'reused',
      variant: `part=lb_race;x_ms=${t.x_ms}`,
      idle_ms: t.idle_ms,
      rep: t.trial,
      warmup: false,
      ...lcSampleFields(t.r),
    });
  });
}

export const policyScenario: Scenario = {
  ...policyDefinition,
  plannedUnits(options) {
    return IDLE_CONNECTIONS + 1 + requestsCap(options) + lbRaceUnits(options);
  },
  async run(ctx: ScenarioContext) {
    const kind = POLICY_KINDS.find((k) => ctx.serves?.(k) ?? (k.protocol === 'h1' && !k.tls));
    if (kind === undefined) throw new ServerLacks('HTTP/1.1 or HTTP/2');
    // The harness's own server with Node's defaults (5 s idle timeout); a user's server as it is configured.
    const server = await ctx.startServer(kind);
    const path = routeOr(server.handle.routes.small(100), 'a small response').path;
    const out = ctx.csv('policy', POLICY_COLUMNS);
    const blank = Object.fromEntries(POLICY_COLUMNS.map((c) => [c, null])) as Record<PolicyColumn, null>;
    const write = (r: Row): void =>
      out.append({
        ...blank,
        ...r,
        protocol: kind.protocol,
        tls: kind.tls,
        run_id: ctx.runId,
        profile: ctx.profile.name,
        rtt_ms_calibrated: ctx.calibration.rtt_ms_calibrated,
      });
    const agent = await startLifecycleAgent(ctx.link.clientNetns);
    try {
      let idle: Row[] = [];
      try {
        idle = await idleParts(ctx, agent, server, kind, path);
      } catch (e) {
        idle = [{ part: 'idle', trial: 1, outcome: 'error', error: errorMessage(e) }];
      }
      for (const r of idle) write(r);
      const x_ms = ctx.options.lb_idle_timeout_ms ?? null;
      if (x_ms !== null && !ctx.signal.aborted) {
        if (kind.protocol === 'h1' && !kind.tls)
          await lbPart(ctx, agent, server, { path, x_ms, y_ms: idleCloseMs(idle) }, write);
        else ctx.skipPart('lb_race', "needs an HTTP/1.1 server in cleartext (the harness's LB speaks plain HTTP/1.1)");
      }
    } finally {
      await agent.stop();
    }
    if (!ctx.signal.aborted) write(await requestsPerConnection(ctx, server, kind, path));
  },
};
