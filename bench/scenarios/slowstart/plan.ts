/**
 * What the slowstart scenario measures at each run size: the response sizes, congestion controls and
 * slow-start-after-idle settings, the cases of each group and their keys. Pure.
 */
import { bySize, caseKey, runSize, type BenchOptions } from '../types.ts';
import { formatVariant, LINUX_RTO_MIN_MS, type ConnState } from './model.ts';

export const SIZES_FULL_BYTES = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304] as const;
export const SIZES_STANDARD_BYTES = [16384, 262144, 1048576] as const;
export const SIZES_QUICK_BYTES = [1048576] as const;
export const WARMUP_BYTES = 1048576;
export const IW_SEGMENTS = [4, 10, 32] as const;
export const IW_SIZE_BYTES = 102400;
export const TRACE_SIZE_BYTES = 1048576;
export const CC_CANDIDATES = ['bbr', 'reno', 'cubic'] as const;
/** Node's http2 default stream window (RFC 9113 initial 65 535) and the large one the h2 cases compare it with. */
export const H2_WINDOWS_BYTES = [65535, 16777215] as const;
export const H2_SIZES_BYTES = [262144, 1048576] as const;
/** Linux's default initcwnd (RFC 6928) when the route sets none. */
export const DEFAULT_IW = 10;

/**
 * The idle gap of the idle cases: four RTOs as Linux would have them on this link (srtt + max(4 × rttvar, 200 ms)),
 * rounded up to 100 ms: 1 s at 50 ms RTT. Slow start after idle (RFC 2861, tcp_cwnd_restart) halves the window once
 * per full RTO of idleness, so four RTOs halve it three or four times at any RTT (the server's idle clock also
 * counts the last RTT; a warm-up's inflated srtt makes the real RTO a little longer); a fixed 1 s would halve it only once on a
 * 600 ms satellite link (RTO 800 ms) and show almost nothing.
 */
export function idleGap_ms(rtt_ms: number, jitter_ms = 0): number {
  const rto_ms = rtt_ms + Math.max(4 * jitter_ms, LINUX_RTO_MIN_MS);
  return Math.ceil((4 * rto_ms) / 100) * 100;
}

export interface SlowstartPlan {
  sizes_bytes: number[];
  h2_sizes_bytes: number[];
  /** What warms a connection before its warm and idle cases (the harness's own: 1 MiB; a user's: its largest). */
  warmup_bytes: number;
  /** The initial-window cases' response (100 KiB; a user's server: its size nearest to it). */
  iw_size_bytes: number;
  /** The TCP_INFO traces' response (1 MiB; a user's server: its largest). */
  trace_size_bytes: number;
  /** The run's first request, recorded as a warm-up (JIT, caches). */
  first_size_bytes: number;
  idles_ms: number[];
  reps: number;
  ccs: string[];
  skipped: Array<{ cc: string; reason: string }>;
}

/**
 * The plan at this size. `available` is what the server under test serves: any size (the harness's own), or the
 * sizes of a user's `--paths`, which then stand in for the planned sizes; `h2` whether it speaks h2c; `link` the
 * configured RTT and jitter the idle gap is chosen from.
 */
export function slowstartPlan(
  options: Pick<BenchOptions, 'quick' | 'size' | 'requests'>,
  allowedCcs: readonly string[],
  available: readonly number[] | 'any' = 'any',
  h2 = true,
  link: { rtt_ms: number; jitter_ms: number } = { rtt_ms: 50, jitter_ms: 0 },
): SlowstartPlan {
  const allowed = CC_CANDIDATES.filter((cc) => allowedCcs.includes(cc));
  // A smoke run measures one: reno when allowed, whose idle restart (unlike bbr's) shows.
  const ccs = runSize(options) === 'quick' ? (allowed.includes('reno') ? ['reno'] : allowed.slice(0, 1)) : allowed;
  const skipped = CC_CANDIDATES.filter((cc) => !ccs.includes(cc)).map((cc) => ({
    cc,
    reason: allowedCcs.includes(cc)
      ? '--quick measures one congestion control; run without --quick for every allowed one'
      : `not in the host's net.ipv4.tcp_allowed_congestion_control (${allowedCcs.join(' ')}); run with --allow-host-cc ${cc} to add it for the run`,
  }));
  const own = available === 'any' ? null : [...new Set(available)].filter((n) => n > 0).sort((a, b) => a - b);
  const largest = own?.[own.length - 1];
  const nearest = (target: number): number =>
    own?.reduce((best, n) => (Math.abs(Math.log(n / target)) < Math.abs(Math.log(best / target)) ? n : best)) ?? target;
  // The HTTP/2 window cases (a chart, no verdict rests on them) are left to --full: the 5-minute budget.
  const h2Sizes = bySize<number[]>(options, { quick: [], standard: [], full: [...H2_SIZES_BYTES] });
  const idle_ms = idleGap_ms(link.rtt_ms, link.jitter_ms);
  return {
    sizes_bytes: own ?? [
      ...bySize<readonly number[]>(options, {
        quick: SIZES_QUICK_BYTES,
        standard: SIZES_STANDARD_BYTES,
        full: SIZES_FULL_BYTES,
      }),
    ],
    h2_sizes_bytes: !h2 ? [] : own === null ? h2Sizes : own.filter((n) => h2Sizes.includes(n)),
    warmup_bytes: largest ?? WARMUP_BYTES,
    iw_size_bytes: nearest(IW_SIZE_BYTES),
    trace_size_bytes: largest ?? TRACE_SIZE_BYTES,
    first_size_bytes: own?.[0] ?? SIZES_STANDARD_BYTES[0],
    idles_ms: bySize(options, { quick: [idle_ms], standard: [idle_ms], full: [...new Set([idle_ms, 5000])] }),
    reps: options.requests ?? bySize(options, { quick: 1, standard: 2, full: 4 }),
    ccs,
    skipped,
  };
}

/** Measured requests per profile (ETA): the warm-up request, sweep + IW + h2 per rep, plus the traces. */
export function plannedRequests(plan: SlowstartPlan): number {
  const perCc = plan.sizes_bytes.length * (2 + 2 * plan.idles_ms.length) + IW_SEGMENTS.length;
  const h2 = H2_WINDOWS_BYTES.length * plan.h2_sizes_bytes.length * 2;
  return 1 + plan.reps * (plan.ccs.length * perCc + h2) + plan.ccs.length * 3;
}

export interface SweepCase {
  part: 'size' | 'iw' | 'h2';
  protocol: 'h1' | 'h2';
  state: ConnState;
  idle_ms: number;
  cc: string;
  ssai: 0 | 1;
  iw: number;
  size_bytes: number;
  /** h2 only: the client's stream and connection flow-control window. */
  h2_window_bytes: number | null;
  /** The transfer that warms the connection of a warm or idle case. */
  warmup_bytes: number;
}

export function variantOf(c: SweepCase): string {
  const v: Record<string, string | number> = { part: c.part, state: c.state };
  if (c.state === 'idle') v.idle_ms = c.idle_ms;
  v.cc = c.cc;
  v.ssai = c.ssai;
  v.iw = c.iw;
  if (c.state !== 'cold') v.warmup = c.warmup_bytes;
  if (c.h2_window_bytes !== null) v.h2_window = c.h2_window_bytes;
  return formatVariant(v);
}

export function keyOf(c: SweepCase, profile: string): string {
  const params: Record<string, string | number> = { part: c.part, protocol: c.protocol, state: c.state };
  if (c.state === 'idle') params.idle_ms = c.idle_ms;
  Object.assign(params, { cc: c.cc, ssai: c.ssai, iw: c.iw, size_bytes: c.size_bytes });
  if (c.h2_window_bytes !== null) params.h2_window = c.h2_window_bytes;
  return caseKey('slowstart', params, profile);
}

/** Cases of the size sweep for one (cc, ssai) group: cold and warm only once per cc (they do not depend on ssai). */
export function sweepGroup(plan: SlowstartPlan, cc: string, ssai: 0 | 1): SweepCase[] {
  const base = {
    part: 'size' as const,
    protocol: 'h1' as const,
    cc,
    ssai,
    iw: DEFAULT_IW,
    h2_window_bytes: null,
    warmup_bytes: plan.warmup_bytes,
  };
  const out: SweepCase[] = [];
  if (ssai === 1) {
    for (const size_bytes of plan.sizes_bytes) {
      out.push({ ...base, state: 'cold', idle_ms: 0, size_bytes });
      out.push({ ...base, state: 'warm', idle_ms: 0, size_bytes });
    }
  }
  for (const idle_ms of plan.idles_ms)
    for (const size_bytes of plan.sizes_bytes) out.push({ ...base, state: 'idle', idle_ms, size_bytes });
  return out;
}

export function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length === 0) return [];
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
