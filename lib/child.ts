import { execa, type ResultPromise } from 'execa';
import { createInterface, type Interface } from 'node:readline';

/**
 * The JSON-line protocol between the harness and its long-lived children (servers, the LB, links, agents):
 * - the child announces itself with one line `{"ready": true, "pid": …, …}` on stdout, or `{"error": …}` and
 *   exits when it cannot start;
 * - the parent sends requests `{"id": n, "op": …, …}` on stdin, one per line;
 * - the child answers each with `{"id": n, "ok": true, …}` or `{"id": n, "ok": false, "error": …}`, in any
 *   order; other stdout lines are events;
 * - EOF on the child's stdin means the harness is gone (even after a SIGKILL): the child exits.
 * spawnJsonChild / ChildHandle is the parent side, serveJsonLines the child side (the tun delay line's
 * synchronous loop reads its own stdin but speaks the same messages).
 */
export interface RpcRequest {
  id: number;
  op: string;
  [key: string]: unknown;
}

export type RpcReply =
  { id: number | undefined; ok: true; [key: string]: unknown } | { id: number | undefined; ok: false; error: string };

export interface RpcReady {
  ready: true;
  pid: number;
}

/**
 * A long-lived child process of the harness (server, link, client agent) that speaks the protocol above.
 * Spawned with an argument array (never a shell string), ended by pid.
 */
export interface ChildHandle<Ready> {
  readonly pid: number;
  readonly ready: Ready;
  /** Sends one JSON request and resolves with the next JSON reply carrying the same `id`. */
  request<Reply = unknown>(body: Record<string, unknown>, timeout_ms?: number): Promise<Reply>;
  /** request(), and a reply with ok !== true becomes an Error "<label>: <error>". */
  call<Reply = Record<string, unknown>>(
    body: Record<string, unknown> & { op: string },
    timeout_ms?: number,
  ): Promise<Reply>;
  /** Lines of stdout after the ready line that are not replies (events). */
  onEvent(listener: (event: Record<string, unknown>) => void): void;
  /** True until the process has exited. */
  alive(): boolean;
  /** Resolves with the exit code/signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** SIGTERM, then SIGKILL after grace_ms; resolves when the process is gone. Idempotent. */
  stop(grace_ms?: number): Promise<void>;
  /** Last lines the child wrote to stderr (for error messages). */
  stderrTail(): string;
}

/**
 * How long a child may take to say it is ready. A child that fails or exits is reported at once, so this only
 * bounds a hang; it is generous because a cold start of a tsx child under user-mode Linux (one CPU, several
 * children starting at once) has taken over 20 s.
 */
export const DEFAULT_READY_TIMEOUT_MS = 60_000;

export interface SpawnJsonChildOptions {
  label: string;
  /** Default DEFAULT_READY_TIMEOUT_MS. */
  ready_timeout_ms?: number;
  env?: Record<string, string>;
  cwd?: string;
}

const liveChildren = new Set<ChildHandle<unknown>>();

/** Every child started through spawnJsonChild and not yet stopped (for exit-path cleanup). */
export function liveChildHandles(): ChildHandle<unknown>[] {
  return [...liveChildren];
}

export async function spawnJsonChild<Ready extends object>(
  argv: readonly string[],
  opts: SpawnJsonChildOptions,
): Promise<ChildHandle<Ready>> {
  const { proc, pid } = startChildProcess(argv, opts);
  const stderrLines = collectStderrTail(proc);
  const exit = watchExit(proc);
  if (!proc.stdout) throw new Error(`${opts.label}: no stdout`);
  const stdout = routeStdoutLines<Ready>(proc.stdout, opts.label, stderrLines);
  void exit.exited.then(({ code, signal }) => {
    const why = `${opts.label} exited (code ${code}, signal ${signal})${lastStderrSuffix(stderrLines)}`;
    stdout.failReady(why);
    stdout.rejectPending(why);
  });
  const ready = await awaitReadyLine(stdout.ready, opts, pid, exit.exited, stderrLines);
  const handle = makeChildHandle<Ready>({ proc, pid, label: opts.label, ready, exit, stdout, stderrLines });
  liveChildren.add(handle as ChildHandle<unknown>);
  return handle;
}

type ExitStatus = { code: number | null; signal: string | null };

interface ExitWatch {
  exited: Promise<ExitStatus>;
  hasExited(): boolean;
}

interface PendingReply {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The child's stdout, line by line: the ready (or error) line first, then replies to their waiters, the rest events. */
interface StdoutLines<Ready> {
  rl: Interface;
  ready: Promise<Ready>;
  pending: Map<number, PendingReply>;
  eventListeners: Array<(e: Record<string, unknown>) => void>;
  /** Rejects the ready promise with Error(message) unless the ready line has come. */
  failReady(message: string): void;
  /** Rejects every request still waiting for its reply, each with its own Error(message). */
  rejectPending(message: string): void;
}

function startChildProcess(argv: readonly string[], opts: SpawnJsonChildOptions): { proc: ResultPromise; pid: number } {
  const [file, ...args] = argv;
  if (!file) throw new Error('spawnJsonChild: empty argv');
  const proc: ResultPromise = execa(file, args, {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: false,
    cleanup: true,
    env: opts.env,
    cwd: opts.cwd,
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`${opts.label}: could not start ${file}`);
  return { proc, pid };
}

/** The child's non-blank stderr lines, cut to the last 40 on each chunk (routeStdoutLines adds non-JSON stdout lines). */
function collectStderrTail(proc: ResultPromise): string[] {
  const stderrLines: string[] = [];
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) stderrLines.push(line);
    if (stderrLines.length > 40) stderrLines.splice(0, stderrLines.length - 40);
  });
  return stderrLines;
}

function lastStderrSuffix(stderrLines: readonly string[]): string {
  return stderrLines.length ? `: ${stderrLines.slice(-3).join(' | ')}` : '';
}

function watchExit(proc: ResultPromise): ExitWatch {
  let exitedFlag = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  // Swallow execa's own result promise: exits are reported through `exited`.
  proc.catch(() => undefined);
  return { exited, hasExited: () => exitedFlag };
}

function routeStdoutLines<Ready>(
  stdout: NodeJS.ReadableStream,
  label: string,
  stderrLines: string[],
): StdoutLines<Ready> {
  const pending = new Map<number, PendingReply>();
  const eventListeners: Array<(e: Record<string, unknown>) => void> = [];
  let readyResolve: (r: Ready) => void = () => undefined;
  let readyReject: (e: Error) => void = () => undefined;
  const ready = new Promise<Ready>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  let gotReady = false;

  const rl = createInterface({ input: stdout });
  rl.on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      stderrLines.push(`[stdout] ${line}`);
      return;
    }
    if (!gotReady) {
      if (msg.ready === true) {
        gotReady = true;
        readyResolve(msg as Ready);
      } else if (typeof msg.error === 'string') {
        readyReject(new Error(`${label}: ${msg.error}`));
      }
      return;
    }
    const id = typeof msg.id === 'number' ? msg.id : undefined;
    const waiter = id !== undefined ? pending.get(id) : undefined;
    if (waiter && id !== undefined) {
      pending.delete(id);
      clearTimeout(waiter.timer);
      waiter.resolve(msg);
    } else {
      for (const l of eventListeners) l(msg);
    }
  });

  return {
    rl,
    ready,
    pending,
    eventListeners,
    failReady(message) {
      if (!gotReady) readyReject(new Error(message));
    },
    rejectPending(message) {
      for (const [, w] of pending) {
        clearTimeout(w.timer);
        w.reject(new Error(message));
      }
      pending.clear();
    },
  };
}

/** The ready line, or the child killed and an error when it reports one, exits, or is not ready in time. */
async function awaitReadyLine<Ready>(
  readyPromise: Promise<Ready>,
  opts: SpawnJsonChildOptions,
  pid: number,
  exited: Promise<ExitStatus>,
  stderrLines: readonly string[],
): Promise<Ready> {
  const readyTimeout = opts.ready_timeout_ms ?? DEFAULT_READY_TIMEOUT_MS;
  let readyTimer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    readyPromise,
    new Promise<never>((_, rej) => {
      readyTimer = setTimeout(
        () => rej(new Error(`${opts.label}: not ready after ${readyTimeout} ms${lastStderrSuffix(stderrLines)}`)),
        readyTimeout,
      );
    }),
  ]).catch(async (e: unknown) => {
    clearTimeout(readyTimer);
    signalPid(pid, 'SIGKILL');
    await exited;
    throw e;
  });
  clearTimeout(readyTimer);
  return ready;
}

interface RunningChild<Ready> {
  proc: ResultPromise;
  pid: number;
  label: string;
  ready: Ready;
  exit: ExitWatch;
  stdout: StdoutLines<Ready>;
  stderrLines: readonly string[];
}

function makeChildHandle<Ready>(child: RunningChild<Ready>): ChildHandle<Ready> {
  const { proc, pid, label, exit, stdout, stderrLines } = child;
  let nextId = 1;
  let stopping: Promise<void> | undefined;
  const handle: ChildHandle<Ready> = {
    pid,
    ready: child.ready,
    exited: exit.exited,
    alive: () => !exit.hasExited(),
    stderrTail: () => stderrLines.slice(-10).join('\n'),
    onEvent(listener) {
      stdout.eventListeners.push(listener);
    },
    async call<Reply>(body: Record<string, unknown> & { op: string }, timeout_ms = 60_000): Promise<Reply> {
      const reply = await handle.request<{ ok?: unknown; error?: unknown }>(body, timeout_ms);
      if (reply.ok !== true)
        throw new Error(`${label}: ${typeof reply.error === 'string' ? reply.error : `${body.op} failed`}`);
      return reply as Reply;
    },
    request<Reply>(body: Record<string, unknown>, timeout_ms = 60_000): Promise<Reply> {
      if (exit.hasExited()) return Promise.reject(new Error(`${label} is not running`));
      const id = nextId++;
      return new Promise<Reply>((resolve, reject) => {
        const timer = setTimeout(() => {
          stdout.pending.delete(id);
          reject(new Error(`${label}: no reply to ${String(body.op)} within ${timeout_ms} ms`));
        }, timeout_ms);
        stdout.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        proc.stdin?.write(`${JSON.stringify({ ...body, id })}\n`);
      });
    },
    stop(grace_ms = 2_000): Promise<void> {
      stopping ??= (async () => {
        liveChildren.delete(handle as ChildHandle<unknown>);
        if (!exit.hasExited()) {
          proc.stdin?.end();
          signalPid(pid, 'SIGTERM');
          const t = setTimeout(() => signalPid(pid, 'SIGKILL'), grace_ms);
          await exit.exited;
          clearTimeout(t);
        }
        stdout.rl.close();
      })();
      return stopping;
    },
  };
  return handle;
}

/** Signals one process by pid; a process that is already gone is not an error. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Writes one JSON line to stdout (the child side of the protocol). */
export function emitJsonLine(msg: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export interface ServeOptions {
  /** Called on stdin EOF, the harness gone or done (default: exit 0). */
  onEof?: () => void;
  /** Extra fields of the ready line (default: none beyond ready and pid); null = announce nothing. */
  ready?: Record<string, unknown> | null;
}

/**
 * The child side: answers each request line on stdin with handle()'s result as `{id, ok: true, …result}`, or
 * `{id, ok: false, error}` when it throws (or the line is not a request); announces itself ready.
 */
export function serveJsonLines<Req extends object = RpcRequest>(
  handle: (msg: Req) => Promise<Record<string, unknown>> | Record<string, unknown>,
  opts: ServeOptions = {},
): void {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let msg: Req;
    try {
      msg = JSON.parse(line) as Req;
    } catch {
      return;
    }
    const id = (msg as { id?: unknown }).id;
    const replyId = typeof id === 'number' ? id : undefined;
    Promise.resolve()
      .then(() => handle(msg))
      .then(
        (reply) => emitJsonLine({ ...reply, id: replyId, ok: true }),
        (e: unknown) => emitJsonLine({ id: replyId, ok: false, error: errorText(e) }),
      );
  });
  rl.on('close', opts.onEof ?? (() => process.exit(0)));
  if (opts.ready !== null) emitJsonLine({ ready: true, pid: process.pid, ...(opts.ready ?? {}) });
}

/** argv that runs a TypeScript entry point of this repo in a fresh Node process (one process: no tsx wrapper). */
/** tsx's loader by absolute URL: a child started from another project's folder (npx keepalive-bench) finds it too. */
const TSX_LOADER = import.meta.resolve('tsx');

export function tsEntryArgv(scriptPath: string, args: readonly string[] = []): string[] {
  return [process.execPath, '--import', TSX_LOADER, scriptPath, ...args];
}
