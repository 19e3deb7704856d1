/**
 * Client-side operations of the lifecycle scenario (C7–C10, C12), run inside the client agent process: the lc_*
 * op table. The clients (http.Agent pools, h2 sessions, timed requests, socket events) are in
 * lifecycle-clients.ts, the raw-socket idle-close probe in idle-close-probe.ts.
 */
import { epochMs, LifecycleClients, type LcClientSpec, type LcRequest } from './lifecycle-clients.ts';
import { idleCloseProbe, type IdleCloseRequest } from './idle-close-probe.ts';
import { h2IdleCloseProbe } from './h2-idle-close-probe.ts';

export type LifecycleOp =
  | { op: 'lc_open'; spec: LcClientSpec }
  | ({ op: 'lc_request' } & LcRequest)
  | { op: 'lc_requests'; requests: LcRequest[] }
  | { op: 'lc_events'; client_key: string; since_epoch_ms: number }
  | { op: 'lc_close'; client_key: string }
  | { op: 'lc_now' }
  | ({ op: 'lc_idle_close' } & IdleCloseRequest);

export const LIFECYCLE_OPS = new Set([
  'lc_open',
  'lc_request',
  'lc_requests',
  'lc_events',
  'lc_close',
  'lc_now',
  'lc_idle_close',
]);

export function isLifecycleOp(msg: { op?: unknown }): msg is LifecycleOp {
  return typeof msg.op === 'string' && LIFECYCLE_OPS.has(msg.op);
}

export async function handleLifecycleOp(clients: LifecycleClients, msg: LifecycleOp): Promise<Record<string, unknown>> {
  switch (msg.op) {
    case 'lc_open':
      clients.open(msg.spec);
      return {};
    case 'lc_request':
      return { result: await clients.request(msg) };
    case 'lc_requests':
      // Sent together: they compete for the pool (C12).
      return { results: await Promise.all(msg.requests.map((r) => clients.request(r))) };
    case 'lc_events':
      return { events: clients.events(msg.client_key, msg.since_epoch_ms) };
    case 'lc_close':
      clients.close(msg.client_key);
      return {};
    case 'lc_now':
      return { epoch_ms: epochMs() };
    case 'lc_idle_close':
      return { result: await (msg.protocol === 'h2' ? h2IdleCloseProbe(msg) : idleCloseProbe(msg)) };
  }
}
