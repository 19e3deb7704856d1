/**
 * The closed- and open-loop request engine both own drivers share; a transport supplies connections.
 * Closed loop: connections × per_connection slots, each sends its next request when the last one answered.
 * Open loop: requests are due every 1/rate s; a due request waits for a free slot and its latency counts from
 * when it was due. Both stop at duration_ms or max_requests, then wait at most timeout_ms for what is in flight.
 */
import { nowMs } from '../clock.ts';
import { errorMessage } from '../../../lib/errors.ts';
import { LatencyHistogram } from './histogram.ts';
import { validateLoadOptions, type LoadOptions, type LoadResult } from './types.ts';

export interface LoadAnswer {
  status: number;
  body_bytes: number;
}

export interface LoadConn {
  /** Null while requests can be sent on it. */
  readonly unusableReason: string | null;
  request(path: string, timeout_ms: number): Promise<LoadAnswer>;
  close(): void;
}

export interface LoadTransport {
  open(opts: LoadOptions): Promise<LoadConn>;
}

export type ErrorKind = 'timeout' | 'reset' | 'other';

/** Open loop: due requests waiting for a free slot, at most. */
export const MAX_QUEUED = 100_000;

export function classifyError(message: string): ErrorKind {
  if (/timeout|timed out/i.test(message)) return 'timeout';
  if (/ECONNRESET|EPIPE|ECONNABORTED|closed|GOAWAY|NGHTTP2|RST|reset/i.test(message)) return 'reset';
  return 'other';
}

class Tally {
  readonly latency = new LatencyHistogram();
  readonly lag = new LatencyHistogram();
  sent = 0;
  responses = 0;
  ok = 0;
  non2xx = 0;
  timeouts = 0;
  resets = 0;
  other = 0;
  body_bytes = 0;

  answer(a: LoadAnswer, latency_ms: number): void {
    this.responses++;
    if (a.status >= 200 && a.status < 300) {
      this.ok++;
      this.body_bytes += a.body_bytes;
      this.latency.recordMs(latency_ms);
    } else this.non2xx++;
  }

  fail(e: unknown): void {
    const kind = classifyError(errorMessage(e));
    if (kind === 'timeout') this.timeouts++;
    else if (kind === 'reset') this.resets++;
    else this.other++;
  }
}

/** One slot's connection: reopened after it breaks (or per request without keep-alive). */
class Slot {
  private conn: LoadConn | null = null;
  constructor(
    private readonly transport: LoadTransport,
    private readonly opts: LoadOptions,
    private readonly shared: { conn: LoadConn | null; opening: Promise<LoadConn> | null } | null,
  ) {}

  /** The connection when it is open and usable (no promise on the hot path). */
  ready(): LoadConn | null {
    const c = this.shared ? this.shared.conn : this.conn;
    return c && c.unusableReason === null ? c : null;
  }

  async get(): Promise<LoadConn> {
    if (this.shared) {
      if (this.shared.conn && this.shared.conn.unusableReason === null) return this.shared.conn;
      this.shared.opening ??= this.transport.open(this.opts).finally(() => {
        if (this.shared) this.shared.opening = null;
      });
      this.shared.conn = await this.shared.opening;
      return this.shared.conn;
    }
    if (this.conn && this.conn.unusableReason === null) return this.conn;
    this.conn = await this.transport.open(this.opts);
    return this.conn;
  }

  release(): void {
    if (!this.opts.keep_alive && this.conn) {
      this.conn.close();
      this.conn = null;
    }
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
    if (this.shared) {
      this.shared.conn?.close();
      this.shared.conn = null;
    }
  }
}

function makeSlots(transport: LoadTransport, opts: LoadOptions): Slot[] {
  const slots: Slot[] = [];
  for (let c = 0; c < opts.connections; c++) {
    // With keep-alive the per_connection slots of a connection share it; without, each slot has its own.
    const shared = opts.keep_alive ? { conn: null, opening: null } : null;
    for (let s = 0; s < opts.per_connection; s++) slots.push(new Slot(transport, opts, shared));
  }
  return slots;
}

export async function runLoad(
  driver: string,
  transport: LoadTransport,
  opts: LoadOptions,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const invalid = validateLoadOptions(opts);
  if (invalid) throw new Error(`bad load options: ${invalid}`);
  const tally = new Tally();
  const slots = makeSlots(transport, opts);
  const t0 = nowMs();
  const deadline = t0 + opts.duration_ms;
  const cap = opts.max_requests ?? Number.POSITIVE_INFINITY;
  const stopped = (): boolean => signal?.aborted === true || nowMs() >= deadline || tally.sent >= cap;
  let not_sent = 0;

  const sendOn = async (slot: Slot, since_ms: number): Promise<void> => {
    tally.sent++;
    try {
      const conn = slot.ready() ?? (await slot.get());
      const a = await conn.request(opts.path, opts.timeout_ms);
      tally.answer(a, nowMs() - since_ms);
    } catch (e) {
      tally.fail(e);
    } finally {
      slot.release();
    }
  };

  if (opts.loop === 'closed') {
    await Promise.all(
      slots.map(async (slot) => {
        while (!stopped()) await sendOn(slot, nowMs());
      }),
    );
  } else {
    const interval_ms = 1000 / (opts.rate_rps ?? 1);
    const free: Slot[] = [...slots];
    const queue: number[] = []; // intended send times of due requests waiting for a slot
    const inFlight = new Set<Promise<void>>();
    let due = 0;
    const dispatch = (): void => {
      while (queue.length > 0 && free.length > 0) {
        const intended = queue.shift()!;
        const slot = free.pop()!;
        tally.lag.recordMs(nowMs() - intended);
        const p = sendOn(slot, intended).finally(() => {
          inFlight.delete(p);
          free.push(slot);
          dispatch();
        });
        inFlight.add(p);
      }
    };
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = nowMs();
        while (due < cap && t0 + due * interval_ms <= Math.min(now, deadline) && !signal?.aborted) {
          // A server that stalls must not make the queue grow without bound: past the cap, due requests are given up.
          if (queue.length >= MAX_QUEUED) not_sent++;
          else queue.push(t0 + due * interval_ms);
          due++;
        }
        dispatch();
        if (signal?.aborted || now >= deadline || due >= cap) return resolve();
        setTimeout(tick, Math.max(0, t0 + due * interval_ms - nowMs()));
      };
      tick();
    });
    not_sent += queue.length;
    queue.length = 0;
    await Promise.all([...inFlight]);
  }
  for (const s of slots) s.close();
  const elapsed_ms = nowMs() - t0;
  const latency = tally.latency;
  return {
    driver,
    protocol: opts.protocol,
    loop: opts.loop,
    connections: opts.connections,
    per_connection: opts.per_connection,
    keep_alive: opts.keep_alive,
    rate_rps_target: opts.loop === 'open' ? opts.rate_rps : null,
    elapsed_ms: Math.round(elapsed_ms * 1000) / 1000,
    sent: tally.sent,
    responses: tally.responses,
    ok_2xx: tally.ok,
    non_2xx: tally.non2xx,
    errors: tally.timeouts + tally.resets + tally.other,
    timeouts: tally.timeouts,
    resets: tally.resets,
    not_sent,
    requests_per_s: Math.round((tally.responses / (elapsed_ms / 1000)) * 10) / 10,
    body_bytes: tally.body_bytes,
    latency: latency.summary(),
    latency_hist: latency.toJSON(),
    send_lag: opts.loop === 'open' ? tally.lag.summary() : null,
  };
}
