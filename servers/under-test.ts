/**
 * The server a scenario measures, whoever runs it: the harness's own Node servers (today), a remote target
 * (`--target`), and next a command the user gives. A scenario asks it what it offers — routes, server-side
 * counters, a process to signal — instead of assuming the harness's own server.
 */
import type { ServerHandle } from './launch.ts';
import type { ServerStats } from './config.ts';

/** A path and the size of its response body. */
export interface SizedPath {
  path: string;
  size_bytes: number;
  /** How long the server waits before answering, where the route sets it (the harness's slow route). */
  delay_ms?: number;
}

/** The paths a server answers; null where it has no such route. */
export interface RouteSet {
  /**
   * The small request of handshake and calibration: the harness's own servers answer exactly size_bytes; a
   * user's server answers its `--path`, whatever its size (learned with one GET before the run).
   */
  small(size_bytes: number): SizedPath | null;
  /** A response of exactly size_bytes bytes of body. */
  sized(size_bytes: number): string | null;
  /** The sizes `sized` answers: any (the harness's `/bytes/<n>`), or those a user's `--paths` turned out to have. */
  sizes(): readonly number[] | 'any';
  /**
   * A slow response, for head-of-line blocking: the harness's own servers send size_bytes after delay_ms; a user's
   * server answers its `--slow-path`, of whatever size and delay (its size learned before the run).
   */
  slow(size_bytes: number, delay_ms: number): SizedPath | null;
  /** The response of `path`, after which the server closes the connection (HTTP/1.1 `Connection: close`). */
  closing(path: string): string | null;
}

/** The harness's own route set (servers/routes.ts): `/bytes/<n>[?delay_ms=<d>][&close=1]`. */
export const HARNESS_ROUTES: RouteSet = {
  small: (size_bytes) => ({ path: `/bytes/${size_bytes}`, size_bytes }),
  sized: (size_bytes) => `/bytes/${size_bytes}`,
  sizes: () => 'any',
  slow: (size_bytes, delay_ms) => ({ path: `/bytes/${size_bytes}?delay_ms=${delay_ms}`, size_bytes, delay_ms }),
  closing: (path) => `${path}${path.includes('?') ? '&' : '?'}close=1`,
};

/**
 * The routes of a user's server: its one small request (`--path`), the responses of `--paths` and its slow response
 * (`--slow-path`), each of the size it answered when asked before the run. No closing route: scenarios that need
 * one are skipped, as are those that need a route the user did not name.
 */
export function userRoutes(
  small: SizedPath,
  sized: readonly SizedPath[] = [],
  slow: SizedPath | null = null,
): RouteSet {
  return {
    small: () => small,
    sized: (size_bytes) => sized.find((p) => p.size_bytes === size_bytes)?.path ?? null,
    sizes: () => [...new Set(sized.map((p) => p.size_bytes))].sort((a, b) => a - b),
    slow: () => slow,
    closing: () => null,
  };
}

/** What a run's servers under test offer, known before one is started: scenarios are checked against it. */
export interface ServerOffer {
  readonly routes: RouteSet;
  /** Server-side counters (connections, requests, memory, FDs). */
  readonly stats: boolean;
  /** A process the harness started and can observe (CPU time) or signal (crash faults). */
  readonly process: boolean;
  /** Timeouts and limits the harness sets per case (idle timeout, streams, FD limit): only its own servers. */
  readonly configurable: boolean;
}

/** The harness's own Node servers offer everything. */
export const HARNESS_OFFER: ServerOffer = { routes: HARNESS_ROUTES, stats: true, process: true, configurable: true };

export interface ServerUnderTest {
  /** Who runs it: the harness (its own server, started and stopped by it) or nobody we control (a remote target). */
  readonly origin: 'harness' | 'command' | 'remote';
  readonly protocol: 'h1' | 'h2';
  readonly tls: boolean;
  /** The port it listens on, as seen from its own side of the link. */
  readonly port: number;
  /** Its process, where the harness started it (null for a remote target). */
  readonly pid: number | null;
  readonly routes: RouteSet;
  /** Its own counters (connections, requests, memory, FDs), where it offers them; null where it does not. */
  readonly stats: (() => Promise<ServerStats>) | null;
  /** Closes its idle connections now, as its idle timeout would (the harness's own servers only); null where it cannot. */
  readonly closeIdle: (() => Promise<void>) | null;
  alive(): boolean;
  stop(): Promise<void>;
}

/** A capability a scenario needs and this server does not offer: the scenario records "skipped: needs …". */
export class ServerLacks extends Error {
  constructor(readonly capability: string) {
    super(`the server under test does not offer ${capability}`);
  }
}

export function harnessServer(handle: ServerHandle): ServerUnderTest {
  return {
    origin: 'harness',
    protocol: handle.config.protocol,
    tls: handle.config.tls,
    port: handle.ready.port,
    // The server's own process (what it reports), not a wrapper: its CPU time is what cost reads.
    pid: handle.ready.pid,
    routes: HARNESS_ROUTES,
    stats: () => handle.stats(),
    closeIdle: async () => {
      await handle.closeIdle();
    },
    alive: () => handle.alive(),
    stop: () => handle.stop(),
  };
}

/** The server's counters, or ServerLacks. */
export function statsOf(server: ServerUnderTest): () => Promise<ServerStats> {
  if (server.stats === null) throw new ServerLacks('server-side counters (connections, requests, memory)');
  return server.stats;
}

/** The server's process id, or ServerLacks. */
export function pidOf(server: ServerUnderTest): number {
  if (server.pid === null) throw new ServerLacks('a process the harness can observe or signal');
  return server.pid;
}

/** A route the scenario needs, or ServerLacks. */
export function routeOr<R extends string | SizedPath>(route: R | null, what: string): R {
  if (route === null) throw new ServerLacks(`a route for ${what}`);
  return route;
}
