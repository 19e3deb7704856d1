/**
 * Claims C1 and C3: what reusing a connection saves, in ms and in round trips, per protocol and security,
 * on each profile. Every case gets one request per round, cases interleaved (ABAB…) so drift hits all alike.
 */
import { availableParallelism } from 'node:os';
import { errorMessage } from '../../../lib/errors.ts';
import { sortAsc } from '../../../lib/stats.ts';
import { ciPrecise, samplesNeededForMedianCi, summarize } from '../../../lib/stats-summary.ts';
import type { ProbeRequest } from '../../drivers/probe.ts';
import type { TlsVersion } from '../../../servers/config.ts';
import type { Profile } from '../../../netem/link.ts';
import { ErrorStreak, MAX_CONSECUTIVE_ERRORS } from '../error-streak.ts';
import { MICRO_CSV_COLUMNS, handshakeDefinition } from './definition.ts';
import { SETUP_COST_DEFAULTS, SETUP_TASKS, measureSetupCost, taskName } from '../../drivers/setup-cost.ts';
import {
  bySize,
  caseKey,
  runSize,
  type BenchOptions,
  type RunningServer,
  type Scenario,
  type ScenarioContext,
} from '../types.ts';
import { routeOr, type SizedPath } from '../../../servers/under-test.ts';

export type Security = 'none' | 'tls12' | 'tls13';
export type ConnMode = 'new' | 'server_close' | 'resumed' | 'reused';

export interface HandshakeCase {
  protocol: 'h1' | 'h2';
  security: Security;
  conn_mode: ConnMode;
}

export const HANDSHAKE_SIZE_BYTES = 100;
export const HANDSHAKE_KEEP_ALIVE_TIMEOUT_MS = 600_000;

/** The full matrix: h2 has no Connection: close; resumption only exists with TLS. */
export function handshakeCases(): HandshakeCase[] {
  const variants: Array<Pick<HandshakeCase, 'protocol' | 'security'>> = [
    { protocol: 'h1', security: 'none' },
    { protocol: 'h1', security: 'tls12' },
    { protocol: 'h1', security: 'tls13' },
    { protocol: 'h2', security: 'none' },
    { protocol: 'h2', security: 'tls13' },
  ];
  const out: HandshakeCase[] = [];
  for (const v of variants) {
    out.push({ ...v, conn_mode: 'new' });
    if (v.protocol === 'h1') out.push({ ...v, conn_mode: 'server_close' });
    if (v.security !== 'none') out.push({ ...v, conn_mode: 'resumed' });
    out.push({ ...v, conn_mode: 'reused' });
  }
  return out;
}

/** A smoke run (--quick) measures only new vs reused, the pair C1 and C3 compare. */
export function casesFor(options: Pick<BenchOptions, 'quick' | 'size'>): HandshakeCase[] {
  const all = handshakeCases();
  return runSize(options) === 'quick' ? all.filter((c) => c.conn_mode === 'new' || c.conn_mode === 'reused') : all;
}

export interface SamplingPlan {
  warmup: number;
  min: number;
  max: number;
}

/**
 * `--ci`: a fixed n per case, decided up front (no stopping when the CI looks narrow: a comparison's
 * power is computed for the n it has). Enough for compare to catch a 10 % change of every case at
 * threshold 5 % on this project's 2-core machines: a 1 ms path needs ~300 requests (its spread is tens of
 * percent of its median), a 50 ms path ~30; see the README for the measured figures.
 */
export const CI_REQUESTS_NEAR = 300;
export const CI_REQUESTS_FAR = 30;
export const CI_FAR_FROM_RTT_MS = 20;

export function ciRequests(rtt_ms: number): number {
  return rtt_ms < CI_FAR_FROM_RTT_MS ? CI_REQUESTS_NEAR : CI_REQUESTS_FAR;
}

export function samplingPlan(
  options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>,
  profile?: Pick<Profile, 'params'>,
): SamplingPlan {
  const warmup = bySize(options, { quick: 1, standard: 1, full: 2 });
  if (options.requests !== null) return { warmup, min: options.requests, max: options.requests };
  if (options.size === 'ci') {
    const n = ciRequests(profile?.params.rtt_ms ?? 0);
    return { warmup, min: n, max: n };
  }
  return bySize(options, {
    quick: { warmup, min: 3, max: 3 },
    standard: { warmup, min: 10, max: 30 },
    full: { warmup, min: 30, max: 300 },
  });
}

const TLS_VERSION: Record<Exclude<Security, 'none'>, TlsVersion> = { tls12: 'TLSv1.2', tls13: 'TLSv1.3' };

/** The small response of every case (the harness's own: HANDSHAKE_SIZE_BYTES; a user's server: its --path). */
function smallOf(server: RunningServer): SizedPath {
  return routeOr(server.handle.routes.small(HANDSHAKE_SIZE_BYTES), 'a small response');
}

/** server_close asks the server to close after the small response. */
function handshakePath(c: HandshakeCase, server: RunningServer): string {
  const small = smallOf(server).path;
  return c.conn_mode === 'server_close'
    ? routeOr(server.handle.routes.closing(small), 'a response after which the server closes')
    : small;
}

function probeFor(
  c: HandshakeCase,
  server: RunningServer,
  conn_key: string,
  timeout_ms: number,
  warm: boolean,
): ProbeRequest {
  const reused = c.conn_mode === 'reused';
  return {
    target: server.target,
    protocol: c.protocol,
    tls: c.security === 'none' ? null : server.clientTls(TLS_VERSION[c.security]),
    conn_key,
    // The first request of a reused case opens the connection it then keeps.
    connection: reused && !warm ? 'reuse' : 'new',
    resume: c.conn_mode === 'resumed',
    path: handshakePath(c, server),
    close_after: !reused,
    timeout_ms,
  };
}

interface CaseState {
  c: HandshakeCase;
  server: RunningServer;
  /** The small response's body size (the harness's own: HANDSHAKE_SIZE_BYTES). */
  size_bytes: number;
  conn_key: string;
  key: string;
  values_ms: number[];
  rep: number;
  done: boolean;
  errors: ErrorStreak;
}

/** One server per protocol × cleartext/TLS. */
function serverKey(c: HandshakeCase): string {
  return `${c.protocol}/${c.security === 'none' ? 'clear' : 'tls'}`;
}

/**
 * Every case this run's servers can answer, each with its server (one per protocol × cleartext/TLS). Against a
 * remote target or a user's server only the cases its one server speaks; server_close only where the server
 * has a route that closes.
 */
async function caseStates(ctx: ScenarioContext): Promise<CaseState[]> {
  const cases = casesFor(ctx.options).filter(
    (c) => ctx.serves?.({ protocol: c.protocol, tls: c.security !== 'none' }) ?? true,
  );
  const servers = new Map<string, Promise<RunningServer>>();
  const serverFor = (c: HandshakeCase): Promise<RunningServer> => {
    const key = serverKey(c);
    let s = servers.get(key);
    if (!s) {
      s = ctx.startServer({
        protocol: c.protocol,
        tls: c.security !== 'none',
        tls_min_version: 'TLSv1.2',
        tls_max_version: 'TLSv1.3',
        // Node's default (5 s) is shorter than one interleaved round at 150 ms RTT: the server would close
        // the kept-alive connections between their requests. This scenario measures handshakes, not idle timeouts.
        keep_alive_timeout_ms: HANDSHAKE_KEEP_ALIVE_TIMEOUT_MS,
      });
      servers.set(key, s);
    }
    return s;
  };
  // As many starts at once as there are cores: each is ~0.5 s of mostly one core here, but seconds on a one-CPU
  // kernel (user-mode Linux), where four at once would each miss the server's ready deadline.
  const firstOfEach = [...new Map(cases.map((c) => [serverKey(c), c])).values()];
  const parallel = Math.max(1, availableParallelism());
  for (let i = 0; i < firstOfEach.length; i += parallel)
    await Promise.all(firstOfEach.slice(i, i + parallel).map(serverFor));
  const state: CaseState[] = [];
  for (const [i, c] of cases.entries()) {
    const server = await serverFor(c);
    if (c.conn_mode === 'server_close' && server.handle.routes.closing(smallOf(server).path) === null) {
      ctx.progress.log(
        `[${ctx.profile.name}] handshake ${c.protocol}/${c.security}/server_close: skipped, the server under test has no route after which it closes`,
      );
      continue;
    }
    const size_bytes = smallOf(server).size_bytes;
    state.push({
      c,
      server,
      size_bytes,
      conn_key: `handshake-${i}`,
      key: caseKey(
        'handshake',
        { protocol: c.protocol, security: c.security, conn_mode: c.conn_mode, size_bytes },
        ctx.profile.name,
      ),
      values_ms: [],
      rep: 0,
      done: false,
      errors: new ErrorStreak(),
    });
  }
  return state;
}

export const handshakeScenario: Scenario = {
  ...handshakeDefinition,
  plannedUnits(options, profile) {
    const plan = samplingPlan(options, profile);
    const micro = profile?.params.rtt_ms === 0 ? SETUP_TASKS.length : 0;
    return casesFor(options).length * (plan.warmup + plan.min) + micro;
  },
  async run(ctx: ScenarioContext) {
    const plan = samplingPlan(ctx.options, ctx.profile);
    const state = await caseStates(ctx);

    // The ETA counted every case of the matrix; give back those this server cannot serve.
    ctx.progress.plan(-(casesFor(ctx.options).length - state.length) * (plan.warmup + plan.min));

    const measureOne = async (s: CaseState, warm: boolean): Promise<void> => {
      const sample = await ctx.agent.probe(probeFor(s.c, s.server, s.conn_key, ctx.options.request_timeout_ms, warm));
      s.rep++;
      ctx.record({
        scenario: 'handshake',
        case_key: s.key,
        protocol: s.c.protocol,
        security: s.c.security,
        conn_mode: s.c.conn_mode,
        size_bytes: s.size_bytes,
        rep: s.rep,
        warmup: warm,
        ...sample,
      });
      if (!warm && sample.error === null && sample.total_ms !== null) s.values_ms.push(sample.total_ms);
      if (!warm && s.errors.record(sample.error) && !s.done) {
        s.done = true;
        ctx.progress.log(
          `[${ctx.profile.name}] handshake ${s.c.protocol}/${s.c.security}/${s.c.conn_mode}: ${MAX_CONSECUTIVE_ERRORS} requests in a row failed (last: ${s.errors.lastError}); stopping this case`,
        );
      }
      ctx.progress.advance(
        1,
        `[${ctx.profile.name}] handshake ${s.c.protocol}/${s.c.security}/${s.c.conn_mode} rep ${s.rep}`,
      );
      // A kept-alive connection that died (reset, closed by the server) is recorded as an error above, then
      // reopened by a warm-up request, so one loss does not turn every later request of the case into an error.
      if (!warm && !s.done && sample.error !== null && s.c.conn_mode === 'reused') await measureOne(s, true);
    };

    for (let w = 0; w < plan.warmup; w++) {
      for (const s of state) await measureOne(s, true);
    }
    let plannedExtra = 0;
    let extraTaken = 0;
    for (let round = 1; round <= plan.max; round++) {
      const active = state.filter((s) => !s.done);
      if (active.length === 0 || ctx.signal.aborted) break;
      // Rotate the order each round so no case always follows the same neighbour.
      const offset = round % active.length;
      for (const s of [...active.slice(offset), ...active.slice(0, offset)]) {
        if (ctx.signal.aborted) break;
        await measureOne(s, false);
        if (round >= plan.min && (round - plan.min) % 10 === 0 && ciPrecise(summarize(s.values_ms))) s.done = true;
        if (round === plan.max) s.done = true;
      }
      if (round === plan.min) {
        // Each case still short of its CI target gets the extra samples its pilot says it needs.
        for (const s of state.filter((x) => !x.done)) {
          const need = samplesNeededForMedianCi(sortAsc(s.values_ms));
          const extra = Math.max(0, Math.min(plan.max, need?.n_needed ?? plan.max) - plan.min);
          plannedExtra += extra;
          ctx.progress.plan(extra);
        }
      }
      if (round > plan.min) extraTaken += active.length;
    }
    // Give back the ETA units of rounds that were planned but not needed (or take on the ones that were).
    ctx.progress.plan(extraTaken - plannedExtra);
    for (const s of state) if (s.c.conn_mode === 'reused') await ctx.agent.close(s.conn_key);
    if (ctx.profile.params.rtt_ms === 0 && !ctx.signal.aborted) {
      // A second method beside the link's figures: its failure (a certificate, a port) costs only itself.
      try {
        await measureInProcess(ctx);
      } catch (e) {
        ctx.skipPart('micro', `the in-process measurement failed: ${errorMessage(e)}`);
      }
    }
  },
};

/**
 * The second method for the processing part of the saving (C1's "processing at zero RTT"): on the zero-RTT
 * profile, the same connection modes in this process with tinybench (bench/drivers/setup-cost.ts).
 */
async function measureInProcess(ctx: ScenarioContext): Promise<void> {
  if (!ctx.offer.configurable) {
    ctx.progress.plan(-SETUP_TASKS.length);
    ctx.skipPart(
      'micro',
      "the in-process measurement times the harness's own Node servers, not the server under test (measured through the link only)",
    );
    return;
  }
  const csv = ctx.csv('handshake-micro', MICRO_CSV_COLUMNS);
  await measureSetupCost({ ...SETUP_COST_DEFAULTS, signal: ctx.signal }, SETUP_TASKS, (r) => {
    const done = r.state === 'completed' ? r : null;
    csv.append({
      profile: ctx.profile.name,
      protocol: r.protocol,
      security: r.security,
      conn_mode: r.conn_mode,
      state: r.state,
      samples: done?.samples ?? null,
      wall_mean_ms: done?.wall_mean_ms ?? null,
      wall_moe_ms: done?.wall_moe_ms ?? null,
      wall_rme_pct: done?.wall_rme_pct ?? null,
      wall_p50_ms: done?.wall_p50_ms ?? null,
      wall_p99_ms: done?.wall_p99_ms ?? null,
      cpu_per_op_ms: done?.cpu_per_op_ms ?? null,
      error: r.state === 'completed' ? null : r.error,
    });
    ctx.progress.advance(1, `[${ctx.profile.name}] handshake in-process ${taskName(r)}`);
  });
}
