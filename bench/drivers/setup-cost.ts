/**
 * The processing part of keep-alive's saving, measured a second way: client and server in this one process on
 * loopback, with tinybench timing each request on a new connection against one on a kept-alive connection, per
 * protocol (TCP accept + HTTP/1.1, TLS 1.2, TLS 1.3, TLS 1.3 resumed, h2 session). No link, no round trips worth
 * the name: what is left is the kernel's and Node's work on both sides. Each task reports tinybench's wall-clock
 * statistics (mean, 95 % margin of error, p50, p99, samples) and, beside them, the process CPU time
 * (process.cpuUsage, user + system) per request: CPU is what a busy server pays, wall time includes waiting.
 */
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Bench } from 'tinybench';
import { CERT_SERVERNAME, generateSelfSignedCert, type CertPair } from '../../servers/tls-cert.ts';

export const SETUP_COST_BODY_BYTES = 100;

export type SetupProtocol = 'h1' | 'h2';
export type SetupSecurity = 'none' | 'tls12' | 'tls13';
/** new: a connection (and handshake) per request; resumed: TLS session resumption; reused: kept alive. */
export type SetupConnMode = 'new' | 'resumed' | 'reused';

export interface SetupTask {
  protocol: SetupProtocol;
  security: SetupSecurity;
  conn_mode: SetupConnMode;
}

export const SETUP_TASKS: readonly SetupTask[] = [
  { protocol: 'h1', security: 'none', conn_mode: 'new' },
  { protocol: 'h1', security: 'none', conn_mode: 'reused' },
  { protocol: 'h1', security: 'tls12', conn_mode: 'new' },
  { protocol: 'h1', security: 'tls12', conn_mode: 'reused' },
  { protocol: 'h1', security: 'tls13', conn_mode: 'new' },
  { protocol: 'h1', security: 'tls13', conn_mode: 'resumed' },
  { protocol: 'h1', security: 'tls13', conn_mode: 'reused' },
  { protocol: 'h2', security: 'none', conn_mode: 'new' },
  { protocol: 'h2', security: 'none', conn_mode: 'reused' },
  { protocol: 'h2', security: 'tls13', conn_mode: 'new' },
  { protocol: 'h2', security: 'tls13', conn_mode: 'reused' },
];

/** One task's figures, or why it has none (tinybench's errored/aborted states are data, never NaN rows). */
export type SetupCostResult =
  | (SetupTask & {
      state: 'completed';
      samples: number;
      wall_mean_ms: number;
      /** Half-width of tinybench's 95 % CI of the mean (Student's t). */
      wall_moe_ms: number;
      wall_rme_pct: number;
      wall_p50_ms: number;
      wall_p99_ms: number;
      /** Process CPU (user + system, client and server together) per request, over the timed iterations. */
      cpu_per_op_ms: number;
    })
  | (SetupTask & { state: 'errored' | 'aborted'; error: string });

export interface SetupCostOptions {
  /** Timed phase per task (tinybench `time`), and its minimum iterations. */
  time_ms: number;
  iterations: number;
  warmup_ms: number;
  signal?: AbortSignal;
}

export const SETUP_COST_DEFAULTS: SetupCostOptions = { time_ms: 200, iterations: 30, warmup_ms: 50 };

export function taskName(t: SetupTask): string {
  return `${t.protocol}/${t.security}/${t.conn_mode}`;
}

interface Servers {
  h1: Server;
  h1tls: Server;
  h2: http2.Http2Server;
  h2tls: http2.Http2SecureServer;
  cert: CertPair;
  close(): Promise<void>;
}

const BODY = Buffer.alloc(SETUP_COST_BODY_BYTES, 'x');

async function listen<S extends Server>(server: S): Promise<S> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return server;
}

const portOf = (s: Server): number => (s.address() as AddressInfo).port;

async function startServers(): Promise<Servers> {
  const cert = await generateSelfSignedCert();
  const answer = (_req: unknown, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SETUP_COST_BODY_BYTES });
    res.end(BODY);
  };
  const tls = {
    cert: cert.cert_pem,
    key: cert.key_pem,
    minVersion: 'TLSv1.2' as const,
    maxVersion: 'TLSv1.3' as const,
  };
  // Every connection and h2 session, so close() can end them: an h2 server's close waits for its sessions.
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const all: Server[] = [];
  const track = <S extends Server>(s: S): S => {
    all.push(s);
    s.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.once('close', () => sockets.delete(sock));
    });
    s.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    return s;
  };
  const close = async (): Promise<void> => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
    await Promise.all(all.filter((s) => s.listening).map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  try {
    const h1 = await listen(track(http.createServer(answer)));
    const h1tls = await listen(track(https.createServer({ ...tls, ALPNProtocols: ['http/1.1'] }, answer)));
    const h2 = await listen(track(http2.createServer(answer)));
    const h2tls = await listen(track(http2.createSecureServer({ ...tls, ALPNProtocols: ['h2'] }, answer)));
    return { h1, h1tls, h2, h2tls, cert, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A request and its whole response; rejects on an error or a non-200. */
function h1Get(
  mod: typeof http | typeof https,
  // `session` (a TLS session to resume) is passed through to tls.connect.
  options: https.RequestOptions & { session?: Buffer | undefined },
  onSocket?: (s: TLSSocket) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = mod.request({ ...options, path: '/', method: 'GET' }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      res.resume();
      res.once('end', resolve);
      res.once('error', reject);
    });
    if (onSocket) req.once('socket', (s) => onSocket(s as TLSSocket));
    req.once('error', reject);
    req.end();
  });
}

function h2Get(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': '/', ':method': 'GET' });
    stream.once('response', (headers) => {
      if (headers[':status'] !== 200) reject(new Error(`HTTP ${String(headers[':status'])}`));
    });
    stream.resume();
    stream.once('end', resolve);
    stream.once('error', reject);
  });
}

function h2Connect(url: string, options: http2.SecureClientSessionOptions): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, options);
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

function h2Close(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => session.close(() => resolve()));
}

/** One request of the task, and what must be undone once the task is over. */
interface TaskOp {
  op: () => Promise<void>;
  dispose: () => Promise<void>;
}

async function taskOp(t: SetupTask, s: Servers): Promise<TaskOp> {
  const version = t.security === 'tls12' ? ('TLSv1.2' as const) : ('TLSv1.3' as const);
  const tlsOpts = { ca: s.cert.cert_pem, servername: CERT_SERVERNAME, minVersion: version, maxVersion: version };
  if (t.protocol === 'h1') {
    const secure = t.security !== 'none';
    const mod = secure ? https : http;
    const port = portOf(secure ? s.h1tls : s.h1);
    const base = { host: '127.0.0.1', port, ...(secure ? tlsOpts : {}) };
    if (t.conn_mode === 'reused') {
      const agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: 1 });
      await h1Get(mod, { ...base, agent });
      return { op: () => h1Get(mod, { ...base, agent }), dispose: async () => agent.destroy() };
    }
    if (t.conn_mode === 'resumed') {
      // A session ticket from the previous connection, offered on the next one (what https.Agent's cache does).
      let session: Buffer | undefined;
      const remember = (sock: TLSSocket): void => {
        sock.once('session', (buf: Buffer) => (session = buf));
      };
      await h1Get(mod, { ...base, agent: false, headers: { connection: 'close' } }, remember);
      let resumed = 0;
      let ops = 0;
      return {
        op: async () => {
          ops++;
          await h1Get(mod, { ...base, agent: false, session, headers: { connection: 'close' } }, (sock) => {
            remember(sock);
            sock.once('secureConnect', () => {
              if (sock.isSessionReused()) resumed++;
            });
          });
        },
        dispose: async () => {
          if (ops > 0 && resumed < ops / 2)
            throw new Error(`TLS sessions were resumed on only ${resumed} of ${ops} connections`);
        },
      };
    }
    return {
      op: () => h1Get(mod, { ...base, agent: false, headers: { connection: 'close' } }),
      dispose: async () => undefined,
    };
  }
  const secure = t.security !== 'none';
  const url = `${secure ? 'https' : 'http'}://127.0.0.1:${portOf(secure ? s.h2tls : s.h2)}`;
  const options = secure ? tlsOpts : {};
  if (t.conn_mode === 'reused') {
    const session = await h2Connect(url, options);
    try {
      await h2Get(session);
    } catch (e) {
      session.destroy();
      throw e;
    }
    return { op: () => h2Get(session), dispose: () => h2Close(session) };
  }
  return {
    op: async () => {
      const session = await h2Connect(url, options);
      try {
        await h2Get(session);
      } finally {
        await h2Close(session);
      }
    },
    dispose: async () => undefined,
  };
}

/**
 * Runs every task (or those given) one after another and returns one result per task, in order. A task that
 * fails is an errored result; the others still run.
 */
export async function measureSetupCost(
  opts: SetupCostOptions = SETUP_COST_DEFAULTS,
  tasks: readonly SetupTask[] = SETUP_TASKS,
  /** Each result as soon as it is measured (written before the next task starts: a crash keeps it). */
  onResult: (r: SetupCostResult) => void = () => undefined,
): Promise<SetupCostResult[]> {
  const servers = await startServers();
  const out: SetupCostResult[] = [];
  try {
    for (const t of tasks) {
      const r: SetupCostResult = opts.signal?.aborted
        ? { ...t, state: 'aborted', error: 'aborted' }
        : await measureTask(t, servers, opts);
      out.push(r);
      onResult(r);
    }
  } finally {
    await servers.close();
  }
  return out;
}

async function measureTask(t: SetupTask, servers: Servers, opts: SetupCostOptions): Promise<SetupCostResult> {
  let prepared: TaskOp;
  try {
    prepared = await taskOp(t, servers);
  } catch (e) {
    return { ...t, state: 'errored', error: (e as Error).message };
  }
  let cpu_us = 0;
  let timed = 0;
  let timing = false;
  // tinybench's Bench never removes the abort listener it adds to its signal: one per task on the run's signal
  // piled up (Node warned at 11). Each Bench gets a signal of its own, linked to the run's only while it runs.
  const local = new AbortController();
  const forward = (): void => local.abort();
  if (opts.signal?.aborted) local.abort();
  opts.signal?.addEventListener('abort', forward, { once: true });
  const bench = new Bench({
    time: opts.time_ms,
    iterations: opts.iterations,
    warmupTime: opts.warmup_ms,
    signal: local.signal,
  });
  bench.add(
    taskName(t),
    async () => {
      const c0 = process.cpuUsage();
      await prepared.op();
      if (!timing) return;
      const d = process.cpuUsage(c0);
      cpu_us += d.user + d.system;
      timed++;
    },
    // CPU is summed over the timed iterations only, as tinybench's own statistics are.
    { beforeAll: (mode) => void (timing = mode === 'run') },
  );
  try {
    await bench.run();
  } catch (e) {
    await prepared.dispose().catch(() => undefined);
    return { ...t, state: 'errored', error: (e as Error).message };
  } finally {
    opts.signal?.removeEventListener('abort', forward);
  }
  try {
    await prepared.dispose();
  } catch (e) {
    return { ...t, state: 'errored', error: (e as Error).message };
  }
  const r = bench.tasks[0]?.result;
  if (!r || r.state !== 'completed') {
    const why =
      r && 'error' in r ? String((r.error as Error | undefined)?.message ?? r.error) : (r?.state ?? 'no result');
    // tinybench 6 has 'aborted' and 'aborted-with-statistics': a Ctrl-C mid-task either way, not an error.
    return { ...t, state: r?.state.startsWith('aborted') ? 'aborted' : 'errored', error: why };
  }
  const l = r.latency;
  return {
    ...t,
    state: 'completed',
    samples: l.samplesCount,
    wall_mean_ms: l.mean,
    wall_moe_ms: l.moe,
    wall_rme_pct: l.rme,
    wall_p50_ms: l.p50,
    wall_p99_ms: l.p99,
    cpu_per_op_ms: timed > 0 ? cpu_us / timed / 1000 : Number.NaN,
  };
}
