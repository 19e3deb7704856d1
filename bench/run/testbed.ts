/**
 * What every profile of a run measures through: the link (emulated, or the real network to a `--target`), the
 * client agent in the client namespace, the namespaces' TCP settings, and how a scenario gets a server.
 */
import { UserError } from '../../lib/errors.ts';
import type { Progress } from '../../lib/progress.ts';
import type { Teardown } from '../../lib/teardown.ts';
import type { Link } from '../../netem/link.ts';
import { openRemoteLink, type RemoteTarget } from '../../netem/remote.ts';
import { openLink } from '../../netem/select.ts';
import type { ServerConfig } from '../../servers/config.ts';
import { startServer } from '../../servers/launch.ts';
import { CERT_SERVERNAME } from '../../servers/tls-cert.ts';
import {
  HARNESS_OFFER,
  HARNESS_ROUTES,
  harnessServer,
  type RouteSet,
  type ServerOffer,
  type ServerUnderTest,
} from '../../servers/under-test.ts';
import { learnRoutes, startUserServer, type learnSize, type RouteNames } from './user-server.ts';
import { startAgent, type Agent } from '../drivers/agent-client.ts';
import type { ClientTls } from '../drivers/target.ts';
import { readTcpSysctls } from '../environment.ts';
import type { BenchOptions, RunningServer } from '../scenarios/types.ts';
import type { RunFolder } from './folder.ts';
import { paramsToOpenWith, type ProfilePlan } from './plan.ts';

export interface Testbed {
  link: Link;
  agent: Agent;
  /** The server side's congestion control as the kernel reports it. */
  congestion_control: string;
  /** Starts a server of this config behind the link (or stands the remote target in for it); `registry` stops it. */
  startServer(config: Partial<ServerConfig>, registry: Teardown): Promise<RunningServer>;
  /** Whether a server of this kind can be had (a remote target is one server of one kind). */
  serves(config: Pick<ServerConfig, 'protocol' | 'tls'>): boolean;
  /** What the servers under test offer (routes, counters, a process): scenarios' needs are checked against it. */
  offer: ServerOffer;
  /** The server calibration measures the link with: the harness's own (a link property), or the remote target. */
  startCalibrationServer(registry: Teardown): Promise<RunningServer>;
}

/** A server elsewhere answers the harness's routes (it is `npm run serve`) and offers nothing else. */
const REMOTE_OFFER: ServerOffer = { routes: HARNESS_ROUTES, stats: false, process: false, configurable: false };

export async function openTestbed(
  options: BenchOptions,
  plan: readonly ProfilePlan[],
  folder: RunFolder,
  teardown: Teardown,
  progress: Progress,
  /** Ends the run with this error (the server under test exited mid-run). */
  fail: (e: Error) => void,
): Promise<Testbed> {
  const remote = options.target ?? null;
  const { link, why } =
    remote !== null
      ? { link: openRemoteLink(remote), why: `--target ${remote.url} (real network, no emulation)` }
      : await openLink(options.link, { runId: folder.runId, params: paramsToOpenWith(plan) });
  teardown.add('link', () => link.close());
  progress.log(`link: ${why}`);

  const agent = await startAgent(link.clientNetns);
  teardown.add('client agent', () => agent.stop());
  folder.noteProcess('client agent', agent.pid);

  await applyTcpSettings(link, options);
  const sysctls = { client: await readTcpSysctls(link.clientNetns), server: await readTcpSysctls(link.serverNetns) };
  const routes = link.tuning
    ? { server: await link.tuning.readRoutes('server'), client: await link.tuning.readRoutes('client') }
    : null;
  const congestion_control = sysctls.server['net.ipv4.tcp_congestion_control'] ?? 'unknown';
  folder.meta.update({
    link: { backend: link.backend, why, caveats: link.caveats },
    sysctls,
    routes,
    congestion_control,
  });

  const base = { link, agent, congestion_control };
  const startHarnessServer = (config: Partial<ServerConfig>, registry: Teardown): Promise<RunningServer> =>
    startLocalServer(link, folder, config, registry);
  if (options.server_command) {
    const user = await startUserServer({
      spec: options.server_command,
      names: routeNames(options),
      link,
      agent,
      folder,
      teardown,
      progress,
      request_timeout_ms: options.request_timeout_ms,
      onExit: fail,
    });
    return {
      ...base,
      offer: { routes: user.handle.routes, stats: false, process: true, configurable: false },
      serves: (config) => sameKind(user.handle, config),
      startServer: async (config) => onlyServer(user.running, config, 'the server under test (--server-cmd)'),
      startCalibrationServer: (registry) => startHarnessServer({ protocol: 'h1', tls: false }, registry),
    };
  }
  if (remote !== null) {
    const stand_in = remoteServer(remote, { protocol: remote.protocol, tls: remote.tls });
    const routes = await remoteRoutes(agent, { ...stand_in, protocol: remote.protocol }, options);
    const running = { ...stand_in, handle: { ...stand_in.handle, routes } };
    if (routes !== HARNESS_ROUTES)
      folder.meta.update({
        server_under_test: { origin: 'remote', url: remote.url, small: routes.small(0), sizes_bytes: routes.sizes() },
      });
    return {
      ...base,
      offer: { ...REMOTE_OFFER, routes },
      serves: (config) => sameKind(running.handle, config),
      startServer: async (config) => onlyServer(running, config, `the remote target ${remote.url}`),
      startCalibrationServer: async () => running,
    };
  }
  return {
    ...base,
    offer: HARNESS_OFFER,
    serves: () => true,
    startServer: startHarnessServer,
    startCalibrationServer: (registry) => startHarnessServer({ protocol: 'h1', tls: false }, registry),
  };
}

/** A target answers the harness's routes (it is `npm run serve`) unless --path/--paths name its own. */
async function remoteRoutes(
  agent: Agent,
  server: Parameters<typeof learnSize>[1],
  options: BenchOptions,
): Promise<RouteSet> {
  if (options.path == null && options.paths == null && options.slow_path == null) return HARNESS_ROUTES;
  return (await learnRoutes(agent, server, routeNames(options), options.request_timeout_ms)).routes;
}

function routeNames(options: BenchOptions): RouteNames {
  return { path: options.path ?? '/', paths: options.paths ?? [], slow_path: options.slow_path ?? null };
}

function sameKind(
  server: Pick<ServerUnderTest, 'protocol' | 'tls'>,
  config: Partial<Pick<ServerConfig, 'protocol' | 'tls'>>,
): boolean {
  return (config.protocol ?? 'h1') === server.protocol && (config.tls ?? false) === server.tls;
}

/**
 * The one server a run measures when it is not the harness's own (a --server-cmd or a --target): handed to
 * every case of its kind; a case of another kind is a bug of the scenario (it should ask `serves` first). The run
 * owns it, not the case: the handle a scenario gets does not stop it (scenarios stop the servers they start).
 */
function onlyServer(running: RunningServer, config: Partial<ServerConfig>, what: string): RunningServer {
  if (!running.handle.alive()) throw new Error(`${what} is no longer running`);
  if (!sameKind(running.handle, config)) {
    const kind = (p: string, tls: boolean): string => `${p}${tls ? '+TLS' : ''}`;
    throw new UserError(
      `${what} is ${kind(running.handle.protocol, running.handle.tls)}; this case needs ${kind(config.protocol ?? 'h1', config.tls ?? false)}`,
    );
  }
  return { ...running, handle: { ...running.handle, stop: async () => undefined } };
}

async function startLocalServer(
  link: Link,
  folder: RunFolder,
  config: Partial<ServerConfig>,
  registry: Teardown,
): Promise<RunningServer> {
  const handle = await startServer({ ...config, host: link.serverListenHost }, link.serverNetns);
  registry.add(`${handle.config.protocol} server ${handle.pid}`, () => handle.stop());
  const { cert_pem: _cert, key_pem: _key, ...recorded } = handle.config;
  folder.noteProcess(`${handle.config.protocol}${handle.config.tls ? '+tls' : ''} server`, handle.pid, recorded);
  const target = await link.clientTarget(handle.ready.port);
  const cert = handle.ready.cert_pem;
  return {
    handle: harnessServer(handle),
    target,
    clientTls: (version): ClientTls | null =>
      cert === null ? null : { ca: cert, servername: CERT_SERVERNAME, min_version: version, max_version: version },
  };
}

/** --cc and --slow-start-after-idle: per-namespace sysctls, so they need a link with namespaces. */
async function applyTcpSettings(link: Link, options: BenchOptions): Promise<void> {
  const values: Record<string, string> = {};
  if (options.congestion_control !== null) values['net.ipv4.tcp_congestion_control'] = options.congestion_control;
  if (options.slow_start_after_idle !== null)
    values['net.ipv4.tcp_slow_start_after_idle'] = String(options.slow_start_after_idle);
  if (Object.keys(values).length === 0) return;
  if (link.tuning === null) {
    throw new UserError(
      `--cc and --slow-start-after-idle set namespace sysctls, and the ${link.backend} link has no namespaces: use --link tun or tc (root)`,
    );
  }
  for (const side of ['client', 'server'] as const) await link.tuning.setSysctls(side, values);
}

/**
 * A server elsewhere stands in for the one a scenario would start, when it is of the same kind; the harness
 * cannot read its stats or stop it.
 */
function remoteServer(target: RemoteTarget, config: Pick<ServerConfig, 'protocol' | 'tls'>): RunningServer {
  const { protocol, tls } = config;
  return {
    handle: {
      origin: 'remote',
      protocol,
      tls,
      port: target.port,
      pid: null,
      routes: HARNESS_ROUTES,
      stats: null,
      closeIdle: null,
      alive: () => true,
      stop: async () => undefined,
    },
    target: { host: target.host, port: target.port },
    clientTls: (version) =>
      tls ? { ca: target.ca_pem, servername: target.servername, min_version: version, max_version: version } : null,
  };
}
