/**
 * The slow-start scenario's model (pure): which congestion window a response starts with in each connection
 * state, and the request latency lib/model.ts predicts from it. Also the CASE_MODELS entry of the summary.
 *
 * - cold: a new connection, window = initcwnd.
 * - warm: reused right after a warm-up transfer of W bytes; slow start without loss grows cwnd by one
 *   segment per segment acknowledged (Linux counts acked segments, so delayed ACKs do not slow it), so the
 *   window is initcwnd + segments(W).
 * - idle: the warm window after an idle gap. With net.ipv4.tcp_slow_start_after_idle = 1 Linux halves cwnd
 *   once per RTO of idleness, never below initcwnd (tcp_cwnd_restart) — but only for congestion controls
 *   without their own cong_control hook: BBR keeps its window (tcp_slow_start_after_idle_check returns early),
 *   so for bbr the setting changes nothing.
 */
import { modelRequest, segmentsFor, DEFAULT_MSS_BYTES, type RequestModel } from '../../../lib/model.ts';
import type { SummaryMetric } from '../../../lib/schema.ts';
import { numberOrNull } from '../../../lib/numbers.ts';

export type ConnState = 'cold' | 'warm' | 'idle';

/** Linux's minimum RTO (TCP_RTO_MIN). */
export const LINUX_RTO_MIN_MS = 200;
/** Congestion controls with their own cong_control hook, exempt from slow start after idle. */
export const IDLE_RESTART_EXEMPT_CC: readonly string[] = ['bbr'];

/** Linux's RTO on a steady path: srtt + rttvar, where rttvar never drops below TCP_RTO_MIN. */
export function linuxRtoMs(rtt_ms: number): number {
  return rtt_ms + LINUX_RTO_MIN_MS;
}

/** cwnd after slow start delivered size_bytes from initcwnd with no loss. */
export function cwndAfterTransfer(
  initcwnd_segments: number,
  size_bytes: number,
  mss_bytes = DEFAULT_MSS_BYTES,
): number {
  return initcwnd_segments + segmentsFor(size_bytes, mss_bytes);
}

/** Linux tcp_cwnd_restart: halve once per full RTO of the idle gap while above the restart window. */
export function cwndAfterIdle(
  cwnd_segments: number,
  initcwnd_segments: number,
  idle_ms: number,
  rto_ms: number,
): number {
  if (!(rto_ms > 0)) throw new RangeError(`rto_ms must be > 0, got ${rto_ms}`);
  if (idle_ms <= rto_ms) return cwnd_segments;
  const restart = Math.min(initcwnd_segments, cwnd_segments);
  let cwnd = cwnd_segments;
  let delta = idle_ms;
  // Bounded: delta shrinks by rto_ms each turn and cwnd halves.
  while ((delta -= rto_ms) > 0 && cwnd > restart) cwnd = Math.floor(cwnd / 2);
  return Math.max(cwnd, restart);
}

export interface SlowstartCase {
  state: ConnState;
  /** Nominal idle gap before the request (idle state only), ms. */
  idle_ms: number;
  cc: string;
  /** net.ipv4.tcp_slow_start_after_idle in the server namespace. */
  ssai: 0 | 1;
  initcwnd_segments: number;
  size_bytes: number;
  /** Size of the transfer that warmed the connection (warm and idle states). */
  warmup_bytes: number;
}

/** The window the response starts with, segments. */
export function startWindowSegments(c: SlowstartCase, rtt_ms: number, mss_bytes = DEFAULT_MSS_BYTES): number {
  if (c.state === 'cold') return c.initcwnd_segments;
  const warm = cwndAfterTransfer(c.initcwnd_segments, c.warmup_bytes, mss_bytes);
  if (c.state === 'warm' || c.ssai === 0 || IDLE_RESTART_EXEMPT_CC.includes(c.cc)) return warm;
  // The server's idle clock runs from its last send to the next one: the client's gap plus one RTT
  // (the last data's way out and the request's way in).
  return cwndAfterIdle(warm, c.initcwnd_segments, c.idle_ms + rtt_ms, linuxRtoMs(rtt_ms));
}

export function slowstartModel(c: SlowstartCase, rtt_ms: number, rate_mbit: number | null): RequestModel {
  return modelRequest({
    rtt_ms,
    protocol: 'h1',
    security: 'none',
    connection: c.state === 'cold' ? 'new' : 'reused',
    response_bytes: c.size_bytes,
    initcwnd_segments: c.initcwnd_segments,
    cwnd_segments_at_start: startWindowSegments(c, rtt_ms),
    rate_mbit,
  });
}

/**
 * Round trips to deliver size_bytes when each round sends min(cwnd, flow-control window): TCP's window doubles
 * per round (slow start), HTTP/2's receive window lets at most window_bytes be in flight, so a round can never
 * carry more than that (the client returns WINDOW_UPDATEs as it reads, at best one window per round trip).
 */
export function windowLimitedRounds(
  size_bytes: number,
  start_cwnd_segments: number,
  window_bytes: number,
  mss_bytes = DEFAULT_MSS_BYTES,
): number {
  if (!(window_bytes > 0)) throw new RangeError(`window_bytes must be > 0, got ${window_bytes}`);
  let delivered = 0;
  let cwnd = start_cwnd_segments;
  let rounds = 0;
  // Bounded: every round delivers at least min(mss, window) > 0 bytes.
  while (delivered < size_bytes) {
    delivered += Math.min(cwnd * mss_bytes, window_bytes);
    cwnd *= 2;
    rounds++;
  }
  return Math.max(1, rounds);
}

/**
 * The h2 cases: TCP's model with the rounds stretched to what the client's window allows (window_bytes per
 * round trip at most), plus the transfer at the profile's rate. A lower bound: frames, headers and the
 * WINDOW_UPDATE timing are left out.
 */
export function h2Model(
  c: SlowstartCase,
  window_bytes: number,
  rtt_ms: number,
  rate_mbit: number | null,
): { total_ms: number; total_rtts: number } {
  const tcp = slowstartModel(c, rtt_ms, rate_mbit);
  const rounds = windowLimitedRounds(c.size_bytes, startWindowSegments(c, rtt_ms), window_bytes);
  const extra = Math.max(0, rounds - 1 - tcp.slow_start_rounds);
  return { total_ms: tcp.total_ms + extra * rtt_ms, total_rtts: tcp.total_rtts + extra };
}

/** `k=v;k=v` → record. */
export function parseVariant(variant: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of variant.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

export function formatVariant(v: Record<string, string | number>): string {
  return Object.entries(v)
    .map(([k, x]) => `${k}=${x}`)
    .join(';');
}

const num = numberOrNull;

/** The case a sample/summary row describes, from its variant and size; null when it is not a model case. */
export function caseFromTags(tags: Record<string, string>): SlowstartCase | null {
  const v = parseVariant(tags.variant ?? '');
  const state = v.state;
  const size = num(tags.size_bytes);
  const iw = num(v.iw);
  const ssai = num(v.ssai);
  if ((state !== 'cold' && state !== 'warm' && state !== 'idle') || size === null || iw === null) return null;
  return {
    state,
    idle_ms: num(v.idle_ms) ?? 0,
    cc: v.cc ?? '',
    ssai: ssai === 0 ? 0 : 1,
    initcwnd_segments: iw,
    size_bytes: size,
    warmup_bytes: num(v.warmup) ?? 0,
  };
}

/** CASE_MODELS entry: the model's prediction for a slowstart case's metric. */
export function slowstartCaseModel(tags: Record<string, string>, metric: SummaryMetric): number | null {
  const c = caseFromTags(tags);
  const rtt = num(tags.rtt_ms_calibrated) ?? num(tags.rtt_ms_configured);
  if (c === null || rtt === null) return null;
  const rate = num(tags.rate_mbit_configured);
  const m = slowstartModel(c, rtt, rate);
  const window = tags.protocol === 'h2' ? (num(parseVariant(tags.variant ?? '').h2_window) ?? 65535) : null;
  switch (metric) {
    case 'total_ms':
      return window === null ? m.total_ms : h2Model(c, window, rtt, rate).total_ms;
    case 'ttfb_ms':
      return (m.tcp_handshake_rtts + m.request_rtts) * rtt;
    case 'connect_ms':
      return m.tcp_handshake_rtts * rtt;
    case 'tls_ms':
      return 0;
  }
}
