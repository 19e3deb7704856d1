/** The `none` link: plain loopback, nothing emulated. */
import { UserError } from '../lib/errors.ts';
import type { Link, LinkOpenOptions, LinkParams } from './link.ts';
import { validateLinkParams } from './profiles.ts';

function describeEmulation(p: LinkParams): string {
  const parts: string[] = [];
  if (p.rtt_ms !== 0) parts.push(`rtt ${p.rtt_ms} ms`);
  if (p.jitter_ms !== 0) parts.push(`jitter ${p.jitter_ms} ms`);
  if (p.loss_pct !== 0) parts.push(`loss ${p.loss_pct} %`);
  if (p.rate_mbit !== null) parts.push(`rate ${p.rate_mbit} Mbit/s`);
  return parts.join(', ');
}

function checkNoneParams(p: LinkParams): void {
  validateLinkParams(p);
  const wanted = describeEmulation(p);
  if (wanted) throw new UserError(`--link none adds no delay; choose tun, tc or proxy to emulate ${wanted}`);
}

export async function openNoneLink(opts: LinkOpenOptions): Promise<Link> {
  checkNoneParams(opts.params);
  let current: LinkParams = { ...opts.params };
  return {
    backend: 'none',
    clientNetns: null,
    serverNetns: null,
    serverListenHost: '127.0.0.1',
    caveats: ['none link: plain loopback — no delay, loopback MTU (64 KiB) instead of mtu_bytes'],
    capabilities: { real_packets: false, drops_packets: false, configurable: true, connect_crosses_link: true },
    controls: null,
    tuning: null,
    params: () => ({ ...current }),
    async configure(params: LinkParams): Promise<void> {
      checkNoneParams(params);
      current = { ...params };
    },
    async clientTarget(serverPort: number): Promise<{ host: string; port: number }> {
      return { host: '127.0.0.1', port: serverPort };
    },
    async counters() {
      return null;
    },
    async close(): Promise<void> {},
  };
}
