/**
 * A page load's connection figures from what the page saw (in-page.ts) — pure. Which connection served each
 * response is the server's word (Server-Timing); Resource Timing alone cannot tell a reused connection from
 * another (both show connectStart = connectEnd).
 */
import type { ResourceSeen } from './in-page.ts';

export interface LoadFigures {
  resources: number;
  /** The protocols that served it, e.g. "h2" or "http/1.1" (joined with + when several). */
  protocol: string | null;
  connections: number | null;
  new_connections: number | null;
  resumed_connections: number | null;
  tls_ms_max: number | null;
  wait_ms_max: number | null;
  wait_ms_mean: number | null;
  /** The connections first seen in this load. */
  fresh_ids: ReadonlySet<string>;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Time a request waited for a connection: from its start to its request going out, less what went into DNS
 * and into opening the connection it got (connect and TLS). Never negative.
 */
export function waitForConnection_ms(
  r: Pick<ResourceSeen, 'start_ms' | 'request_ms' | 'connect_ms' | 'dns_ms'>,
): number {
  return Math.max(0, r.request_ms - r.start_ms - Math.max(0, r.connect_ms) - Math.max(0, r.dns_ms));
}

/**
 * The load's figures. `seen` holds the connection ids of this browser's earlier loads and is updated with this
 * load's: a connection first seen serving a response now is new to the load. `accepted`, the connections the
 * server accepted during the load, is the better count of those opened (a spare one the browser opened and never
 * used, or opened late in the load before and first used now, is counted where it was opened); where the server
 * keeps no count (null), the first-seen count stands in.
 */
export function loadFigures(
  resources: readonly ResourceSeen[],
  seen: Set<string>,
  accepted: number | null = null,
): LoadFigures {
  const ids = resources.map((r) => r.conn_id).filter((id): id is string => id !== null);
  const distinct = [...new Set(ids)];
  const fresh = distinct.filter((id) => !seen.has(id));
  const resumed = fresh.filter((id) => resources.some((r) => r.conn_id === id && r.tls_session === 'resumed'));
  for (const id of distinct) seen.add(id);
  const tls = resources.map((r) => r.tls_ms).filter((t) => t > 0);
  const waits = resources.filter((r) => r.request_ms > 0).map(waitForConnection_ms);
  const protocols = [...new Set(resources.map((r) => r.protocol).filter((p) => p !== ''))].sort();
  const known = resources.length > 0 && ids.length === resources.length;
  return {
    resources: resources.length,
    protocol: protocols.length ? protocols.join('+') : null,
    connections: known ? distinct.length : null,
    new_connections: accepted ?? (known ? fresh.length : null),
    resumed_connections: known ? resumed.length : null,
    tls_ms_max: tls.length ? round3(Math.max(...tls)) : null,
    wait_ms_max: waits.length ? round3(Math.max(...waits)) : null,
    wait_ms_mean: waits.length ? round3(waits.reduce((a, b) => a + b, 0) / waits.length) : null,
    fresh_ids: new Set(fresh),
  };
}
