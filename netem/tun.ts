/**
 * The tun link backend: two namespaces joined through two TUN devices by a userspace delay line
 * (tun-delay-line.ts), so that both ends run the real kernel TCP.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Link, LinkCounters, LinkOpenOptions, LinkParams } from './link.ts';
import { UserError } from '../lib/errors.ts';
import { ffiUnavailableReason } from '../lib/ffi.ts';
import { spawnJsonChild, tsEntryArgv, type ChildHandle } from '../lib/child.ts';
import {
  LINK_PREFIX_LEN,
  createNamespaces,
  destroyNamespaces,
  namespaceTuning,
  run,
  type Namespaces,
} from './topology.ts';
import { paramsProblem } from './tun-delay-line.ts';

const DELAY_LINE_PATH = fileURLToPath(new URL('./tun-delay-line.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONTROL_TIMEOUT_MS = 10_000;

export interface TunLink extends Link {
  readonly backend: 'tun';
  readonly namespaces: Namespaces;
  /** pid of the delay-line process (it holds both TUN devices). */
  readonly delayLinePid: number;
  /** How late the delay line wrote out its last few thousand packets (its own timing error), in µs; reset starts afresh. */
  releaseLateness(reset?: boolean): Promise<ReleaseLateness>;
}

interface DelayLineReady {
  ready: true;
  pid: number;
  realtime: boolean;
  realtime_error?: string;
}

export interface ReleaseLateness {
  samples: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
}

/** null when the tun backend can be used here, else why not. */
/** Above any window a sender can hold in flight with Linux's default tcp_wmem (4 MiB ≈ 2 900 segments). */
export const TUN_TXQUEUELEN_PACKETS = 10_000;

/** TX drops of a device in a namespace (the kernel's own queue, before the delay line reads it). */
async function deviceTxDropped(ns: string, dev: string): Promise<number | undefined> {
  try {
    const parsed = JSON.parse(await run(['ip', '-j', '-s', '-n', ns, 'link', 'show', 'dev', dev])) as Array<{
      stats64?: { tx?: { dropped?: number } };
    }>;
    return parsed[0]?.stats64?.tx?.dropped;
  } catch {
    return undefined;
  }
}

export function tunUnavailableReason(): string | null {
  // Namespaces and the sysctls inside them are set as root: CAP_NET_ADMIN alone does not reach them here.
  if (process.getuid?.() !== 0) return 'not root (the tun link runs as root)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (load the tun kernel module)';
  // The delay line reads and writes the TUN device through koffi (glibc): without it the link cannot start.
  return ffiUnavailableReason();
}

function checkParams(params: LinkParams): void {
  const problem = paramsProblem(params);
  if (problem) throw new UserError(`invalid link parameters: ${problem}`);
}

async function setUpDevice(dev: string, ns: string, addr: string, mtu_bytes: number): Promise<void> {
  await run(['ip', 'link', 'set', 'dev', dev, 'netns', ns]);
  // The link carries IPv4 only; IPv6 would add router solicitations and MLD reports to the counters.
  await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${dev}.disable_ipv6=1`]).catch(
    () => undefined,
  );
  await run(['ip', '-n', ns, 'link', 'set', 'dev', dev, 'mtu', String(mtu_bytes)]);
  // The TUN queue sits between the sending socket and the delay line; at its default 500 packets a
  // loss-free sender's burst (a warm reno window reaches ~1500 segments) overflows it before the delay line
  // reads it: losses the emulated link never configured. The link's own queue is the delay line's.
  await run(['ip', '-n', ns, 'link', 'set', 'dev', dev, 'txqueuelen', String(TUN_TXQUEUELEN_PACKETS)]);
  await run(['ip', '-n', ns, 'addr', 'add', `${addr}/${LINK_PREFIX_LEN}`, 'dev', dev]);
  await run(['ip', '-n', ns, 'link', 'set', 'dev', dev, 'up']);
}

export async function openTunLink(opts: LinkOpenOptions): Promise<TunLink> {
  const reason = tunUnavailableReason();
  if (reason) throw new UserError(`the tun link cannot be used: ${reason}; run as root or use --link proxy`);
  checkParams(opts.params);
  let current: LinkParams = { ...opts.params };

  const ns = await createNamespaces(opts.runId);
  let child: ChildHandle<DelayLineReady> | undefined;
  try {
    child = await spawnJsonChild<DelayLineReady>(
      tsEntryArgv(DELAY_LINE_PATH, [ns.clientDev, ns.serverDev, JSON.stringify(current)]),
      { label: `tun delay line ${opts.runId}`, cwd: REPO_ROOT },
    );
    await setUpDevice(ns.clientDev, ns.clientNs, ns.clientAddr, current.mtu_bytes);
    await setUpDevice(ns.serverDev, ns.serverNs, ns.serverAddr, current.mtu_bytes);
  } catch (e) {
    await child?.stop(1_000).catch(() => undefined);
    await destroyNamespaces(ns).catch(() => undefined);
    throw e;
  }
  const delayLine = child;

  const call = (body: Record<string, unknown> & { op: string }): Promise<Record<string, unknown>> =>
    delayLine.call(body, CONTROL_TIMEOUT_MS);

  let closing: Promise<void> | undefined;
  return {
    backend: 'tun',
    namespaces: ns,
    delayLinePid: delayLine.pid,
    clientNetns: ns.clientNs,
    serverNetns: ns.serverNs,
    serverListenHost: ns.serverAddr,
    caveats: delayLine.ready.realtime
      ? []
      : [
          `the tun delay line is not real-time (${delayLine.ready.realtime_error ?? 'unknown'}): packet releases may be late on a busy machine`,
        ],
    params: () => ({ ...current }),
    async configure(params: LinkParams): Promise<void> {
      checkParams(params);
      await call({ op: 'configure', params });
      if (params.mtu_bytes !== current.mtu_bytes) {
        await run(['ip', '-n', ns.clientNs, 'link', 'set', 'dev', ns.clientDev, 'mtu', String(params.mtu_bytes)]);
        await run(['ip', '-n', ns.serverNs, 'link', 'set', 'dev', ns.serverDev, 'mtu', String(params.mtu_bytes)]);
      }
      current = { ...params };
    },
    clientTarget: async (serverPort: number) => ({ host: ns.serverAddr, port: serverPort }),
    capabilities: { real_packets: true, drops_packets: true, configurable: true, connect_crosses_link: true },
    tuning: namespaceTuning(ns),
    controls: {
      async setFlowIdleTimeout(ms: number | null): Promise<void> {
        if (ms !== null && !(Number.isFinite(ms) && ms >= 0))
          throw new UserError(`flow idle timeout must be ≥ 0 ms, got ${ms}`);
        await call({ op: 'idle_timeout', ms });
      },
      async setBlackhole(on: boolean): Promise<void> {
        await call({ op: 'blackhole', on });
      },
    },
    async releaseLateness(reset = false): Promise<ReleaseLateness> {
      return (await call({ op: 'lateness', reset })).release_lateness as ReleaseLateness;
    },
    async counters(): Promise<LinkCounters | null> {
      const c = (await call({ op: 'counters' })).counters as LinkCounters;
      // up = client → server enters at the client's device; down at the server's.
      c.up.dropped_device = await deviceTxDropped(ns.clientNs, ns.clientDev);
      c.down.dropped_device = await deviceTxDropped(ns.serverNs, ns.serverDev);
      return c;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await delayLine.stop(1_000);
        await destroyNamespaces(ns);
      })();
      return closing;
    },
  };
}
