/** The load driver for a protocol. */
import { h1LoadDriver } from './h1.ts';
import { h2LoadDriver } from './h2.ts';
import type { LoadDriver, LoadProtocol } from './types.ts';

export function loadDriverFor(protocol: LoadProtocol): LoadDriver {
  return protocol === 'h1' ? h1LoadDriver : h2LoadDriver;
}
