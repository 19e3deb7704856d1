/**
 * The user's server for a run (`--server-cmd`): started once, in the server namespace behind the link, with its
 * version and the size of its `--path` learned before the run and recorded in meta.json. It lives for the whole
 * run; if it exits before the run is done, the run fails with its exit and stderr (samples so far are kept).
 */
import { execa } from 'execa';
import { createServer, type AddressInfo } from 'node:net';
import { UserError } from '../../lib/errors.ts';
import type { Progress } from '../../lib/progress.ts';
import type { Teardown } from '../../lib/teardown.ts';
import type { Link } from '../../netem/link.ts';
import { startCommandServer, type CommandServer, type CommandServerSpec } from '../../servers/command.ts';
import { HARNESS_ROUTES, userRoutes, type RouteSet, type SizedPath } from '../../servers/under-test.ts';
import type { Agent } from '../drivers/agent-client.ts';
import { anyTlsVersion, type ClientTls } from '../drivers/target.ts';
import type { RunningServer } from '../scenarios/types.ts';
import type { RunFolder } from './folder.ts';

/** In a namespace of its own the server has every port to itself; this one is outside the ephemeral range. */
const DEFAULT_PORT_IN_NAMESPACE = 8080;
const VERSION_TIMEOUT_MS = 10_000;
const SERVERNAME_DEFAULT = 'localhost';

export interface UserServer {
  running: RunningServer;
  handle: CommandServer;
}

export async function startUserServer(args: {
  spec: CommandServerSpec;
  names: RouteNames;
  link: Link;
  agent: Agent;
  folder: RunFolder;
  teardown: Teardown;
  progress: Progress;
  request_timeout_ms: number;
  /** Called once if the server exits while the run still needs it. */
  onExit(error: Error): void;
}): Promise<UserServer> {
  const { spec, link, folder, progress } = args;
  const version = spec.version_argv === null ? null : await versionOf(spec.version_argv);
  const port = spec.port ?? (link.serverNetns !== null ? DEFAULT_PORT_IN_NAMESPACE : await freePort());
  progress.log(`server under test: ${spec.argv.join(' ')} (port ${port}${version ? `, ${version}` : ''})`);
  const handle = await startCommandServer({
    argv: spec.argv,
    host: link.serverListenHost,
    port,
    netns: link.serverNetns,
    protocol: spec.protocol,
    tls: spec.tls,
    routes: HARNESS_ROUTES, // replaced below, once the --path's size is known
    ready_timeout_ms: spec.start_timeout_ms,
  });
  let stopping = false;
  args.teardown.add(`server under test ${handle.pid}`, async () => {
    stopping = true;
    await handle.stop();
  });
  folder.noteProcess('server under test', handle.pid ?? 0, { command: handle.command });
  void handle.exit.then((how) => {
    if (stopping) return;
    const tail = handle.stderrTail();
    args.onExit(
      new Error(
        `the server under test exited mid-run (${how})${tail ? `; its stderr ends: ${tail.split('\n').slice(-3).join(' | ')}` : ''}`,
      ),
    );
  });
  const target = await link.clientTarget(port);
  const clientTls = (v: ClientTls['min_version']): ClientTls | null =>
    spec.tls
      ? { ca: spec.ca_pem, servername: spec.servername ?? SERVERNAME_DEFAULT, min_version: v, max_version: v }
      : null;
  const server = { target, clientTls, protocol: spec.protocol };
  const { routes, small, sized, slow } = await learnRoutes(args.agent, server, args.names, args.request_timeout_ms);
  const withRoutes: CommandServer = { ...handle, routes };
  folder.meta.update({
    server_under_test: {
      origin: 'command',
      command: handle.command,
      version,
      port,
      protocol: spec.protocol,
      tls: spec.tls,
      small,
      sized,
      slow,
    },
  });
  progress.log(
    `server under test: ${[small, ...sized, ...(slow ? [slow] : [])].map((p) => `${p.path} answers ${p.size_bytes} bytes`).join('; ')}`,
  );
  return { handle: withRoutes, running: { handle: withRoutes, target, clientTls } };
}

/** The body size of one GET of the path, or a UserError naming what the server answered. */
export async function learnSize(
  agent: Agent,
  server: Pick<RunningServer, 'target' | 'clientTls'> & { protocol: 'h1' | 'h2' },
  path: string,
  timeout_ms: number,
): Promise<SizedPath> {
  const { target } = server;
  const tls = server.clientTls('TLSv1.3');
  const sample = await agent.probe({
    target,
    protocol: server.protocol,
    tls: anyTlsVersion(tls),
    conn_key: 'kab-learn-size',
    connection: 'new',
    resume: false,
    path,
    close_after: true,
    timeout_ms,
  });
  const where = `GET ${path} on the server under test (${target.host}:${target.port})`;
  if (sample.error !== null) throw new UserError(`${where} failed: ${sample.error}`);
  if (sample.status === null || sample.status < 200 || sample.status > 299)
    throw new UserError(`${where} answered HTTP ${sample.status}; give --path a route it answers with 2xx`);
  return { path, size_bytes: sample.body_bytes ?? 0 };
}

/** The sizes of `--paths`, one GET each, in order. */
export async function learnSizes(
  agent: Agent,
  server: Parameters<typeof learnSize>[1],
  paths: readonly string[],
  timeout_ms: number,
): Promise<SizedPath[]> {
  const out: SizedPath[] = [];
  for (const p of paths) out.push(await learnSize(agent, server, p, timeout_ms));
  return out;
}

/** The routes a user names for their server or target (`--path`, `--paths`, `--slow-path`). */
export interface RouteNames {
  path: string;
  paths: readonly string[];
  slow_path: string | null;
}

/** One GET of each named route, before the run: the server's routes with the sizes it answered. */
export async function learnRoutes(
  agent: Agent,
  server: Parameters<typeof learnSize>[1],
  names: RouteNames,
  timeout_ms: number,
): Promise<{ routes: RouteSet; small: SizedPath; sized: SizedPath[]; slow: SizedPath | null }> {
  const small = await learnSize(agent, server, names.path, timeout_ms);
  const sized = await learnSizes(agent, server, names.paths, timeout_ms);
  const slow = names.slow_path === null ? null : await learnSize(agent, server, names.slow_path, timeout_ms);
  return { routes: userRoutes(small, sized, slow), small, sized, slow };
}

/** The first lines the version command prints (on stdout or stderr: nginx -v writes to stderr). */
async function versionOf(argv: readonly string[]): Promise<string> {
  const [file, ...rest] = argv;
  const r = await execa(file!, rest, { all: true, reject: false, timeout: VERSION_TIMEOUT_MS, stdin: 'ignore' });
  const text = (r.all ?? '').trim().split('\n').slice(0, 2).join(' ').trim();
  if (r.failed && text === '') throw new UserError(`--server-version-cmd ${argv.join(' ')} failed: ${r.shortMessage}`);
  return text;
}

/** A port free on this host now (the link has no namespace of its own, so the server shares the host's ports). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
