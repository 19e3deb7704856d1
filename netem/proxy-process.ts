/**
 * The proxy link's child process: TCP listeners on 127.0.0.1 that forward to servers on 127.0.0.1 and delay the
 * bytes in each direction (see proxy.ts). argv[2] = JSON LinkParams. Protocol (JSON lines, lib/child.ts):
 *   → {id, op:'listen', upstream_port}   ← {id, port}
 *   → {id, op:'configure', params}       ← {id, ok:true}
 *   → {id, op:'stats'}                   ← {id, up, down, timer}
 * Exits when stdin reaches EOF. KAB_PROXY_TIMER=timeout swaps the timer thread for setTimeout + setImmediate
 * polling (for comparing their precision and CPU cost).
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { emitJsonLine, serveJsonLines } from '../lib/child.ts';
import type { LinkParams } from './link.ts';

const NS_PER_MS = 1_000_000;
/** Above this many bytes waiting in one direction, stop reading from the sender (memory bound). */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LOW_WATER_BYTES = 1 * 1024 * 1024;
const LATENESS_SAMPLES = 20_000;

const hrnow = (): bigint => process.hrtime.bigint();
const msToNs = (ms: number): bigint => BigInt(Math.round(ms * NS_PER_MS));
const maxBig = (...xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a));

// ---------------------------------------------------------------- precise scheduler

interface Timed {
  due: bigint;
  seq: number;
  run: () => void;
}

/** Calls back once, at or a little after `at` (hrtime ns); a later call replaces the earlier one. */
interface Waker {
  /** How long before a deadline to ask for the wake-up; the rest is covered by polling the clock. */
  readonly early_ns: bigint;
  wakeAt(at: bigint): void;
}

/**
 * setTimeout alone fires up to ~1 ms late (millisecond loop clock), so it is asked to wake 2 ms early and
 * setImmediate polls the rest: precise, but a busy link spins the CPU most of the time.
 */
class TimeoutWaker implements Waker {
  readonly early_ns = 2n * BigInt(NS_PER_MS);
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly cb: () => void) {}
  wakeAt(at: bigint): void {
    if (this.timer !== null) clearTimeout(this.timer);
    const wait_ms = Number((at - hrnow()) / BigInt(NS_PER_MS));
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.cb();
      },
      Math.max(0, wait_ms),
    );
  }
}

/** Worker thread: sleeps in Atomics.wait (a futex with a sub-millisecond timeout) and posts when `due` passes. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const gen = new Int32Array(workerData, 0, 1);
const due = new BigInt64Array(workerData, 8, 1);
for (;;) {
  const g = Atomics.load(gen, 0);
  const d = Atomics.load(due, 0);
  if (d < 0n) { Atomics.wait(gen, 0, g); continue; }
  const left = d - process.hrtime.bigint();
  if (left > 0n) { Atomics.wait(gen, 0, g, Number(left) / 1e6); continue; }
  Atomics.compareExchange(due, 0, d, -1n);
  parentPort.postMessage(0);
}
`;

/**
 * Wakes the event loop through a worker thread. Waking an idle process takes ~0.35 ms on a small VM (futex,
 * then the loop's eventfd), so it wakes 0.6 ms early and polls the rest: ~1 µs median error, with far less
 * spinning than setTimeout needs.
 */
class WorkerWaker implements Waker {
  readonly early_ns = 600_000n;
  private readonly gen: Int32Array;
  private readonly due: BigInt64Array;
  constructor(cb: () => void) {
    const sab = new SharedArrayBuffer(16);
    this.gen = new Int32Array(sab, 0, 1);
    this.due = new BigInt64Array(sab, 8, 1);
    Atomics.store(this.due, 0, -1n);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: sab });
    worker.on('message', cb);
    worker.on('error', (e) => {
      process.stderr.write(`proxy link: timer thread failed: ${String(e)}\n`);
      process.exit(1);
    });
    worker.unref();
  }
  wakeAt(at: bigint): void {
    Atomics.store(this.due, 0, at);
    Atomics.add(this.gen, 0, 1);
    Atomics.notify(this.gen, 0);
  }
}

/** Runs callbacks at hrtime deadlines; callbacks with equal deadlines run in the order they were added. */
class PreciseScheduler {
  private heap: Timed[] = [];
  private seq = 0;
  private readonly waker: Waker;
  /** Deadline the waker is set for (null = none). */
  private wakeFor: bigint | null = null;
  private polling = false;
  /** How late each callback ran, in ns (ring buffer). */
  private lateness = new Float64Array(LATENESS_SAMPLES);
  private fired = 0;
  private maxLate = 0;

  constructor(kind: 'worker' | 'timeout') {
    const wake = (): void => {
      this.wakeFor = null;
      if (this.polling) return;
      this.polling = true;
      this.poll();
    };
    this.waker = kind === 'worker' ? new WorkerWaker(wake) : new TimeoutWaker(wake);
  }

  at(due: bigint, run: () => void): void {
    this.push({ due, seq: this.seq++, run });
    this.arm();
  }

  stats(): { count: number; mean_us: number; p50_us: number; p99_us: number; max_us: number } {
    const n = Math.min(this.fired, LATENESS_SAMPLES);
    const xs = Array.from(this.lateness.subarray(0, n)).sort((a, b) => a - b);
    const q = (f: number): number => (n === 0 ? 0 : (xs[Math.min(n - 1, Math.floor(f * n))] ?? 0) / 1000);
    const mean = n === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / n / 1000;
    return { count: this.fired, mean_us: mean, p50_us: q(0.5), p99_us: q(0.99), max_us: this.maxLate / 1000 };
  }

  private arm(): void {
    if (this.polling) return;
    const top = this.heap[0];
    if (!top) return;
    const wakeAt = top.due - this.waker.early_ns;
    if (wakeAt <= hrnow()) {
      this.polling = true;
      setImmediate(this.poll);
    } else if (this.wakeFor === null || wakeAt < this.wakeFor) {
      this.wakeFor = wakeAt;
      this.waker.wakeAt(wakeAt);
    }
  }

  private poll = (): void => {
    this.polling = false;
    for (;;) {
      const top = this.heap[0];
      if (!top) break;
      const now = hrnow();
      if (top.due > now) break;
      this.pop();
      const late = Number(now - top.due);
      this.lateness[this.fired % LATENESS_SAMPLES] = late;
      this.fired++;
      if (late > this.maxLate) this.maxLate = late;
      top.run();
    }
    this.arm();
  };

  private less(a: Timed, b: Timed): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(x: Timed): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Timed;
      if (!this.less(x, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = x;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let best = last;
      const hl = h[l];
      const hr = h[r];
      if (hl && this.less(hl, best)) {
        m = l;
        best = hl;
      }
      if (hr && this.less(hr, best)) m = r;
      if (m === i) break;
      h[i] = h[m] as Timed;
      i = m;
    }
    h[i] = last;
  }
}

// ---------------------------------------------------------------- link state

let params: LinkParams = JSON.parse(process.argv[2] ?? 'null') as LinkParams;
const sched = new PreciseScheduler(process.env.KAB_PROXY_TIMER === 'timeout' ? 'timeout' : 'worker');
const totals = { up: { bytes: 0, chunks: 0 }, down: { bytes: 0, chunks: 0 } };

function checkParams(p: unknown): LinkParams {
  const q = p as LinkParams | null;
  if (!q || typeof q.rtt_ms !== 'number' || typeof q.jitter_ms !== 'number' || typeof q.loss_pct !== 'number') {
    throw new Error('bad link params');
  }
  if (q.loss_pct !== 0) throw new Error('the proxy link cannot emulate packet loss');
  return q;
}

/** One-way delay of the next chunk: half the RTT ± uniform jitter. */
function oneWayNs(p: LinkParams): bigint {
  const jitter = p.jitter_ms > 0 ? (Math.random() * 2 - 1) * p.jitter_ms : 0;
  return msToNs(Math.max(0, p.rtt_ms / 2 + jitter));
}

// ---------------------------------------------------------------- one direction of one connection

/** A byte delay line from src to dst: order kept, each chunk due at arrival (+ serialization) + one-way delay. */
class Pipe {
  private lastDue = 0n;
  private linkFreeAt = 0n;
  private queuedBytes = 0;
  private paused = false;
  sawEnd = false;

  constructor(
    private readonly src: net.Socket,
    private readonly dst: net.Socket,
    private readonly total: { bytes: number; chunks: number },
    /** Data cannot arrive before the handshake the loopback connect skipped would have let it. */
    private readonly dataFloor: bigint,
    /** FIN/RST cannot arrive before this either. */
    private readonly controlFloor: bigint,
    private readonly conn: Conn,
  ) {
    dst.on('drain', () => this.flow());
  }

  data(chunk: Buffer): void {
    const now = hrnow();
    let sent = now;
    if (params.rate_mbit !== null && params.rate_mbit > 0) {
      const start = maxBig(now, this.linkFreeAt);
      // bits / (Mbit/s) = µs
      this.linkFreeAt = start + BigInt(Math.round(((chunk.length * 8) / params.rate_mbit) * 1000));
      sent = this.linkFreeAt;
    }
    const due = maxBig(sent + oneWayNs(params), this.dataFloor, this.lastDue);
    this.lastDue = due;
    this.queuedBytes += chunk.length;
    this.flow();
    sched.at(due, () => {
      this.queuedBytes -= chunk.length;
      if (!this.dst.destroyed && this.dst.writable) {
        this.dst.write(chunk);
        this.total.bytes += chunk.length;
        this.total.chunks++;
      }
      this.flow();
    });
  }

  end(): void {
    this.sawEnd = true;
    const due = maxBig(hrnow() + oneWayNs(params), this.controlFloor, this.lastDue);
    this.lastDue = due;
    sched.at(due, () => {
      if (!this.dst.destroyed) this.dst.end();
    });
  }

  reset(): void {
    const due = maxBig(hrnow() + oneWayNs(params), this.controlFloor, this.lastDue);
    this.lastDue = due;
    sched.at(due, () => this.conn.resetSocket(this.dst));
  }

  private flow(): void {
    const backlog = this.queuedBytes + this.dst.writableLength;
    if (!this.paused && backlog > HIGH_WATER_BYTES) {
      this.paused = true;
      this.src.pause();
    } else if (this.paused && backlog < LOW_WATER_BYTES) {
      this.paused = false;
      this.src.resume();
    }
  }
}

// ---------------------------------------------------------------- one proxied connection

const conns = new Set<Conn>();

class Conn {
  private readonly destroyedByUs = new WeakSet<net.Socket>();
  private closed = 0;

  constructor(client: net.Socket, upstreamPort: number) {
    const accepted = hrnow();
    const rtt = msToNs(params.rtt_ms);
    const half = rtt / 2n;
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    conns.add(this);
    // Real TCP: SYN, SYN-ACK (1 RTT), then the client's data takes half an RTT: server sees it at 1.5 RTT.
    // A server that speaks first is accepted at 1.5 RTT; its data reaches the client at 2 RTT.
    const up = new Pipe(client, upstream, totals.up, accepted + rtt + half, accepted + rtt + half, this);
    // A refused connect (RST for the SYN) reaches the client after 1 RTT.
    const down = new Pipe(upstream, client, totals.down, accepted + 2n * rtt, accepted + rtt, this);
    this.wire(client, up);
    this.wire(upstream, down);
  }

  resetSocket(s: net.Socket): void {
    if (s.destroyed) return;
    this.destroyedByUs.add(s);
    s.resetAndDestroy();
  }

  private wire(s: net.Socket, out: Pipe): void {
    let failed = false;
    s.on('data', (chunk: Buffer) => out.data(chunk));
    s.on('end', () => out.end());
    s.on('error', () => {
      failed = true;
    });
    s.on('close', () => {
      if (++this.closed === 2) conns.delete(this);
      if (this.destroyedByUs.has(s)) return;
      // Closed without a clean FIN, or with an error: the peer reset it (or it never connected).
      if (failed || !out.sawEnd) out.reset();
    });
  }
}

// ---------------------------------------------------------------- listeners and requests

const listeners = new Map<number, Promise<number>>();

function listen(upstreamPort: number): Promise<number> {
  let p = listeners.get(upstreamPort);
  if (!p) {
    p = new Promise<number>((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (client) => {
        new Conn(client, upstreamPort);
      });
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, () => {
        const addr = server.address();
        if (addr === null || typeof addr === 'string') reject(new Error('listener has no port'));
        else resolve(addr.port);
      });
    });
    listeners.set(upstreamPort, p);
  }
  return p;
}

async function handle(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
  switch (msg.op) {
    case 'listen': {
      const port = msg.upstream_port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`bad upstream_port ${String(port)}`);
      }
      return { port: await listen(port) };
    }
    case 'configure':
      params = checkParams(msg.params);
      return {};
    case 'stats':
      return { up: { ...totals.up }, down: { ...totals.down }, timer: sched.stats(), connections: conns.size };
    default:
      throw new Error(`unknown op ${String(msg.op)}`);
  }
}

try {
  params = checkParams(params);
} catch (e) {
  emitJsonLine({ error: (e as Error).message });
  process.exit(1);
}

// Stdin EOF (the parent is gone, or done with us) ends the process: nothing is left behind.
serveJsonLines(handle);
