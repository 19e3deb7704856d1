/**
 * Measures the link a run actually got, before scenarios use it: TCP connect time (one SYN/SYN-ACK round
 * trip), a small request's round trip on a kept-alive connection, and for rate-limited profiles the goodput of
 * a bulk transfer. Configured and measured values are recorded side by side.
 */
import type { Agent } from './agent-client.ts';
import type { ProbeRequest } from './probe.ts';
import type { ClientTls, Target } from './target.ts';
import { summarize, type OkSummary } from '../../lib/stats-summary.ts';
import type { LinkParams } from '../../netem/link.ts';
import { routeOr, type RouteSet } from '../../servers/under-test.ts';

export interface CalibrationSample {
  kind: 'connect' | 'request' | 'bulk';
  value_ms: number | null;
  size_bytes: number;
  error: string | null;
}

export interface MeasuredFigure {
  n: number;
  median_ms: number;
  p99_ms: number;
  ci95_low_ms: number | null;
  ci95_high_ms: number | null;
}

export interface Calibration {
  rtt_ms_configured: number;
  connect: MeasuredFigure | null;
  request: MeasuredFigure | null;
  /** Bulk goodput over a warm connection, Mbit/s (rate-limited profiles only). */
  goodput_mbit: number | null;
  rate_mbit_configured: number | null;
  /** What the scenarios use as "the RTT": the median connect time, or the request round trip (see rtt_from). */
  rtt_ms_calibrated: number | null;
  /** Connect median minus the same path's connect at 0 ms RTT: what the link itself adds (packet links only). */
  rtt_ms_link_added?: number | null;
  errors: number;
  warnings: string[];
}

export interface CalibrationOptions {
  samples: number;
  timeout_ms: number;
  /**
   * Which measurement is "the RTT": the TCP connect time where the link delays packets (one SYN/SYN-ACK round
   * trip), the small request's round trip where it delays bytes (proxy: the loopback connect is instant).
   */
  rtt_from: 'connect' | 'request';
  /** What to calibrate with: the harness's own h1 cleartext server, or a remote target's protocol. */
  protocol: 'h1' | 'h2';
  tls: ClientTls | null;
  /** The server's routes: a 1-byte response for the round trips, a sized one for goodput (skipped without one). */
  routes: RouteSet;
  /**
   * Whether the link emulates params (its RTT and rate are configured): only then is a measured figure off the
   * configured one worth a warning. A real path (--target) has no configured RTT to be off.
   */
  emulated: boolean;
}

function figure(values: number[]): MeasuredFigure | null {
  const s = summarize(values);
  if (s.kind !== 'ok') return null;
  const ok: OkSummary = s;
  return { n: ok.n, median_ms: ok.median, p99_ms: ok.p99, ci95_low_ms: ok.ci95_low, ci95_high_ms: ok.ci95_high };
}

/** Calibration got no answer at all: the server is not there (or the link passes nothing). */
export class NoAnswerError extends Error {
  constructor(
    readonly attempts: number,
    readonly first_error: string,
  ) {
    super(`no answer to ${attempts} requests in a row (first: ${first_error})`);
    this.name = 'NoAnswerError';
  }
}

/**
 * Calibration's first requests decide whether anything answers: NO_ANSWER_ATTEMPTS failures before any success
 * end it with NoAnswerError (a link with loss still answers: TCP retransmits). Without this an unreachable
 * --target spent every case's requests on errors and the run ended "completed".
 */
export const NO_ANSWER_ATTEMPTS = 3;

class NoAnswerWatch {
  private answered = false;
  private failures = 0;
  private first: string | null = null;

  note(error: string | null): void {
    if (this.answered) return;
    if (error === null) {
      this.answered = true;
      return;
    }
    this.first ??= error;
    if (++this.failures >= NO_ANSWER_ATTEMPTS) throw new NoAnswerError(this.failures, this.first);
  }
}

/** A measured RTT more than 5 % (or 0.5 ms) off the configured one is a deviation worth flagging. */
export function rttDeviates(configured_ms: number, measured_ms: number): boolean {
  return Math.abs(measured_ms - configured_ms) > Math.max(0.05 * configured_ms, 0.5);
}

export async function calibrate(
  agent: Agent,
  target: Target,
  params: LinkParams,
  opts: CalibrationOptions,
  onSample: (s: CalibrationSample) => void = () => undefined,
): Promise<Calibration> {
  try {
    return await measureCalibration(agent, target, params, opts, onSample);
  } catch (e) {
    // NoAnswerError (or a failed probe) ends it early: the pooled calibration connection goes now, not at teardown.
    await agent.close('calibration').catch(() => undefined);
    throw e;
  }
}

async function measureCalibration(
  agent: Agent,
  target: Target,
  params: LinkParams,
  opts: CalibrationOptions,
  onSample: (s: CalibrationSample) => void,
): Promise<Calibration> {
  const base: Omit<ProbeRequest, 'connection' | 'path' | 'close_after'> = {
    target,
    protocol: opts.protocol,
    tls: opts.tls,
    conn_key: 'calibration',
    resume: false,
    timeout_ms: opts.timeout_ms,
  };
  const small = routeOr(opts.routes.small(1)?.path ?? null, 'a small response (calibration)');
  let errors = 0;
  const noAnswer = new NoAnswerWatch();
  const take = (
    kind: CalibrationSample['kind'],
    value_ms: number | null,
    size_bytes: number,
    error: string | null,
  ): void => {
    if (error) errors++;
    onSample({ kind, value_ms, size_bytes, error });
    noAnswer.note(error);
  };

  const connects: number[] = [];
  // One throw-away connection first: the first connect of a process pays for code paths not yet compiled.
  noAnswer.note((await agent.probe({ ...base, connection: 'new', path: small, close_after: true })).error);
  for (let i = 0; i < opts.samples; i++) {
    const s = await agent.probe({ ...base, connection: 'new', path: small, close_after: true });
    take('connect', s.connect_ms, 1, s.error);
    if (s.error === null && s.connect_ms !== null) connects.push(s.connect_ms);
  }

  const requests: number[] = [];
  await agent.probe({ ...base, connection: 'new', path: small, close_after: false });
  for (let i = 0; i < opts.samples; i++) {
    const s = await agent.probe({ ...base, connection: 'reuse', path: small, close_after: false });
    take('request', s.total_ms, 1, s.error);
    if (s.error === null && s.total_ms !== null) requests.push(s.total_ms);
  }

  let goodput_mbit: number | null = null;
  const connect = figure(connects);
  // About two seconds of data at the configured rate, on the already warm connection.
  const size_bytes =
    params.rate_mbit === null
      ? 0
      : Math.min(64 * 1024 * 1024, Math.max(256 * 1024, Math.round((params.rate_mbit * 1e6 * 2) / 8)));
  const bulkPath = params.rate_mbit === null ? null : opts.routes.sized(size_bytes);
  if (bulkPath !== null) {
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await agent.probe({
        ...base,
        connection: 'reuse',
        path: bulkPath,
        close_after: false,
        timeout_ms: Math.max(opts.timeout_ms, 60_000),
      });
      take('bulk', s.total_ms, size_bytes, s.error);
      if (s.error === null && s.total_ms !== null && s.ttfb_ms !== null) {
        // Goodput over the body's transfer: from the first byte to the last.
        const transfer_ms = s.total_ms - s.ttfb_ms;
        if (transfer_ms > 0) rates.push((size_bytes * 8) / (transfer_ms * 1000));
      }
    }
    const g = summarize(rates);
    goodput_mbit = g.kind === 'ok' ? g.median : null;
  }
  await agent.close('calibration');

  const request = figure(requests);
  const rtt_ms_calibrated = (opts.rtt_from === 'connect' ? connect : request)?.median_ms ?? null;
  const warnings: string[] = [];
  if (opts.emulated && rtt_ms_calibrated !== null && rttDeviates(params.rtt_ms, rtt_ms_calibrated)) {
    warnings.push(
      `measured RTT ${rtt_ms_calibrated.toFixed(3)} ms is off the configured ${params.rtt_ms} ms by more than 5 % or 0.5 ms`,
    );
  }
  if (
    opts.emulated &&
    goodput_mbit !== null &&
    params.rate_mbit !== null &&
    Math.abs(goodput_mbit - params.rate_mbit) > 0.1 * params.rate_mbit
  ) {
    warnings.push(
      `measured goodput ${goodput_mbit.toFixed(2)} Mbit/s is more than 10 % off the configured ${params.rate_mbit} Mbit/s`,
    );
  }
  if (errors > 0) warnings.push(`${errors} calibration requests failed`);
  return {
    rtt_ms_configured: params.rtt_ms,
    connect,
    request,
    goodput_mbit,
    rate_mbit_configured: params.rate_mbit,
    rtt_ms_calibrated,
    rtt_ms_link_added: null,
    errors,
    warnings,
  };
}
