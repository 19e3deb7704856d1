/**
 * The proxy link: for machines without root. A child process (proxy-process.ts) listens on loopback and
 * forwards to the servers, delaying the bytes half an RTT each way and charging the skipped TCP handshake on
 * a connection's first bytes. It cannot show slow start or loss recovery, and refuses packet loss.
 */
import { fileURLToPath } from 'node:url';
import { spawnJsonChild, tsEntryArgv } from '../lib/child.ts';
import { UserError } from '../lib/errors.ts';
import { emptyDirectionCounters, type Link, type LinkCounters, type LinkOpenOptions, type LinkParams } from './link.ts';
import { validateLinkParams } from './profiles.ts';

export const PROXY_CAVEATS: readonly string[] = [
  'proxy link: delays bytes, not packets — no TCP slow start, no loss recovery, handshake charged as one extra RTT on first bytes',
  'proxy link: rate is a per-chunk serialization delay with an unbounded queue; queue_packets and mtu_bytes are ignored',
];

/** How late the proxy's delay line delivered chunks against their due time (precision of its timers). */
export interface ProxyTimerStats {
  count: number;
  mean_us: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
}

export interface ProxyLink extends Link {
  timerStats(): Promise<ProxyTimerStats>;
  /** Pid of the proxy child process (for tests and cleanup checks). */
  readonly pid: number;
}

interface StatsReply {
  error?: string;
  up: { bytes: number; chunks: number };
  down: { bytes: number; chunks: number };
  timer: ProxyTimerStats;
}

const PROXY_PROCESS = fileURLToPath(new URL('./proxy-process.ts', import.meta.url));

function checkProxyParams(p: LinkParams): void {
  validateLinkParams(p);
  if (p.loss_pct > 0) {
    throw new UserError('the proxy link cannot emulate packet loss; use --link tun or tc (root)');
  }
}

export async function openProxyLink(opts: LinkOpenOptions): Promise<ProxyLink> {
  checkProxyParams(opts.params);
  let current: LinkParams = { ...opts.params };
  const child = await spawnJsonChild<{ ready: true; pid: number }>(
    tsEntryArgv(PROXY_PROCESS, [JSON.stringify(current)]),
    { label: 'proxy link' },
  );
  const targets = new Map<number, Promise<{ host: string; port: number }>>();
  let closed = false;
  const live = (): void => {
    if (closed) throw new Error('proxy link is closed');
  };

  const link: ProxyLink = {
    backend: 'proxy',
    clientNetns: null,
    serverNetns: null,
    serverListenHost: '127.0.0.1',
    caveats: PROXY_CAVEATS,
    capabilities: { real_packets: false, drops_packets: false, configurable: true, connect_crosses_link: false },
    controls: null,
    tuning: null,
    pid: child.pid,
    params: () => ({ ...current }),
    async configure(params: LinkParams): Promise<void> {
      live();
      checkProxyParams(params);
      await child.call({ op: 'configure', params }, 10_000);
      current = { ...params };
    },
    async clientTarget(serverPort: number): Promise<{ host: string; port: number }> {
      live();
      let t = targets.get(serverPort);
      if (!t) {
        t = child.call<{ port: number }>({ op: 'listen', upstream_port: serverPort }, 10_000).then((r) => ({
          host: '127.0.0.1',
          port: r.port,
        }));
        t.catch(() => targets.delete(serverPort));
        targets.set(serverPort, t);
      }
      return await t;
    },
    /** Bytes per direction; `packets` counts the chunks the proxy wrote (not IP packets). */
    async counters(): Promise<LinkCounters | null> {
      live();
      const s = await child.call<StatsReply>({ op: 'stats' }, 10_000);
      return {
        up: { ...emptyDirectionCounters(), packets: s.up.chunks, bytes: s.up.bytes },
        down: { ...emptyDirectionCounters(), packets: s.down.chunks, bytes: s.down.bytes },
      };
    },
    async timerStats(): Promise<ProxyTimerStats> {
      live();
      return (await child.call<StatsReply>({ op: 'stats' }, 10_000)).timer;
    },
    async close(): Promise<void> {
      closed = true;
      await child.stop();
    },
  };
  return link;
}
