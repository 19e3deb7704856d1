/**
 * A server under test started from the user's command line (`--server-cmd`): nginx, a Go or Node app, anything
 * that listens on TCP. It runs in its own process group (inside the server namespace when there is one), with
 * HOST and PORT in its environment; the harness waits, bounded, until the port listens, keeps the tail of its
 * stderr for errors, and stops the whole group by pid.
 */
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { signalPid } from '../lib/child.ts';
import { inNetns } from '../lib/exec.ts';
import { sleep } from '../lib/sleep.ts';
import { substitutePlaceholders } from './command-line.ts';
import type { RouteSet, ServerUnderTest } from './under-test.ts';

/** The user's server as given on the command line (`--server-cmd` and the flags that go with it). */
export interface CommandServerSpec {
  /** The command, split like a shell would; {host} and {port} are filled in when it starts. */
  argv: string[];
  /** The port it listens on when its own config fixes it (`--server-port`); null: the harness picks one. */
  port: number | null;
  /** A command whose output names the server's version (`--server-version-cmd`), recorded in meta.json. */
  version_argv: string[] | null;
  /** How long its port may take to listen (`--server-start-timeout`). */
  start_timeout_ms: number;
  protocol: 'h1' | 'h2';
  tls: boolean;
  /** The certificate the client trusts for it (`--ca`) and the name to check (`--servername`). */
  ca_pem: string | null;
  servername: string | null;
}

export interface CommandServerOptions {
  /** The command as split by splitCommandLine; {host} and {port} are filled in here. */
  argv: readonly string[];
  host: string;
  port: number;
  /** The server namespace, or null to run in the harness's own. */
  netns: string | null;
  protocol: 'h1' | 'h2';
  tls: boolean;
  routes: RouteSet;
  /** How long the port may take to listen. */
  ready_timeout_ms?: number;
  /** How long SIGTERM has before SIGKILL. */
  stop_grace_ms?: number;
}

export interface CommandServer extends ServerUnderTest {
  readonly command: readonly string[];
  /** Settles when the server's process exits, with how ("code 1", "SIGKILL"), whoever ended it. */
  readonly exit: Promise<string>;
  /** The last lines the server wrote to stderr. */
  stderrTail(): string;
}

const STDERR_TAIL_LINES = 20;
const LISTEN_POLL_MS = 50;

export class ServerCommandError extends Error {}

export async function startCommandServer(o: CommandServerOptions): Promise<CommandServer> {
  const command = substitutePlaceholders(o.argv, { host: o.host, port: o.port });
  const [file, ...args] = inNetns(o.netns, command);
  // detached: a process group of its own (ip netns exec execs the command, so the group is the server's), which
  // stop() ends whole — nginx's workers and any other children with it.
  const child = execa(file!, args, {
    detached: true,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    reject: false,
    env: { HOST: o.host, PORT: String(o.port) },
  });
  const pid = child.pid;
  if (pid === undefined) throw new ServerCommandError(`could not start the server command ${command[0]}`);
  const tail: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    tail.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    tail.splice(0, Math.max(0, tail.length - STDERR_TAIL_LINES));
  });
  let exited: { code: number | null; signal: string | null } | null = null;
  const done = child.then((r) => {
    exited = { code: r.exitCode ?? null, signal: r.signal ?? null };
  });
  const stderrTail = (): string => tail.join('\n');
  const stop = once(() => stopGroup(pid, child, done, o.stop_grace_ms ?? 2_000));
  const what = `the server command (${command.join(' ')})`;

  const deadline = Date.now() + (o.ready_timeout_ms ?? 20_000);
  while (!listening(pid, o.port)) {
    if (exited !== null) {
      const e = exited as { code: number | null; signal: string | null };
      throw new ServerCommandError(
        `${what} exited (${e.signal ?? `code ${e.code}`}) before port ${o.port} listened${stderrSuffix(stderrTail())}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new ServerCommandError(
        `${what} did not listen on port ${o.port} within ${(o.ready_timeout_ms ?? 20_000) / 1000} s (if its port is fixed in its own config, say so with --server-port)${stderrSuffix(stderrTail())}`,
      );
    }
    await sleep(LISTEN_POLL_MS);
  }
  return {
    origin: 'command',
    protocol: o.protocol,
    tls: o.tls,
    port: o.port,
    pid,
    routes: o.routes,
    stats: null,
    closeIdle: null,
    command,
    exit: done.then(() => {
      const e = exited as { code: number | null; signal: string | null } | null;
      return e?.signal ?? `code ${e?.code ?? '?'}`;
    }),
    alive: () => exited === null,
    stop,
    stderrTail,
  };
}

function stderrSuffix(tail: string): string {
  return tail === '' ? '; it wrote nothing to stderr' : `; its stderr ends:\n${tail.replace(/^/gm, '  | ')}`;
}

/**
 * Whether a socket listens on the port in the server's network namespace: /proc/<pid>/net/tcp{,6} is that
 * namespace's table (state 0A = LISTEN), so no process has to be started inside it to ask.
 */
export function listening(pid: number, port: number): boolean {
  return ['tcp', 'tcp6'].some((table) => {
    try {
      return listensIn(readFileSync(`/proc/${pid}/net/${table}`, 'utf8'), port);
    } catch {
      return false;
    }
  });
}

/** Pure: whether a /proc/net/tcp table has a LISTEN socket on the port. */
export function listensIn(table: string, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .some((line) => {
      const f = line.trim().split(/\s+/);
      return f[1]?.endsWith(`:${hexPort}`) === true && f[3] === '0A';
    });
}

/** SIGTERM to the group, then SIGKILL after grace; resolves when nothing of the group is left (bounded). */
async function stopGroup(pid: number, child: ResultPromise, done: Promise<void>, grace_ms: number): Promise<void> {
  signalPid(-pid, 'SIGTERM');
  const deadline = Date.now() + grace_ms;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(20);
  // The group may outlive its leader (workers that ignore SIGTERM): SIGKILL whatever is left of it.
  if (groupAlive(pid)) signalPid(-pid, 'SIGKILL');
  await done;
  const killed = Date.now() + 2_000;
  while (groupAlive(pid) && Date.now() < killed) await sleep(20);
  child.stderr?.destroy();
}

/** Whether any process of the group still exists (a zombie counts until it is reaped). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}
