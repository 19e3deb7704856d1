/**
 * The load driver for a protocol. HTTP/2 uses the raw-framing driver: node:http2's client costs several times
 * the server's CPU per stream, so on a 2-core machine it measured itself (0.22–0.42× h2load); the node:http2
 * driver stays for cross-checks (scripts/bench-drivers.ts runs both).
 */
import { h1LoadDriver } from './h1.ts';
import { h2RawLoadDriver } from './h2-raw.ts';
import type { LoadDriver, LoadProtocol } from './types.ts';

export function loadDriverFor(protocol: LoadProtocol): LoadDriver {
  return protocol === 'h1' ? h1LoadDriver : h2RawLoadDriver;
}
