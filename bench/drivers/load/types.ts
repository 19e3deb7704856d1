/** The one interface of every load driver (HTTP/1.1 via autocannon or raw sockets, HTTP/2 via node:http2, a test double). */
import type { Target } from '../target.ts';
import type { HistogramJson, HistogramSummary } from './histogram.ts';

export type LoadProtocol = 'h1' | 'h2';

export interface LoadOptions {
  target: Target;
  protocol: LoadProtocol;
  path: string;
  connections: number;
  /** Requests in flight per connection: h1 pipelining depth, h2 concurrent streams. */
  per_connection: number;
  /**
   * closed: every slot sends its next request when the previous one finished (throughput-seeking).
   * open: requests are due at a fixed rate whatever the answers; latency counts from the intended send time,
   * so a stalled server shows as queueing (no coordinated omission).
   */
  loop: 'closed' | 'open';
  /** open loop only: requests per second over all connections. */
  rate_rps: number | null;
  /** false: a new connection per request (h1 Connection: close; h2 a session per request). */
  keep_alive: boolean;
  duration_ms: number;
  /** Hard cap on requests sent (bounds every run); null = only the duration bounds it. */
  max_requests: number | null;
  timeout_ms: number;
}

export interface LoadResult {
  driver: string;
  protocol: LoadProtocol;
  loop: 'closed' | 'open';
  connections: number;
  per_connection: number;
  keep_alive: boolean;
  rate_rps_target: number | null;
  /** Wall time from the first send to the last answer or give-up, ms. */
  elapsed_ms: number;
  sent: number;
  /** Answers received (any status). */
  responses: number;
  ok_2xx: number;
  non_2xx: number;
  /** Failed requests of any kind: timeouts + resets + other transport errors. */
  errors: number;
  timeouts: number;
  resets: number;
  /** open loop: requests due but never sent before the run ended (all slots busy). */
  not_sent: number;
  requests_per_s: number;
  body_bytes: number;
  /** Of 2xx answers; open loop: from the intended send time. */
  latency: HistogramSummary;
  latency_hist: HistogramJson;
  /** open loop: how late requests left compared with their intended time (pacing accuracy). */
  send_lag: HistogramSummary | null;
}

export interface LoadDriver {
  readonly name: string;
  run(opts: LoadOptions, signal?: AbortSignal): Promise<LoadResult>;
}

export const MAX_LOAD_DURATION_MS = 600_000;

/** null when the options are usable; else what is wrong, in one line. */
export function validateLoadOptions(o: LoadOptions): string | null {
  if (!Number.isInteger(o.connections) || o.connections < 1 || o.connections > 10_000)
    return 'connections must be 1..10000';
  if (!Number.isInteger(o.per_connection) || o.per_connection < 1 || o.per_connection > 1000)
    return 'per_connection must be 1..1000';
  if (!(o.duration_ms > 0 && o.duration_ms <= MAX_LOAD_DURATION_MS))
    return `duration_ms must be in (0, ${MAX_LOAD_DURATION_MS}]`;
  if (o.max_requests !== null && !(Number.isInteger(o.max_requests) && o.max_requests > 0))
    return 'max_requests must be a positive integer or null';
  if (o.loop === 'open' && !(o.rate_rps !== null && o.rate_rps > 0 && o.rate_rps <= 1_000_000))
    return 'open loop needs rate_rps in (0, 1e6]';
  if (!(o.timeout_ms > 0)) return 'timeout_ms must be > 0';
  return null;
}
