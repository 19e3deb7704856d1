/**
 * The userspace delay line between the two TUN devices of a tun link (one process per link, started by
 * tun.ts in the root namespace): `tun-delay-line.ts <client dev> <server dev> <LinkParams JSON>`.
 *
 * One synchronous loop (no Node event loop): ppoll on [client TUN, server TUN, stdin] with a timeout equal
 * to the time until the next packet is due; read what arrived, schedule it, write out what is due.
 * Control requests arrive as JSON lines on stdin; EOF on stdin ends the process (and its devices with it).
 *
 * Per direction, in this order: blackhole, flow idle timeout, Bernoulli loss, the rate-limited bottleneck
 * (drop-tail), then the one-way delay (rtt/2 ± jitter, never reordering).
 */
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import type { DirectionCounters, LinkCounters, LinkParams } from './link.ts';
import { emptyDirectionCounters } from './link.ts';
import { emitJsonLine, type RpcReply } from '../lib/child.ts';
import {
  EAGAIN,
  EINTR,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  Poller,
  openTun,
  setRealtimePriority,
  readPacket,
  setTimerSlack,
  strerror,
  writePacket,
} from './tun-device.ts';

/** Bottleneck queue when LinkParams.queue_packets is null: Linux's default txqueuelen (and netem's default limit). */
export const DEFAULT_QUEUE_PACKETS = 1000;
/** Memory bound: at most this many packets held per direction (delay + bottleneck); beyond it they count as queue drops. */
export const MAX_HELD_PACKETS = 200_000;
/** Flows idle longer than max(this, idle timeout) are forgotten to bound the flow table. */
export const FLOW_FORGET_MS = 3_600_000;

const LATENESS_SAMPLES = 4096;

export type Direction = 'up' | 'down';

/** Why params cannot be used, or null. */
export function paramsProblem(p: LinkParams): string | null {
  const finiteNonNeg = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!finiteNonNeg(p.rtt_ms)) return `rtt_ms must be a number ≥ 0, got ${String(p.rtt_ms)}`;
  if (!finiteNonNeg(p.jitter_ms)) return `jitter_ms must be a number ≥ 0, got ${String(p.jitter_ms)}`;
  if (!finiteNonNeg(p.loss_pct) || p.loss_pct > 100) return `loss_pct must be from 0 to 100, got ${String(p.loss_pct)}`;
  if (p.rate_mbit !== null && !(finiteNonNeg(p.rate_mbit) && p.rate_mbit > 0)) {
    return `rate_mbit must be > 0 or null, got ${String(p.rate_mbit)}`;
  }
  if (p.queue_packets !== null && !(Number.isInteger(p.queue_packets) && p.queue_packets >= 1)) {
    return `queue_packets must be an integer ≥ 1 or null, got ${String(p.queue_packets)}`;
  }
  if (!(Number.isInteger(p.mtu_bytes) && p.mtu_bytes >= 576 && p.mtu_bytes <= 65535)) {
    return `mtu_bytes must be an integer from 576 to 65535, got ${String(p.mtu_bytes)}`;
  }
  return null;
}

/** A growable ring buffer. */
class Fifo<T> {
  private items: Array<T | undefined> = new Array<T | undefined>(64);
  private head = 0;
  length = 0;

  push(x: T): void {
    if (this.length === this.items.length) {
      const old = this.items;
      this.items = new Array<T | undefined>(old.length * 2);
      for (let i = 0; i < this.length; i++) this.items[i] = old[(this.head + i) % old.length];
      this.head = 0;
    }
    this.items[(this.head + this.length) % this.items.length] = x;
    this.length++;
  }

  peek(): T | undefined {
    return this.length > 0 ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const x = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return x;
  }
}

interface Held {
  release_ms: number;
  data: Buffer;
}

class DirectionState {
  readonly counters: DirectionCounters = emptyDirectionCounters();
  /** Packets in release order (release times never decrease: no reordering). */
  readonly held = new Fifo<Held>();
  /** Departure times from the bottleneck of the packets still waiting for it or being serialized. */
  readonly bottleneck = new Fifo<number>();
  lastDeparture_ms = -Infinity;
  lastRelease_ms = -Infinity;
}

const PROTO_TCP = 6;
const PROTO_UDP = 17;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

export class DelayLineCore {
  private params: LinkParams;
  private idleTimeout_ms: number | null = null;
  private blackhole = false;
  /** Bidirectional 5-tuple → last time a packet of the flow was seen. */
  private readonly flows = new Map<string, number>();
  private lastSweep_ms = 0;
  private readonly dirs: Record<Direction, DirectionState> = { up: new DirectionState(), down: new DirectionState() };
  /** How late the last LATENESS_SAMPLES releases were written out, in ms (a ring). */
  private readonly lateness_ms = new Float64Array(LATENESS_SAMPLES);
  private latenessCount = 0;

  constructor(
    params: LinkParams,
    private readonly random: () => number = Math.random,
  ) {
    this.params = { ...params };
  }

  configure(params: LinkParams): void {
    this.params = { ...params };
  }

  setIdleTimeout(ms: number | null): void {
    this.idleTimeout_ms = ms;
  }

  setBlackhole(on: boolean): void {
    this.blackhole = on;
  }

  counters(): LinkCounters {
    return { up: { ...this.dirs.up.counters }, down: { ...this.dirs.down.counters } };
  }

  /** Percentiles of how late recent packets were released (µs): the delay line's own timing error. */
  releaseLateness(): { samples: number; p50_us: number; p99_us: number; max_us: number } {
    const n = Math.min(this.latenessCount, LATENESS_SAMPLES);
    const s = Array.from(this.lateness_ms.subarray(0, n)).sort((a, b) => a - b);
    const q = (f: number) => (n === 0 ? 0 : (s[Math.min(n - 1, Math.floor(f * n))] as number) * 1000);
    return { samples: n, p50_us: q(0.5), p99_us: q(0.99), max_us: n === 0 ? 0 : (s[n - 1] as number) * 1000 };
  }

  resetReleaseLateness(): void {
    this.latenessCount = 0;
  }

  /** Packets held in both directions. */
  heldCount(): number {
    return this.dirs.up.held.length + this.dirs.down.held.length;
  }

  flowCount(): number {
    return this.flows.size;
  }

  /**
   * A packet of len bytes (in pkt) arrived from dir's sender at now_ms; returns whether it was accepted (copied).
   * Counters: packets/bytes count every packet that entered the link, dropped_* the ones that did not get through.
   */
  arrive(dir: Direction, pkt: Buffer, len: number, now_ms: number): boolean {
    const d = this.dirs[dir];
    const c = d.counters;
    c.packets++;
    c.bytes += len;
    if (this.blackhole) {
      c.dropped_blackhole++;
      return false;
    }
    if (!this.passesFlowTable(dir, pkt, len, now_ms)) {
      c.dropped_idle++;
      return false;
    }
    const p = this.params;
    if (p.loss_pct > 0 && this.random() * 100 < p.loss_pct) {
      c.dropped_loss++;
      return false;
    }
    if (d.held.length >= MAX_HELD_PACKETS) {
      c.dropped_queue++;
      return false;
    }
    let sent_ms = now_ms;
    if (p.rate_mbit !== null) {
      while (d.bottleneck.length > 0 && (d.bottleneck.peek() as number) <= now_ms) d.bottleneck.shift();
      if (d.bottleneck.length >= (p.queue_packets ?? DEFAULT_QUEUE_PACKETS)) {
        c.dropped_queue++;
        return false;
      }
      // Serialization: bits / (Mbit/s) = µs, /1000 = ms.
      sent_ms = Math.max(now_ms, d.lastDeparture_ms) + (len * 8) / p.rate_mbit / 1000;
      d.lastDeparture_ms = sent_ms;
      d.bottleneck.push(sent_ms);
    }
    const oneWay_ms = Math.max(0, p.rtt_ms / 2 + (p.jitter_ms > 0 ? p.jitter_ms * (2 * this.random() - 1) : 0));
    const release_ms = Math.max(sent_ms + oneWay_ms, d.lastRelease_ms);
    d.lastRelease_ms = release_ms;
    const data = Buffer.allocUnsafe(len);
    pkt.copy(data, 0, 0, len);
    d.held.push({ release_ms, data });
    return true;
  }

  /** Time of the next release in either direction, or null when nothing is held. */
  nextDue_ms(): number | null {
    const a = this.dirs.up.held.peek();
    const b = this.dirs.down.held.peek();
    if (a === undefined) return b === undefined ? null : b.release_ms;
    return b === undefined ? a.release_ms : Math.min(a.release_ms, b.release_ms);
  }

  /** Hands every packet due at now_ms to emit (in order per direction); a blackhole swallows them instead. */
  release(now_ms: number, emit: (dir: Direction, data: Buffer) => void): number {
    let n = 0;
    for (const dir of ['up', 'down'] as const) {
      const d = this.dirs[dir];
      for (let h = d.held.peek(); h !== undefined && h.release_ms <= now_ms; h = d.held.peek()) {
        d.held.shift();
        if (this.blackhole) {
          d.counters.dropped_blackhole++;
        } else {
          emit(dir, h.data);
          this.lateness_ms[this.latenessCount++ % LATENESS_SAMPLES] = now_ms - h.release_ms;
          n++;
        }
      }
    }
    return n;
  }

  /**
   * The NAT/firewall model. Flows (TCP/UDP over IPv4, by bidirectional 5-tuple) are always tracked, so
   * flows seen before a timeout is set count as known. With a timeout T: a packet of a flow idle longer
   * than T is dropped and the flow forgotten (unless it is a TCP SYN, which starts a new flow); a packet
   * of an unknown flow is dropped unless it opens one: a TCP SYN (without ACK), or any UDP packet sent
   * from the client side (like a NAT creating an outbound mapping). Other packets always pass.
   */
  private passesFlowTable(dir: Direction, pkt: Buffer, len: number, now_ms: number): boolean {
    if (len < 20 || pkt[0]! >> 4 !== 4) return true;
    const proto = pkt[9]!;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) return true;
    const ihl = (pkt[0]! & 0x0f) * 4;
    if (len < ihl + 4) return true;
    const src = pkt.readUInt32BE(12);
    const dst = pkt.readUInt32BE(16);
    const sport = pkt.readUInt16BE(ihl);
    const dport = pkt.readUInt16BE(ihl + 2);
    const key =
      src < dst || (src === dst && sport <= dport)
        ? `${proto}:${src}:${sport}:${dst}:${dport}`
        : `${proto}:${dst}:${dport}:${src}:${sport}`;

    if (now_ms - this.lastSweep_ms > 10_000) this.sweepFlows(now_ms);
    const last = this.flows.get(key);
    const T = this.idleTimeout_ms;
    if (T === null) {
      this.flows.set(key, now_ms);
      return true;
    }
    const isSyn = proto === PROTO_TCP && len >= ihl + 14 && (pkt[ihl + 13]! & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    if (last !== undefined && now_ms - last <= T) {
      this.flows.set(key, now_ms);
      return true;
    }
    if (last !== undefined) {
      // Idle too long: the middlebox forgot it.
      this.flows.delete(key);
      if (!isSyn) return false;
    }
    const opens = proto === PROTO_TCP ? isSyn : dir === 'up';
    if (!opens) return false;
    this.flows.set(key, now_ms);
    return true;
  }

  private sweepFlows(now_ms: number): void {
    this.lastSweep_ms = now_ms;
    const horizon_ms = Math.max(FLOW_FORGET_MS, this.idleTimeout_ms ?? 0);
    for (const [k, last] of this.flows) if (now_ms - last > horizon_ms) this.flows.delete(k);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The process: device setup, the loop, the control protocol.

/** The control protocol is lib/child.ts's (requests in, {id, ok, …} replies out), read by this file's own loop. */
export function handleControl(core: DelayLineCore, msg: Record<string, unknown>): RpcReply {
  const id = typeof msg.id === 'number' ? msg.id : undefined;
  switch (msg.op) {
    case 'configure': {
      const params = msg.params as LinkParams;
      const problem = typeof params === 'object' && params !== null ? paramsProblem(params) : 'params missing';
      if (problem) return { id, ok: false, error: problem };
      core.configure(params);
      return { id, ok: true };
    }
    case 'idle_timeout': {
      const ms = msg.ms;
      if (ms !== null && !(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
        return { id, ok: false, error: `ms must be a number ≥ 0 or null, got ${String(ms)}` };
      }
      core.setIdleTimeout(ms);
      return { id, ok: true };
    }
    case 'blackhole':
      if (typeof msg.on !== 'boolean') return { id, ok: false, error: 'on must be a boolean' };
      core.setBlackhole(msg.on);
      return { id, ok: true };
    case 'counters':
      return { id, ok: true, counters: core.counters() };
    case 'lateness': {
      const release_lateness = core.releaseLateness();
      if (msg.reset === true) core.resetReleaseLateness();
      return { id, ok: true, release_lateness };
    }
    default:
      return { id, ok: false, error: `unknown op ${String(msg.op)}` };
  }
}

function fail(message: string, code: number): never {
  process.stderr.write(`tun-delay-line: ${message}\n`);
  process.exit(code);
}

const BAD_REVENTS = POLLERR | POLLHUP | POLLNVAL;
/**
 * Even with a 1 ns timer slack, a sleeping process wakes tens of µs late (more in a VM whose vCPU halted).
 * When only a few packets are held (a handshake, a request), the loop wakes SPIN_MS early and polls without
 * sleeping until the release is due: a few % of a core buys µs-exact releases. With many packets held
 * (bulk transfer) it sleeps to the due time: there, spinning would cost a whole core.
 */
const SPIN_MS = Number(process.env.KAB_TUN_SPIN_MS ?? 0.2);
const SPIN_MAX_HELD = 8;
/**
 * The loop thread runs SCHED_FIFO at this priority (0 = not): on a busy machine (servers, clients, the
 * kernel's TCP on 2 cores) a normal-priority delay line wakes up milliseconds late at the 99th percentile;
 * real-time it stays within ~0.1 ms. The kernel's RT throttling (95 % per second) bounds what it can take,
 * and the loop only ever spins for SPIN_MS before a due release.
 */
const RT_PRIORITY = Number(process.env.KAB_TUN_RT_PRIORITY ?? 10);
/** Packets read from one device per wakeup before releases get another look. */
const DRAIN_BATCH = 32;

function main(args: string[]): void {
  const [clientDev, serverDev, paramsJson] = args;
  if (!clientDev || !serverDev || !paramsJson)
    fail('usage: tun-delay-line.ts <client dev> <server dev> <params json>', 2);
  const params = JSON.parse(paramsJson) as LinkParams;
  const problem = paramsProblem(params);
  if (problem) fail(problem, 2);

  setTimerSlack(1);
  const rtProblem = RT_PRIORITY > 0 ? setRealtimePriority(RT_PRIORITY) : 'disabled';
  let fdClient: number;
  let fdServer: number;
  try {
    fdClient = openTun(clientDev);
    fdServer = openTun(serverDev);
  } catch (e) {
    emitJsonLine({ error: (e as Error).message });
    process.exit(1);
  }
  const core = new DelayLineCore(params);
  const poller = new Poller([fdClient, fdServer, 0]);
  const packet = Buffer.allocUnsafe(65536);
  const input = Buffer.allocUnsafe(65536);
  const decoder = new StringDecoder('utf8');
  let pendingInput = '';
  const now_ms = () => performance.now();
  // Packets the client sends come out of the client-side device and go into the server-side one.
  const emit = (dir: Direction, data: Buffer) => {
    writePacket(dir === 'up' ? fdServer : fdClient, data, data.length);
  };
  const drain = (fd: number, dir: Direction) => {
    for (let i = 0; i < DRAIN_BATCH; i++) {
      const n = readPacket(fd, packet);
      if (n > 0) core.arrive(dir, packet, n, now_ms());
      else if (n === -EAGAIN || n === 0) return;
      else fail(`read from ${dir === 'up' ? clientDev : serverDev}: ${strerror(-n)} (device gone?)`, 3);
    }
  };

  emitJsonLine({
    ready: true,
    pid: process.pid,
    realtime: rtProblem === null,
    ...(rtProblem ? { realtime_error: rtProblem } : {}),
  });

  for (;;) {
    core.release(now_ms(), emit);
    const due = core.nextDue_ms();
    let timeout_ns: number | null = null;
    if (due !== null) {
      const wait_ms = due - now_ms();
      timeout_ns = (core.heldCount() <= SPIN_MAX_HELD ? wait_ms - SPIN_MS : wait_ms) * 1e6;
    }
    const r = poller.wait(timeout_ns);
    if (r < 0) {
      if (-r === EINTR) continue;
      fail(`ppoll: ${strerror(-r)}`, 3);
    }
    if (r === 0) continue;
    // Releases first: they are the time-critical part.
    core.release(now_ms(), emit);
    const evClient = poller.revents(0);
    const evServer = poller.revents(1);
    const evInput = poller.revents(2);
    if (evClient & BAD_REVENTS) fail(`${clientDev} is gone`, 3);
    if (evServer & BAD_REVENTS) fail(`${serverDev} is gone`, 3);
    if (evClient & POLLIN) drain(fdClient, 'up');
    if (evServer & POLLIN) drain(fdServer, 'down');
    if (evInput & (POLLIN | BAD_REVENTS)) {
      const n = readPacket(0, input);
      if (n === 0) process.exit(0);
      if (n < 0) {
        if (n === -EAGAIN || n === -EINTR) continue;
        fail(`read stdin: ${strerror(-n)}`, 3);
      }
      pendingInput += decoder.write(input.subarray(0, n));
      let nl: number;
      while ((nl = pendingInput.indexOf('\n')) >= 0) {
        const line = pendingInput.slice(0, nl).trim();
        pendingInput = pendingInput.slice(nl + 1);
        if (!line) continue;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          emitJsonLine({ id: undefined, ok: false, error: `not JSON: ${line.slice(0, 80)}` } satisfies RpcReply);
          continue;
        }
        emitJsonLine(handleControl(core, msg));
      }
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
