/**
 * Test double behind the LoadDriver interface: the real engine over a fake transport whose answers come after a
 * fixed latency, with every n-th request failing in a chosen way. No sockets.
 */
import { runLoad, type LoadAnswer, type LoadConn, type LoadTransport } from '../../bench/drivers/load/engine.ts';
import type { LoadDriver } from '../../bench/drivers/load/types.ts';

export interface FakeBehaviour {
  latency_ms: number;
  /** Every n-th request (1-based) fails; null = none. */
  fail_every: number | null;
  fail_with: 'timeout' | 'reset' | 'status_500';
}

export function fakeTransport(b: FakeBehaviour): LoadTransport & { opened: number } {
  let n = 0;
  const t = {
    opened: 0,
    open(): Promise<LoadConn> {
      t.opened++;
      let closed = false;
      return Promise.resolve({
        get unusableReason() {
          return closed ? 'closed' : null;
        },
        request(_path: string, timeout_ms: number): Promise<LoadAnswer> {
          const i = ++n;
          const fails = b.fail_every !== null && i % b.fail_every === 0;
          return new Promise((resolve, reject) => {
            if (fails && b.fail_with === 'timeout') {
              setTimeout(
                () => reject(new Error(`timeout after ${timeout_ms} ms`)),
                Math.min(timeout_ms, b.latency_ms * 2),
              );
              return;
            }
            setTimeout(() => {
              if (fails && b.fail_with === 'reset') reject(new Error('ECONNRESET'));
              else resolve({ status: fails ? 500 : 200, body_bytes: 100 });
            }, b.latency_ms);
          });
        },
        close() {
          closed = true;
        },
      });
    },
  };
  return t;
}

export function fakeLoadDriver(b: FakeBehaviour): LoadDriver & { transport: ReturnType<typeof fakeTransport> } {
  const transport = fakeTransport(b);
  return { name: 'fake', transport, run: (opts, signal) => runLoad('fake', transport, opts, signal) };
}
