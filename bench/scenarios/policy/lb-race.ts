/**
 * C8 for whatever server is under test: the harness's LB (servers/lb.ts) in front of it with the upstream idle
 * timeout the user gives (X, `--lb-idle-timeout`), against the server's own idle close (Y, as the idle part of
 * this scenario just measured it). Lanes idle gaps drawn around whichever closes first and count 502s and resets.
 */
import { startLb } from '../../../servers/launch-lb.ts';
import { raceOutcome, raceSpreadMs, runIdleRaceLane, seededUniform } from '../../drivers/idle-race.ts';
import { lcClientSpec, type LcResult } from '../../drivers/lifecycle-clients.ts';
import type { LifecycleAgent } from '../../drivers/lifecycle-agent.ts';
import { POLICY_COLUMNS } from './definition.ts';
import { bySize, caseKey, type BenchOptions, type RunningServer, type ScenarioContext } from '../types.ts';

type PolicyColumn = (typeof POLICY_COLUMNS)[number];

export interface LbRacePlan {
  lanes: number;
  trials_per_lane: number;
}

export function lbRacePlan(options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>): LbRacePlan {
  if (options.requests !== null) return { lanes: 20, trials_per_lane: Math.max(1, Math.ceil(options.requests / 20)) };
  return bySize(options, {
    quick: { lanes: 20, trials_per_lane: 1 },
    standard: { lanes: 20, trials_per_lane: 2 },
    full: { lanes: 50, trials_per_lane: 20 },
  });
}

export function lbRaceUnits(options: Pick<BenchOptions, 'quick' | 'size' | 'requests' | 'lb_idle_timeout_ms'>): number {
  if ((options.lb_idle_timeout_ms ?? null) === null) return 0;
  const p = lbRacePlan(options);
  return p.lanes * p.trials_per_lane;
}

/** Which idle timeout fires first on the LB → server connection: the gaps are drawn around it. */
export function raceEdgeMs(x_ms: number, y_ms: number | null): number {
  return y_ms === null ? x_ms : Math.min(x_ms, y_ms);
}

/** Roughly how long the race takes: each lane idles its gaps one after the other (all lanes at once). */
export function lbRaceEta_ms(plan: LbRacePlan, edge_ms: number, spread_ms: number): number {
  return plan.trials_per_lane * (edge_ms + spread_ms) + 2_000;
}

export interface LbRaceTrial {
  trial: number;
  x_ms: number;
  y_ms: number | null;
  edge_ms: number;
  idle_ms: number;
  r: LcResult;
}

/**
 * Runs the race and hands each trial to `onTrial`. `y_ms`: the server's idle close as measured (null: it kept
 * every watched connection to the cap, so the LB's timeout fires first).
 */
export async function runLbRace(
  ctx: ScenarioContext,
  agent: LifecycleAgent,
  server: RunningServer,
  args: { path: string; x_ms: number; y_ms: number | null },
  onTrial: (t: LbRaceTrial) => void,
): Promise<void> {
  const { x_ms, y_ms } = args;
  const plan = lbRacePlan(ctx.options);
  const rtt = ctx.calibration.rtt_ms_calibrated ?? ctx.profile.params.rtt_ms;
  const spread = raceSpreadMs(rtt);
  const edge = raceEdgeMs(x_ms, y_ms);
  const first =
    y_ms === null
      ? `the LB's ${x_ms / 1000} s (the server kept idle connections to the cap)`
      : y_ms < x_ms
        ? `the server's ${(y_ms / 1000).toFixed(2)} s, shorter than the LB's ${x_ms / 1000} s`
        : `the LB's ${x_ms / 1000} s, shorter than the server's ${(y_ms / 1000).toFixed(2)} s`;
  ctx.progress.log(
    `[${ctx.profile.name}] policy LB race: ${plan.lanes} lanes × ${plan.trials_per_lane} idle gaps around ${first} (± ${spread} ms): about ${Math.ceil(lbRaceEta_ms(plan, edge, spread) / 1000)} s`,
  );
  // The LB runs in the client namespace, so its hop to the server crosses the emulated link, as between a cloud
  // LB and its targets; its front side keeps client connections longer than any gap.
  const lb = await startLb(
    {
      host: '127.0.0.1',
      upstream_host: server.target.host,
      upstream_port: server.target.port,
      upstream_idle_timeout_ms: x_ms,
      upstream_max_sockets: 1,
      honor_keepalive_hint: false,
      front_keep_alive_timeout_ms: Math.max(120_000, edge + 60_000),
    },
    ctx.link.clientNetns,
  );
  try {
    const draw = seededUniform(18);
    const lanes = Array.from({ length: plan.lanes }, (_, lane) => {
      const gaps_ms = Array.from({ length: plan.trials_per_lane }, () =>
        Math.round(draw(Math.max(0, edge - spread), edge + spread)),
      );
      return runIdleRaceLane(
        agent,
        {
          spec: lcClientSpec(`policy-lb-${lane}`, { host: '127.0.0.1', port: lb.ready.port }),
          path: args.path,
          lane_header: true,
          gaps_ms,
          stagger_ms: lane * 7,
          request_timeout_ms: ctx.options.request_timeout_ms,
          signal: ctx.signal,
        },
        (r, idle_ms, i) => {
          onTrial({ trial: lane * plan.trials_per_lane + i + 1, x_ms, y_ms, edge_ms: edge, idle_ms, r });
          ctx.progress.advance(1, `[${ctx.profile.name}] policy LB race`);
        },
      );
    });
    await Promise.all(lanes);
  } finally {
    await lb.stop();
  }
}

export function lbRaceCaseKey(x_ms: number, profile: string): string {
  return caseKey('policy', { part: 'lb_race', x_ms }, profile);
}

/** The policy.csv fields of one trial (the caller adds the run's columns). */
export function lbRaceRow(t: LbRaceTrial): Partial<Record<PolicyColumn, string | number | boolean | null>> {
  return {
    part: 'lb_race',
    trial: t.trial,
    status: t.r.status,
    x_ms: t.x_ms,
    y_ms: t.y_ms === null ? null : Math.round(t.y_ms),
    idle_ms: t.idle_ms,
    gap_ms: Math.round((t.idle_ms - t.edge_ms) * 1000) / 1000,
    upstream_reused: (t.r.kab_headers['x-kab-upstream-reused'] ?? null) === '1',
    outcome: raceOutcome(t.r),
    error: t.r.error ?? t.r.kab_headers['x-kab-upstream-error'] ?? null,
  };
}
