import net from 'node:net';
import type { LoadOptions } from '../../bench/drivers/load/types.ts';

/** Load options for driver tests: small, short, h2 by default. */
export function loadOpts(over: Partial<LoadOptions>): LoadOptions {
  return {
    target: { host: '127.0.0.1', port: 1 },
    protocol: 'h2',
    path: '/bytes/100',
    connections: 2,
    per_connection: 2,
    loop: 'closed',
    rate_rps: null,
    keep_alive: true,
    duration_ms: 500,
    max_requests: null,
    timeout_ms: 2_000,
    ...over,
  };
}

/** A loopback port nothing listens on (bound, then closed). */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
