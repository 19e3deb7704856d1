/**
 * One lane of an idle-timeout race (C8): a client that sends a request, idles each given gap, and sends again on
 * the same kept-alive connection, so each request after a gap races the first idle timeout of its connection pair
 * (the LB's pool, or the server's keep-alive). Lanes are independent connection pairs; many run side by side.
 */
import { isResetLike, type LcClientSpec, type LcResult } from './lifecycle-clients.ts';
import type { LifecycleAgent } from './lifecycle-agent.ts';

export interface IdleRaceLane {
  /** The client (and, behind an LB, its upstream pool: named in `x-kab-lane`). */
  spec: LcClientSpec;
  path: string;
  /** Through the harness's LB: name the lane so the LB keeps one upstream pool per lane. */
  lane_header: boolean;
  /** Idle times to leave before each measured request (ms). */
  gaps_ms: readonly number[];
  /** Delay before the unmeasured first request, to stagger lanes. */
  stagger_ms: number;
  request_timeout_ms: number;
  signal: AbortSignal;
}

/** Runs the lane; `onTrial` gets each measured request and the idle time the client really left before it. */
export async function runIdleRaceLane(
  agent: LifecycleAgent,
  lane: IdleRaceLane,
  onTrial: (r: LcResult, idle_ms: number, index: number) => void,
): Promise<void> {
  const { client_key } = lane.spec;
  const headers = lane.lane_header ? { 'x-kab-lane': client_key } : undefined;
  const ask = (delay_ms: number): Promise<LcResult> =>
    agent.request({
      client_key,
      path: lane.path,
      headers,
      timeout_ms: lane.request_timeout_ms,
      cap_ms: lane.request_timeout_ms + 5_000,
      retry_once_on_reset: false,
      delay_ms,
    });
  await agent.open(lane.spec);
  try {
    const warm = await ask(lane.stagger_ms);
    let prevEnd = warm.ended_epoch_ms;
    for (const [i, gap] of lane.gaps_ms.entries()) {
      if (lane.signal.aborted) break;
      const r = await ask(gap);
      // Timer lag on a busy machine adds to the drawn gap: the idle time is what the client really left.
      const idle_ms = Math.round((r.started_epoch_ms - prevEnd) * 1000) / 1000;
      prevEnd = r.ended_epoch_ms;
      onTrial(r, idle_ms, i);
    }
  } finally {
    await agent.close(client_key);
  }
}

/** Half-width of the gap window: wide enough to cover the race window (about one RTT of the racing hop). */
export function raceSpreadMs(rtt_ms: number): number {
  return Math.max(25, Math.ceil(2 * rtt_ms));
}

/** What became of a raced request: ok, a 502 from the LB, a reset, or another error. */
export function raceOutcome(r: Pick<LcResult, 'error' | 'status'>): 'ok' | 'http_502' | 'reset' | 'error' {
  if (r.error === null) return 'ok';
  if (r.status === 502) return 'http_502';
  if (isResetLike(r.error)) return 'reset';
  return 'error';
}

/** Uniform draw in [lo, hi] from a seeded generator (mulberry32), so runs draw the same gaps. */
export function seededUniform(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + u * (hi - lo);
  };
}
