/**
 * The "link" of a run against a server elsewhere (`--target`): no emulation, the real network path. The
 * calibration measures that path and records it like any other link.
 */
import { UserError } from '../lib/errors.ts';
import { addsNothing } from './profiles.ts';
import type { Link, LinkParams, Profile } from './link.ts';
import type { TlsVersion } from '../servers/config.ts';

export interface RemoteTarget {
  url: string;
  host: string;
  port: number;
  protocol: 'h1' | 'h2';
  tls: boolean;
  /** PEM of the certificate (or CA) to trust; null = the system's CAs. */
  ca_pem: string | null;
  servername: string;
  tls_versions: TlsVersion[];
}

export const REMOTE_CAVEAT =
  "remote target: the real network path, no emulation; the server is not under the harness's control";

export function remoteProfile(target: RemoteTarget): Profile {
  return {
    name: 'remote',
    params: { rtt_ms: 0, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 },
    source: `the real network to ${target.url}; what it adds is measured by the calibration, not configured`,
  };
}

export function openRemoteLink(target: RemoteTarget): Link {
  let current = remoteProfile(target).params;
  return {
    backend: 'remote',
    clientNetns: null,
    serverNetns: null,
    serverListenHost: target.host,
    caveats: [REMOTE_CAVEAT],
    params: () => current,
    async configure(params: LinkParams) {
      if (!addsNothing(params))
        throw new UserError(
          'a remote target cannot be given a profile: the network is what it is; drop --profile/--rtt/--loss',
        );
      current = params;
    },
    async clientTarget() {
      return { host: target.host, port: target.port };
    },
    // A real network: real TCP, and whatever loss it has, but nothing the harness can set.
    capabilities: { real_packets: true, drops_packets: false, configurable: false, connect_crosses_link: true },
    controls: null,
    tuning: null,
    async counters() {
      return null;
    },
    async close() {},
  };
}
