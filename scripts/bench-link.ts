/**
 * Benchmark of the tun link backend (not a test): the highest TCP throughput it carries at 1 ms RTT, the
 * delay line's CPU use at 100 Mbit/s, and calibration-style figures (TCP connect time at 50 ms RTT, 1 % loss
 * over 10 000 datagrams).   Run as root: `npx tsx scripts/bench-link.ts [--runs N]`.
 *
 * The same file is also the probe agent it runs inside each namespace (`bench-link.ts agent <bind host>`),
 * a JSON-line child that opens connections, measures them and reports; the tun tests use it too (LinkProbe).
 */
import net from 'node:net';
import { medianSorted, quantileSorted, sortAsc } from '../lib/stats.ts';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serveJsonLines, spawnJsonChild, tsEntryArgv, type ChildHandle } from '../lib/child.ts';
import { inNetns } from '../lib/exec.ts';
import type { Link, LinkParams } from '../netem/link.ts';
import { sleep } from '../lib/sleep.ts';
import { wholeNumberFlag } from '../lib/flag-numbers.ts';
import { versionHelp, parseCliArgs, runMain } from './cli.ts';

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

  /** Sends count datagrams paced in batches and returns how many the server received. */
  async udpDelivery(
    count: number,
    settle_ms: number,
    batch = 20,
    gap_ms = 5,
  ): Promise<{ sent: number; received: number }> {
    await ask(this.server, { op: 'udp_count', reset: true });
    const s = await ask(this.client, { op: 'udp_send', host: this.host, port: this.port, count, batch, gap_ms });
    await sleep(settle_ms);
    const r = await ask(this.server, { op: 'udp_count', reset: true });
    return { sent: s.sent as number, received: r.received as number };
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

// ---------------------------------------------------------------------------------------------------------
// The benchmark.

/** Median of unsorted values (lib/stats.ts); NaN for none, which the printed lines show as such. */
export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : medianSorted(sortAsc(values));
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

const CLK_TCK = 100;

function spread(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length - 1));
  return `mean ${mean.toFixed(1)}, median ${median(s).toFixed(1)}, min ${s[0]?.toFixed(1)}, max ${s[s.length - 1]?.toFixed(1)}, sd ${sd.toFixed(1)} (n=${s.length})`;
}

const HELP = `node --import tsx scripts/bench-link.ts [--runs N]   (as root)

Benchmarks the tun link backend (not a test): TCP throughput at 1 ms RTT, the delay line's CPU at 100 Mbit/s,
connect times at 0 and 50 ms RTT, 1 % loss over 10 000 datagrams; prints them, then all figures as JSON.
  --runs N     bulk transfers per throughput figure (default 5)
  -h, --help   this help
  ${versionHelp(13)}`;

async function runBench(argv: string[]): Promise<number> {
  const { values: v } = parseCliArgs({
    args: argv,
    options: { runs: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const runs = wholeNumberFlag('runs', v.runs, 5, { min: 1, max: 100 });
  const { openTunLink } = await import('../netem/tun.ts');
  const { newRunId } = await import('../netem/topology.ts');
  const base: LinkParams = {
    rtt_ms: 1,
    jitter_ms: 0,
    loss_pct: 0,
    rate_mbit: null,
    queue_packets: null,
    mtu_bytes: 1500,
  };
  const link = await openTunLink({ runId: newRunId(), params: base });
  const onSignal = () => void link.close().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let probe: LinkProbe | undefined;
  try {
    probe = await LinkProbe.start(link);
    const results: Record<string, unknown> = {};

    // 1. Throughput ceiling at 1 ms RTT, no rate limit.
    const size_bytes = 200 * 1024 * 1024;
    const tput: number[] = [];
    const cpu1: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const c0 = cpuTicks(link.delayLinePid);
      const r = await probe.bulk(size_bytes, 120_000);
      cpu1.push(((cpuTicks(link.delayLinePid) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100);
      tput.push(r.goodput_mbit);
    }
    console.log(`throughput @1 ms RTT, no rate limit, ${size_bytes / 2 ** 20} MiB bulk: ${spread(tput)} Mbit/s`);
    console.log(`  delay-line CPU during those transfers: ${spread(cpu1)} % of one core`);
    results.throughput_1ms_mbit = tput;
    results.cpu_at_max_pct = cpu1;

    // 2. CPU at a 100 Mbit/s profile.
    await link.configure({ ...base, rtt_ms: 20, rate_mbit: 100 });
    const cpu100: number[] = [];
    const tput100: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const t0 = performance.now();
      const c0 = cpuTicks(link.delayLinePid);
      const r = await probe.bulk(60 * 1024 * 1024, 60_000);
      cpu100.push(((cpuTicks(link.delayLinePid) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100);
      tput100.push(r.goodput_mbit);
    }
    console.log(
      `100 Mbit/s, 20 ms RTT, 60 MiB bulk: goodput ${spread(tput100)} Mbit/s; delay-line CPU ${spread(cpu100)} % of one core`,
    );
    results.cpu_at_100mbit_pct = cpu100;
    results.goodput_at_100mbit = tput100;

    // 3. Connect time at 50 ms RTT, beside the same at 0 ms (what the endpoints themselves take).
    const connectStats = async (rtt_ms: number) => {
      await link.configure({ ...base, rtt_ms });
      await link.releaseLateness(true);
      const ct = await probe!.connectTimes(60, 5);
      const s = [...ct.times_ms].sort((a, b) => a - b);
      if (s.length === 0) throw new Error(`no TCP connect succeeded at ${rtt_ms} ms RTT (${ct.failures} failures)`);
      const late = await link.releaseLateness();
      console.log(
        `connect @${rtt_ms} ms RTT: median ${median(s).toFixed(3)} ms, p99 ${quantileSorted(s, 0.99).toFixed(3)} ms, min ${s[0]?.toFixed(3)}, max ${s[s.length - 1]?.toFixed(3)} (n=${s.length}, failures ${ct.failures}); delay-line release lateness p50 ${late.p50_us.toFixed(0)} µs, p99 ${late.p99_us.toFixed(0)} µs, max ${late.max_us.toFixed(0)} µs`,
      );
      return { median: median(s), p99: quantileSorted(s, 0.99), n: s.length, lateness: late };
    };
    results.connect_0ms = await connectStats(0);
    results.connect_50ms = await connectStats(50);

    // 4. 1 % loss over 10 000 datagrams.
    await link.configure({ ...base, rtt_ms: 2, loss_pct: 1 });
    const before = await link.counters();
    const u = await probe.udpDelivery(10_000, 300, 50, 5);
    const after = await link.counters();
    const dropped = (after?.up.dropped_loss ?? 0) - (before?.up.dropped_loss ?? 0);
    const loss = (100 * (u.sent - u.received)) / u.sent;
    console.log(
      `1 % loss: sent ${u.sent}, received ${u.received} → measured ${loss.toFixed(2)} % (delay line counted ${dropped} loss drops)`,
    );
    results.loss_1pct = { sent: u.sent, received: u.received, measured_pct: loss };
    console.log(JSON.stringify(results));
  } finally {
    await probe?.stop();
    await link.close();
  }
  return 0;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  if (process.argv[2] === 'agent') void runAgent(process.argv[3] ?? '0.0.0.0');
  else runMain(() => runBench(process.argv.slice(2)));
}
