/**
 * The analytic model of one request's latency, computed beside every measurement (pure).
 *
 *   total = (tcp_handshake_rtts + tls_handshake_rtts + request_rtts) × RTT
 *           + slow_start_ms + transfer_ms + server_delay_ms
 *
 * How slow-start rounds and the transfer time combine (Kurose & Ross, "Computer Networking: A
 * Top-Down Approach", §3.7 "Modeling latency: dynamic congestion window"): the response goes out in
 * windows w_k = W₀·2^(k−1) segments (W₀ = initcwnd for a new connection, the inherited cwnd for a
 * reused one) over K windows. Serializing everything takes O/R (transfer_ms). After each window
 * but the last the server sits idle until the first ACK of that window comes back:
 *   idle_k = max(0, RTT + MSS/R − w_k·MSS/R)
 * and slow_start_ms = Σ_{k=1..K−1} idle_k. So a round whose window takes longer to serialize than
 * an RTT adds nothing (the link never goes idle): rounds and transfer overlap rather than add.
 * Without a rate limit (rate_mbit null) transfer_ms = 0 and slow_start_ms = (K−1) × RTT exactly.
 * total_rtts counts round trips only (handshakes + request + extra slow-start rounds), ignoring
 * the rate.
 *
 * What the model ignores:
 * - delayed ACKs (they slow cwnd growth below doubling per RTT) and ACK compression;
 * - ssthresh (slow start is assumed to last the whole response), loss and retransmission,
 *   pacing, queueing delay at the bottleneck (infinite queue, no loss), the receiver window;
 * - bytes of the TLS handshake (certificate flight) and the cwnd growth they cause, TLS record
 *   and HTTP/2 frame overhead, HTTP headers (pass them in response_bytes if they matter);
 * - HTTP/2's SETTINGS exchange: with prior-knowledge h2c the client sends its request right after
 *   the preface, and TLS 1.3 (or 1.2) with ALPN negotiates h2 inside the handshake, so `protocol`
 *   adds no round trip; it is carried for the caller's records;
 * - TCP Fast Open, TLS False Start, TLS 1.3 0-RTT early data (resumed TLS 1.3 costs 1 RTT);
 * - slow start after idle: Linux resets cwnd to initcwnd on a connection idle longer than the
 *   RTO (net.ipv4.tcp_slow_start_after_idle = 1); pass cwnd_segments_at_start = initcwnd then.
 */

export type Protocol = 'h1' | 'h2';
export type Security = 'none' | 'tls12' | 'tls13';
/** 'resumed': a new TCP connection with TLS session resumption. */
export type ConnectionKind = 'new' | 'reused' | 'resumed';

export interface RequestModelInput {
  rtt_ms: number;
  protocol: Protocol;
  security: Security;
  connection: ConnectionKind;
  response_bytes: number;
  /** Default 200 bytes: a small GET fits the client's initial window. */
  request_bytes?: number;
  /** Default 1448: MTU 1500 − 40 (IPv4 + TCP) − 12 (timestamps). */
  mss_bytes?: number;
  /** Default 10 (RFC 6928, Linux's default). */
  initcwnd_segments?: number;
  /** Bottleneck rate; null or absent for unlimited. */
  rate_mbit?: number | null;
  server_delay_ms?: number;
  /** cwnd a reused connection starts the response with. Default Infinity: no slow start. */
  cwnd_segments_at_start?: number;
}

export interface RequestModel {
  tcp_handshake_rtts: number;
  tls_handshake_rtts: number;
  request_rtts: number;
  /** Extra round trips the request needs beyond the first when it exceeds the client's window. */
  request_slow_start_rounds: number;
  /** Extra round trips beyond the first to deliver the response, window doubling each RTT. */
  slow_start_rounds: number;
  response_segments: number;
  /** Idle time slow start adds, given the rate (= slow_start_rounds × RTT when rate is unlimited). */
  slow_start_ms: number;
  /** response_bytes × 8 / rate; 0 without a rate limit. */
  transfer_ms: number;
  server_delay_ms: number;
  total_rtts: number;
  total_ms: number;
}

export const DEFAULT_MSS_BYTES = 1448;
export const DEFAULT_INITCWND_SEGMENTS = 10;
export const DEFAULT_REQUEST_BYTES = 200;

function requireNonNegative(value: number, name: string): void {
  if (!(value >= 0)) throw new RangeError(`${name} must be ≥ 0, got ${value}`);
}

function requirePositive(value: number, name: string): void {
  if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
}

/** Segments needed for size_bytes (at least 1: even an empty body sends one segment of headers). */
export function segmentsFor(size_bytes: number, mss_bytes: number): number {
  requireNonNegative(size_bytes, 'size_bytes');
  requirePositive(mss_bytes, 'mss_bytes');
  return Math.max(1, Math.ceil(size_bytes / mss_bytes));
}

/**
 * Round trips needed to deliver ceil(size_bytes / mss_bytes) segments when round i sends
 * initcwnd·2^(i−1) segments: the smallest r with initcwnd·(2^r − 1) ≥ segments. 1 when the size
 * fits in the initial window. initcwnd_segments may be Infinity (no window limit).
 */
export function slowStartRounds(size_bytes: number, initcwnd_segments: number, mss_bytes: number): number {
  requirePositive(initcwnd_segments, 'initcwnd_segments');
  const segments = segmentsFor(size_bytes, mss_bytes);
  let rounds = 1;
  let delivered = initcwnd_segments;
  // Bounded: segments < 2^53 and the window at least doubles, so this ends within 54 rounds.
  while (delivered < segments) {
    delivered += initcwnd_segments * 2 ** rounds;
    rounds++;
  }
  return rounds;
}

function tlsHandshakeRtts(security: Security, connection: ConnectionKind): number {
  if (security === 'none' || connection === 'reused') return 0;
  if (security === 'tls13') return 1; // full and resumed (no 0-RTT) both take 1 RTT
  return connection === 'resumed' ? 1 : 2; // TLS 1.2: abbreviated handshake when resumed
}

/** The latency breakdown of one request; see the module comment for the model and its limits. */
export function modelRequest(input: RequestModelInput): RequestModel {
  const rtt = input.rtt_ms;
  requireNonNegative(rtt, 'rtt_ms');
  const mss = input.mss_bytes ?? DEFAULT_MSS_BYTES;
  const initcwnd = input.initcwnd_segments ?? DEFAULT_INITCWND_SEGMENTS;
  const requestBytes = input.request_bytes ?? DEFAULT_REQUEST_BYTES;
  const serverDelay = input.server_delay_ms ?? 0;
  const rate = input.rate_mbit ?? null;
  requireNonNegative(serverDelay, 'server_delay_ms');
  if (rate !== null) requirePositive(rate, 'rate_mbit');
  if (input.connection === 'resumed' && input.security === 'none') {
    throw new RangeError("connection 'resumed' needs TLS (security 'tls12' or 'tls13')");
  }

  const isNewTcp = input.connection !== 'reused';
  const startWindow = isNewTcp ? initcwnd : (input.cwnd_segments_at_start ?? Infinity);
  const tcpRtts = isNewTcp ? 1 : 0;
  const tlsRtts = tlsHandshakeRtts(input.security, input.connection);
  const requestRtts = 1;
  // The client's window also starts at initcwnd on a new connection; a reused one is assumed open.
  const requestExtra = slowStartRounds(requestBytes, isNewTcp ? initcwnd : Infinity, mss) - 1;
  const segments = segmentsFor(input.response_bytes, mss);
  const rounds = slowStartRounds(input.response_bytes, startWindow, mss);

  const segment_ms = rate === null ? 0 : (mss * 8) / (rate * 1000);
  let slowStartMs = 0;
  for (let k = 1; k < rounds; k++) {
    const window = startWindow * 2 ** (k - 1);
    slowStartMs += Math.max(0, rtt + segment_ms - window * segment_ms);
  }
  const transferMs = rate === null ? 0 : (input.response_bytes * 8) / (rate * 1000);

  const slowStartRoundsExtra = rounds - 1;
  const totalRtts = tcpRtts + tlsRtts + requestRtts + requestExtra + slowStartRoundsExtra;
  return {
    tcp_handshake_rtts: tcpRtts,
    tls_handshake_rtts: tlsRtts,
    request_rtts: requestRtts,
    request_slow_start_rounds: requestExtra,
    slow_start_rounds: slowStartRoundsExtra,
    response_segments: segments,
    slow_start_ms: slowStartMs,
    transfer_ms: transferMs,
    server_delay_ms: serverDelay,
    total_rtts: totalRtts,
    total_ms: (tcpRtts + tlsRtts + requestRtts + requestExtra) * rtt + slowStartMs + transferMs + serverDelay,
  };
}

export interface ExpectedSaving {
  new_connection: RequestModel;
  reused_connection: RequestModel;
  /** new − reused. */
  saving_ms: number;
  saving_rtts: number;
}

/** What keep-alive saves on one request: a new connection vs a reused one, everything else equal. */
export function expectedSaving(input: Omit<RequestModelInput, 'connection'>): ExpectedSaving {
  const fresh = modelRequest({ ...input, connection: 'new' });
  const reused = modelRequest({ ...input, connection: 'reused' });
  return {
    new_connection: fresh,
    reused_connection: reused,
    saving_ms: fresh.total_ms - reused.total_ms,
    saving_rtts: fresh.total_rtts - reused.total_rtts,
  };
}
