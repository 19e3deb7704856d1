/**
 * C7 for whatever server is under test: how long it keeps an idle connection (several connections watched at
 * once for the server's FIN, so discovering a timeout costs about one timeout, not a search), what its
 * responses say (`Keep-Alive`, `Connection`), whether it closes after a request that asks `Connection: close`,
 * and how many requests it serves on one connection before it closes it. The probes speak raw HTTP/1.1.
 */
import { errorMessage } from '../../../lib/errors.ts';
import { routeOr, ServerLacks } from '../../../servers/under-test.ts';
import { startLifecycleAgent, type LifecycleAgent } from '../../drivers/lifecycle-agent.ts';
import type { IdleCloseResult } from '../../drivers/idle-close-probe.ts';
import { bySize, type BenchOptions, type RunningServer, type Scenario, type ScenarioContext } from '../types.ts';
import { POLICY_COLUMNS, policyDefinition } from './definition.ts';

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
type Row = Partial<Record<PolicyColumn, string | number | null>>;

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

async function idleParts(ctx: ScenarioContext, agent: LifecycleAgent, target: RunningServer['target'], path: string) {
  const cap_ms = idleCap_ms(ctx.options);
  ctx.progress.log(
    `[${ctx.profile.name}] policy: watching ${IDLE_CONNECTIONS} idle connections for the server's close (up to ${cap_ms / 1000} s)`,
  );
  const watch = (connection_close: boolean, wait_ms: number): Promise<IdleCloseResult> =>
    agent.idleClose({ target, path, wait_ms, reuse_after: false, reuse_timeout_ms: 0, connection_close });
  const idle = await Promise.all(Array.from({ length: IDLE_CONNECTIONS }, () => watch(false, cap_ms)));
  const rows: Row[] = idle.map((r, i) => ({ part: 'idle', trial: i + 1, ...idleRow(r, cap_ms) }));
  ctx.progress.advance(IDLE_CONNECTIONS, `[${ctx.profile.name}] policy idle`);
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
async function requestsPerConnection(ctx: ScenarioContext, server: RunningServer, path: string): Promise<Row> {
  const cap = requestsCap(ctx.options);
  let served = 0;
  let outcome = 'open_at_cap';
  let error: string | null = null;
  for (let i = 0; i < cap && !ctx.signal.aborted; i++) {
    const s = await ctx.agent.probe({
      target: server.target,
      protocol: 'h1',
      tls: null,
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

export const policyScenario: Scenario = {
  ...policyDefinition,
  plannedUnits(options) {
    return IDLE_CONNECTIONS + 1 + requestsCap(options);
  },
  async run(ctx: ScenarioContext) {
    if (!(ctx.serves?.({ protocol: 'h1', tls: false }) ?? true))
      throw new ServerLacks('HTTP/1.1 in cleartext (the policy probes speak raw HTTP/1.1)');
    // The harness's own server with Node's defaults (5 s idle timeout); a user's server as it is configured.
    const server = await ctx.startServer({ protocol: 'h1', tls: false });
    const path = routeOr(server.handle.routes.small(100), 'a small response').path;
    const out = ctx.csv('policy', POLICY_COLUMNS);
    const blank = Object.fromEntries(POLICY_COLUMNS.map((c) => [c, null])) as Record<PolicyColumn, null>;
    const write = (r: Row): void =>
      out.append({
        ...blank,
        ...r,
        run_id: ctx.runId,
        profile: ctx.profile.name,
        rtt_ms_calibrated: ctx.calibration.rtt_ms_calibrated,
      });
    const agent = await startLifecycleAgent(ctx.link.clientNetns);
    try {
      for (const r of await idleParts(ctx, agent, server.target, path)) write(r);
    } catch (e) {
      write({ part: 'idle', trial: 1, outcome: 'error', error: errorMessage(e) });
    } finally {
      await agent.stop();
    }
    if (!ctx.signal.aborted) write(await requestsPerConnection(ctx, server, path));
  },
};
