/**
 * C8, idle-timeout mismatch: client → LB (pool idle timeout X) → h1 server (keepAliveTimeout Y), and the same race
 * one hop closer (a Node http.Agent straight to the server). Each lane is one independent connection pair; a
 * lane sends a request, idles for a gap drawn around the first timeout that would fire, and sends again.
 */
import { startLb, type LbHandle } from '../../../servers/launch-lb.ts';
import { bySize, caseKey, type BenchOptions, type RunningServer } from '../types.ts';
import { standsFor, type PartContext } from './common.ts';
import { lcClientSpec, lcSampleFields, type LcResult } from '../../drivers/lifecycle-clients.ts';
import type { Target } from '../../drivers/target.ts';
import { raceOutcome, raceSpreadMs, runIdleRaceLane, seededUniform } from '../../drivers/idle-race.ts';

export const C8_X_MS = 6_000;
export const C8_Y_MS = [5_000, 7_000] as const;
/** The one-hop race: the server's Y and the client's idle timeout set 1 s (≙ 10 s) below it. */
export const C8_DIRECT_Y_MS = 5_000;
export const C8_DIRECT_CLIENT_IDLE_MS = 4_000;
/**
 * Node 20's server closes an idle connection keepAliveTimeout + 1 s after its last response (it pads the timeout
 * it announces in `Keep-Alive: timeout=N`). Y here is when the server really closes; it is configured 1 s lower.
 */
export const NODE_SERVER_KEEPALIVE_BUFFER_MS = 1_000;

export function serverConfiguredMs(y_ms: number): number {
  return y_ms - NODE_SERVER_KEEPALIVE_BUFFER_MS;
}

/** What a Node ≥ 19 Agent keeps a socket for after the server's hint: N − 1 s, N = configured timeout in whole s. */
export function hintedClientIdleMs(y_ms: number): number {
  return Math.floor(serverConfiguredMs(y_ms) / 1000) * 1000 - 1000;
}

export interface C8Plan {
  lanes: number;
  trials_per_lane: number;
}

export function c8Plan(options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>): C8Plan {
  if (options.requests !== null) return { lanes: 20, trials_per_lane: Math.max(1, Math.ceil(options.requests / 20)) };
  // 1 000 trials per case in a full run, 40 by default, 20 in a smoke run (the rate then has a wider interval).
  return bySize(options, {
    quick: { lanes: 20, trials_per_lane: 1 },
    standard: { lanes: 20, trials_per_lane: 2 },
    full: { lanes: 50, trials_per_lane: 20 },
  });
}

export type C8Path = 'lb' | 'direct';

export interface C8Case {
  path: C8Path;
  /** lb: pool idle timeout X; direct: the client agent's idle timeout (null = none). */
  x_ms: number | null;
  y_ms: number;
  honor_hint: boolean;
  /** Which timeout fires first on the connection pair: gaps are spread around it. */
  edge_ms: number;
  label: string;
}

export function c8Cases(): C8Case[] {
  const out: C8Case[] = C8_Y_MS.map((y) => ({
    path: 'lb' as const,
    x_ms: C8_X_MS,
    y_ms: y,
    honor_hint: false,
    edge_ms: Math.min(C8_X_MS, y),
    label: `LB X=${C8_X_MS / 1000} s, server Y=${y / 1000} s`,
  }));
  out.push(
    {
      path: 'direct',
      x_ms: null,
      y_ms: C8_DIRECT_Y_MS,
      honor_hint: false,
      edge_ms: C8_DIRECT_Y_MS,
      label: 'client without idle timeout (hint ignored)',
    },
    {
      path: 'direct',
      x_ms: C8_DIRECT_CLIENT_IDLE_MS,
      y_ms: C8_DIRECT_Y_MS,
      honor_hint: false,
      edge_ms: C8_DIRECT_CLIENT_IDLE_MS,
      label: `client idle timeout ${C8_DIRECT_CLIENT_IDLE_MS / 1000} s < server ${C8_DIRECT_Y_MS / 1000} s`,
    },
    {
      path: 'direct',
      x_ms: null,
      y_ms: C8_DIRECT_Y_MS,
      honor_hint: true,
      edge_ms: hintedClientIdleMs(C8_DIRECT_Y_MS),
      label: 'Node 20 default Agent (honours Keep-Alive: timeout hint)',
    },
  );
  return out;
}

export function c8CaseKey(c: C8Case, profile: string): string {
  return caseKey(
    'lifecycle',
    { part: 'c8', path: c.path, x_ms: c.x_ms ?? 'none', y_ms: c.y_ms, hint: c.honor_hint ? 1 : 0 },
    profile,
  );
}

export async function runC8(p: PartContext): Promise<void> {
  const { ctx } = p;
  const plan = c8Plan(ctx.options);
  const rtt = ctx.calibration.rtt_ms_calibrated ?? ctx.profile.params.rtt_ms;
  const spread = raceSpreadMs(rtt);
  const cases = c8Cases();
  const lbs: LbHandle[] = [];
  try {
    const targets = await c8Targets(ctx, cases, lbs);
    const draw = seededUniform(8);
    const laneRuns: Array<Promise<void>> = [];
    for (let lane = 0; lane < plan.lanes; lane++) {
      for (const [ci, c] of cases.entries()) {
        const t = targets.get(c);
        if (!t) continue;
        const gaps = Array.from({ length: plan.trials_per_lane }, () =>
          Math.round(draw(c.edge_ms - spread, c.edge_ms + spread)),
        );
        laneRuns.push(runC8Lane(p, { c, ci, lane, target: t, gaps, trials_per_lane: plan.trials_per_lane }));
      }
    }
    await Promise.all(laneRuns);
  } finally {
    await Promise.all(lbs.map((lb) => lb.stop()));
  }
}

interface C8Target {
  target: Target;
  /** Through the LB: the lane is named in a header so the LB keeps one upstream connection per lane. */
  lane_header: boolean;
}

/** One server per server timeout Y; the LB cases get an LB of their own in front of it. */
async function c8Targets(
  ctx: PartContext['ctx'],
  cases: readonly C8Case[],
  lbs: LbHandle[],
): Promise<Map<C8Case, C8Target>> {
  const servers = new Map<number, RunningServer>();
  for (const y of new Set(cases.map((c) => c.y_ms)))
    servers.set(y, await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: serverConfiguredMs(y) }));
  // The LB runs in the client namespace, so its hop to the server crosses the emulated link: the race
  // window is one RTT of that hop, as between a cloud LB and its targets.
  const targets = new Map<C8Case, C8Target>();
  for (const c of cases) {
    const server = servers.get(c.y_ms);
    if (!server) throw new Error('no server');
    if (c.path === 'lb') {
      const lb = await startLb(
        {
          host: '127.0.0.1',
          upstream_host: server.target.host,
          upstream_port: server.target.port,
          upstream_idle_timeout_ms: c.x_ms ?? C8_X_MS,
          upstream_max_sockets: 1,
          honor_keepalive_hint: false,
        },
        ctx.link.clientNetns,
      );
      lbs.push(lb);
      targets.set(c, { target: { host: '127.0.0.1', port: lb.ready.port }, lane_header: true });
    } else {
      targets.set(c, { target: server.target, lane_header: false });
    }
  }
  return targets;
}

/** One lane of one case: a client that warms up, then idles each drawn gap before its next request. */
async function runC8Lane(
  p: PartContext,
  o: { c: C8Case; ci: number; lane: number; target: C8Target; gaps: number[]; trials_per_lane: number },
): Promise<void> {
  const { c, ci, lane } = o;
  await runIdleRaceLane(
    p.agent,
    {
      spec: lcClientSpec(`c8-${ci}-${lane}`, o.target.target, {
        idle_timeout_ms: c.path === 'direct' ? c.x_ms : null,
        honor_keepalive_hint: c.honor_hint,
      }),
      path: '/bytes/100',
      lane_header: o.target.lane_header,
      gaps_ms: o.gaps,
      // Stagger lane starts over one gap window so lanes do not fire in lockstep.
      stagger_ms: lane * 7 + ci * 3,
      request_timeout_ms: 10_000,
      signal: p.ctx.signal,
    },
    (r, idle_ms, i) => recordC8Trial(p, c, r, idle_ms, lane * o.trials_per_lane + i + 1),
  );
}

function recordC8Trial(p: PartContext, c: C8Case, r: LcResult, idle_ms: number, trial: number): void {
  const { ctx } = p;
  const key = c8CaseKey(c, ctx.profile.name);
  p.row({
    part: 'c8',
    case_key: key,
    strategy:
      c.path === 'lb'
        ? 'lb'
        : c.honor_hint
          ? 'node_default'
          : c.x_ms === null
            ? 'no_idle_timeout'
            : 'idle_below_server',
    fault: 'idle_race',
    trial,
    x_ms: c.x_ms,
    y_ms: c.y_ms,
    // The idle time the client really left (timer lag on a busy machine adds to the drawn gap).
    gap_ms: Math.round((idle_ms - c.edge_ms) * 1000) / 1000,
    idle_ms,
    outcome: raceOutcome(r),
    status: r.status,
    error: r.error ?? (c.path === 'lb' ? (r.kab_headers['x-kab-upstream-error'] ?? null) : null),
    reused: c.path === 'lb' ? (r.kab_headers['x-kab-upstream-reused'] ?? null) === '1' : r.reused,
    total_ms: r.total_ms,
    stands_for: `X ${c.x_ms === null ? 'none' : standsFor(c.x_ms)}; Y ${standsFor(c.y_ms)}`,
    note: c.label,
  });
  ctx.record({
    failure_is_outcome: true,
    scenario: 'lifecycle',
    case_key: key,
    protocol: 'h1',
    security: 'none',
    conn_mode: 'reused',
    size_bytes: 100,
    variant: `part=c8;path=${c.path};x_ms=${c.x_ms ?? 'none'};y_ms=${c.y_ms};hint=${c.honor_hint ? 1 : 0}`,
    idle_ms,
    rep: trial,
    warmup: false,
    ...lcSampleFields(r),
  });
  ctx.progress.advance(1, `[${ctx.profile.name}] lifecycle C8 ${c.label} trial ${trial}`);
}

export function c8Units(options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>): number {
  const plan = c8Plan(options);
  return plan.lanes * plan.trials_per_lane * c8Cases().length;
}
