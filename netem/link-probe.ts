/**
 * The link probe: a JSON-line agent run inside each namespace (`link-probe.ts agent <bind host>`) that opens
 * connections, measures them and reports, and LinkProbe, the harness side that starts one agent per side of a
 * link and asks it. The link tools (scripts/bench-link.ts, scripts/link-parity.ts) and the tun and tc link
 * tests use it; no scenario does.
 */
import net from 'node:net';
import dgram from 'node:dgram';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { medianSorted, sortAsc } from '../lib/stats.ts';
import { serveJsonLines, spawnJsonChild, tsEntryArgv, type ChildHandle } from '../lib/child.ts';
import { inNetns } from '../lib/exec.ts';
import type { Link } from './link.ts';
import { sleep } from '../lib/sleep.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------------------
// The agent (child side).

type Msg = Record<string, unknown>;

function num(msg: Msg, key: string, dflt?: number): number {
  const v = msg[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${key} must be a number`);
  return v;
}

function str(msg: Msg, key: string): string {
  const v = msg[key];
  if (typeof v !== 'string') throw new Error(`${key} must be a string`);
  return v;
}

/** Resolves with the connect time in ms, or null when the connection failed or did not complete in time. */
function connectOnce(
  host: string,
  port: number,
  timeout_ms: number,
  keep = false,
): Promise<{ ms: number | null; socket: net.Socket | null }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ms: null, socket: null });
    }, timeout_ms);
    socket.once('connect', () => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      if (!keep) socket.end();
      resolve({ ms, socket: keep ? socket : null });
    });
    socket.once('error', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ms: null, socket: null });
    });
  });
}

function serveConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.once('data', (first: Buffer) => {
    const mode = String.fromCharCode(first[0] ?? 0);
    if (mode === 'E') {
      if (first.length > 1) socket.write(first.subarray(1));
      socket.on('data', (d: Buffer) => socket.write(d));
    } else if (mode === 'B') {
      let left = Number(first.subarray(1, 13).toString());
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    }
    // Anything else: a sink.
  });
}

type Ops = Record<string, (m: Msg) => Promise<Msg>>;

/** What the agent's ops share: its listeners, the datagrams they received, the connections it holds open. */
interface AgentState {
  bindHost: string;
  udpReceived: number;
  servers: Array<net.Server | dgram.Socket>;
  conns: Map<number, { socket: net.Socket; received: number }>;
  nextConn: number;
}

/** listen (a TCP and a UDP listener on one port), udp_count. */
function listenerOps(state: AgentState): Ops {
  return {
    async listen(m) {
      const port = num(m, 'port');
      const server = net.createServer(serveConnection);
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen(port, state.bindHost, 1024, () => res());
      });
      const udp = dgram.createSocket('udp4');
      udp.on('message', () => state.udpReceived++);
      await new Promise<void>((res, rej) => {
        udp.once('error', rej);
        udp.bind(port, state.bindHost, () => res());
      });
      state.servers.push(server, udp);
      return {};
    },
    async udp_count(m) {
      const received = state.udpReceived;
      if (m.reset === true) state.udpReceived = 0;
      return { received };
    },
  };
}

/** connect_times, connect_once: TCP connect times. */
function connectOps(): Ops {
  return {
    async connect_times(m) {
      const host = str(m, 'host');
      const port = num(m, 'port');
      const count = Math.min(num(m, 'count'), 10_000);
      const gap_ms = num(m, 'gap_ms', 5);
      const times_ms: number[] = [];
      let failures = 0;
      const deadline = performance.now() + num(m, 'deadline_ms', 120_000);
      for (let i = 0; i < count && performance.now() < deadline; i++) {
        const { ms } = await connectOnce(host, port, num(m, 'timeout_ms', 5_000));
        if (ms === null) failures++;
        else times_ms.push(ms);
        await sleep(gap_ms);
      }
      return { times_ms, failures };
    },
    async connect_once(m) {
      const { ms } = await connectOnce(str(m, 'host'), num(m, 'port'), num(m, 'timeout_ms', 5_000));
      return { connected: ms !== null, ms };
    },
  };
}

/** Asks the peer for size_bytes (a 'B' request) and reads them to the end; goodput runs from first to last byte. */
function receiveBulk(socket: net.Socket, size_bytes: number, timeout_ms: number): Promise<Msg> {
  return new Promise<Msg>((resolve, reject) => {
    let bytes = 0;
    let first = 0;
    const t0 = performance.now();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out after ${timeout_ms} ms with ${bytes} bytes`));
    }, timeout_ms);
    socket.on('data', (d: Buffer) => {
      if (bytes === 0) first = performance.now();
      bytes += d.length;
    });
    socket.once('end', () => {
      const last = performance.now();
      clearTimeout(timer);
      socket.destroy();
      const transfer_ms = last - first;
      resolve({
        bytes,
        total_ms: last - t0,
        transfer_ms,
        // First byte to last byte: leaves out the request's round trip, keeps slow start.
        goodput_mbit: bytes > 0 ? (bytes * 8) / transfer_ms / 1000 : 0,
      });
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.write(`B${String(size_bytes).padStart(12, '0')}`);
  });
}

/** bulk (TCP goodput), udp_send (paced datagrams). */
function transferOps(): Ops {
  return {
    async bulk(m) {
      const size_bytes = Math.min(num(m, 'size_bytes'), 10 ** 11);
      const timeout_ms = num(m, 'timeout_ms', 60_000);
      const { socket } = await connectOnce(str(m, 'host'), num(m, 'port'), 10_000, true);
      if (!socket) throw new Error('connect failed');
      return await receiveBulk(socket, size_bytes, timeout_ms);
    },
    async udp_send(m) {
      const host = str(m, 'host');
      const port = num(m, 'port');
      const count = Math.min(num(m, 'count'), 1_000_000);
      const batch = num(m, 'batch', 20);
      const gap_ms = num(m, 'gap_ms', 5);
      const payload = Buffer.alloc(num(m, 'size_bytes', 100), 0x75);
      const udp = dgram.createSocket('udp4');
      let sent = 0;
      const deadline = performance.now() + num(m, 'deadline_ms', 120_000);
      while (sent < count && performance.now() < deadline) {
        const n = Math.min(batch, count - sent);
        await Promise.all(
          Array.from({ length: n }, () => new Promise<void>((res) => udp.send(payload, port, host, () => res()))),
        );
        sent += n;
        await sleep(gap_ms);
      }
      udp.close();
      return { sent };
    },
  };
}

/** open, echo, close_conn: echo connections held open between requests. */
function heldConnectionOps(state: AgentState): Ops {
  return {
    async open(m) {
      const { socket } = await connectOnce(str(m, 'host'), num(m, 'port'), num(m, 'timeout_ms', 5_000), true);
      if (!socket) throw new Error('connect failed');
      const id = state.nextConn++;
      const c = { socket, received: 0 };
      socket.on('data', (d: Buffer) => (c.received += d.length));
      socket.on('error', () => undefined);
      socket.write('E');
      state.conns.set(id, c);
      return { conn: id };
    },
    async echo(m) {
      const c = state.conns.get(num(m, 'conn'));
      if (!c) throw new Error('no such connection');
      const want = c.received + 1;
      const t0 = performance.now();
      c.socket.write('x');
      const deadline = t0 + num(m, 'timeout_ms', 2_000);
      while (c.received < want && performance.now() < deadline) await sleep(1);
      return { echoed: c.received >= want, ms: performance.now() - t0 };
    },
    async close_conn(m) {
      const id = num(m, 'conn');
      state.conns.get(id)?.socket.destroy();
      state.conns.delete(id);
      return {};
    },
  };
}

async function runAgent(bindHost: string): Promise<void> {
  const state: AgentState = { bindHost, udpReceived: 0, servers: [], conns: new Map(), nextConn: 1 };
  const ops: Ops = { ...listenerOps(state), ...connectOps(), ...transferOps(), ...heldConnectionOps(state) };
  serveJsonLines((msg: Msg) => {
    const op = ops[String(msg.op)];
    return op ? op(msg) : Promise.reject(new Error(`unknown op ${String(msg.op)}`));
  });
}

// ---------------------------------------------------------------------------------------------------------
// The harness side: a server agent in the server namespace, a client agent in the client namespace.

type Agent = ChildHandle<{ ready: true; pid: number }>;

async function startAgent(ns: string | null, bindHost: string, label: string): Promise<Agent> {
  return spawnJsonChild<{ ready: true; pid: number }>(inNetns(ns, tsEntryArgv(THIS_FILE, ['agent', bindHost])), {
    label,
    cwd: REPO_ROOT,
  });
}

function ask(agent: Agent, body: Msg & { op: string }, timeout_ms = 120_000): Promise<Msg> {
  return agent.call<Msg>(body, timeout_ms);
}

export class LinkProbe {
  private constructor(
    private readonly server: Agent,
    private readonly client: Agent,
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Starts both agents and a TCP + UDP listener on port in the server namespace. */
  static async start(link: Link, port = 5201): Promise<LinkProbe> {
    const server = await startAgent(link.serverNetns, link.serverListenHost, 'probe server');
    let client: Agent | undefined;
    try {
      await ask(server, { op: 'listen', port });
      client = await startAgent(link.clientNetns, '0.0.0.0', 'probe client');
      const target = await link.clientTarget(port);
      return new LinkProbe(server, client, target.host, target.port);
    } catch (e) {
      await client?.stop();
      await server.stop();
      throw e;
    }
  }

  async connectTimes(count: number, gap_ms = 5): Promise<{ times_ms: number[]; failures: number }> {
    const r = await ask(this.client, { op: 'connect_times', host: this.host, port: this.port, count, gap_ms });
    return { times_ms: r.times_ms as number[], failures: r.failures as number };
  }

  async connectOnce(timeout_ms: number): Promise<{ connected: boolean; ms: number | null }> {
    const r = await ask(this.client, { op: 'connect_once', host: this.host, port: this.port, timeout_ms });
    return { connected: r.connected as boolean, ms: r.ms as number | null };
  }

  async bulk(
    size_bytes: number,
    timeout_ms = 60_000,
  ): Promise<{ bytes: number; transfer_ms: number; goodput_mbit: number }> {
    const r = await ask(
      this.client,
      { op: 'bulk', host: this.host, port: this.port, size_bytes, timeout_ms },
      timeout_ms + 15_000,
    );
    return { bytes: r.bytes as number, transfer_ms: r.transfer_ms as number, goodput_mbit: r.goodput_mbit as number };
  }

  /**
   * Sends count datagrams paced in batches and returns how many the server received. The path is primed first:
   * datagrams sent before it is up (a neighbour still unresolved, as on the tc link before it pinned its
   * neighbours) are dropped before they reach the link, and `sent` would count datagrams the link never saw.
   */
  async udpDelivery(
    count: number,
    settle_ms: number,
    batch = 20,
    gap_ms = 5,
  ): Promise<{ sent: number; received: number }> {
    await this.primeUdpPath();
    await ask(this.server, { op: 'udp_count', reset: true });
    const s = await ask(this.client, { op: 'udp_send', host: this.host, port: this.port, count, batch, gap_ms });
    await sleep(settle_ms);
    const r = await ask(this.server, { op: 'udp_count', reset: true });
    return { sent: s.sent as number, received: r.received as number };
  }

  /** One datagram at a time until the server has one: at most 100 tries over about 10 s, then an error. */
  private async primeUdpPath(): Promise<void> {
    await ask(this.server, { op: 'udp_count', reset: true });
    for (let attempt = 0; attempt < 100; attempt++) {
      await ask(this.client, { op: 'udp_send', host: this.host, port: this.port, count: 1, batch: 1, gap_ms: 0 });
      await sleep(100);
      if (((await ask(this.server, { op: 'udp_count' })).received as number) > 0) return;
    }
    throw new Error('no datagram crossed the link in 100 tries: the path to the probe server is not up');
  }

  async open(timeout_ms = 5_000): Promise<number> {
    return (await ask(this.client, { op: 'open', host: this.host, port: this.port, timeout_ms })).conn as number;
  }

  async echo(conn: number, timeout_ms: number): Promise<{ echoed: boolean; ms: number }> {
    const r = await ask(this.client, { op: 'echo', conn, timeout_ms });
    return { echoed: r.echoed as boolean, ms: r.ms as number };
  }

  async closeConn(conn: number): Promise<void> {
    await ask(this.client, { op: 'close_conn', conn });
  }

  async stop(): Promise<void> {
    await Promise.all([this.client.stop(), this.server.stop()]);
  }
}

/** Median of unsorted values (lib/stats.ts); NaN for none, which the printed lines show as such. */
export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : medianSorted(sortAsc(values));
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv[2] === 'agent') void runAgent(process.argv[3] ?? '0.0.0.0');
