/**
 * What runs inside the page: JavaScript source, not compiled functions (a transpiler's helpers would not exist
 * in the page). It reads Navigation and Resource Timing and the servers' Server-Timing (which connection served
 * each response, and whether its TLS session was resumed).
 */
import { SERVER_TIMING_CONN, SERVER_TIMING_TLS } from '../../../servers/web-page.ts';

/** One response as the page's Resource (or Navigation) Timing saw it; times in ms from the page's time origin. */
export interface ResourceSeen {
  name: string;
  start_ms: number;
  request_ms: number;
  end_ms: number;
  /** connectEnd − connectStart (includes TLS); 0 on a reused connection. */
  connect_ms: number;
  /** connectEnd − secureConnectionStart; 0 without a TLS handshake. */
  tls_ms: number;
  dns_ms: number;
  /** nextHopProtocol: h2, http/1.1. */
  protocol: string;
  /** Response status (Resource Timing's responseStatus; 0 when the browser does not say). */
  status: number;
  /** The server's connection id and TLS session (resumed | full), from Server-Timing; null where absent. */
  conn_id: string | null;
  tls_session: string | null;
}

export interface LoadSeen {
  page_ms: number;
  resources: ResourceSeen[];
  /** Requests that failed (network error, timeout or a status other than 200). */
  errors: number;
  error: string | null;
}

const COLLECT_JS = `(entries) => entries.map((e) => {
  const st = {};
  for (const t of e.serverTiming || []) st[t.name] = t.description;
  return {
    name: e.name,
    start_ms: e.startTime,
    request_ms: e.requestStart,
    end_ms: e.responseEnd,
    connect_ms: e.connectEnd - e.connectStart,
    tls_ms: e.secureConnectionStart > 0 ? e.connectEnd - e.secureConnectionStart : 0,
    dns_ms: e.domainLookupEnd - e.domainLookupStart,
    protocol: e.nextHopProtocol,
    status: e.responseStatus || 0,
    conn_id: st[${JSON.stringify(SERVER_TIMING_CONN)}] ?? null,
    tls_session: st[${JSON.stringify(SERVER_TIMING_TLS)}] ?? null,
  };
})`;

/**
 * Fetches every url at once from the page and waits for all the bodies: the page time is from the first
 * request to the last body, as the harness times its own page. An expression for page.evaluate.
 */
export function flatLoadScript(urls: readonly string[], timeout_ms: number): string {
  return `(async () => {
  const collect = ${COLLECT_JS};
  performance.clearResourceTimings();
  const signal = AbortSignal.timeout(${timeout_ms});
  const t0 = performance.now();
  const results = await Promise.allSettled(${JSON.stringify(urls)}.map(async (u) => {
    const r = await fetch(u, { signal, cache: 'no-store' });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error('status ' + r.status + ' for ' + u);
  }));
  const page_ms = performance.now() - t0;
  // Resource Timing entries are added on their own path after the bodies: wait for them, briefly.
  for (let i = 0; i < 100 && performance.getEntriesByType('resource').length < ${urls.length}; i++)
    await new Promise((r) => setTimeout(r, 10));
  const resources = collect(performance.getEntriesByType('resource'));
  const failed = results.filter((r) => r.status === 'rejected');
  const missing = Math.max(0, ${urls.length} - resources.length);
  const errors = failed.length + (failed.length ? 0 : missing);
  return {
    page_ms,
    resources,
    errors,
    error: failed.length
      ? String(failed[0].reason && failed[0].reason.message || failed[0].reason)
      : missing ? missing + ' of ${urls.length} responses without a Resource Timing entry' : null,
  };
})()`;
}

/**
 * After a navigation to a generated document: the page time (navigation start to the load event) and the
 * document and its stylesheets as resources (the document first). An expression for page.evaluate.
 */
export function documentTimingsScript(expected_resources: number): string {
  return `(() => {
  const collect = ${COLLECT_JS};
  const nav = performance.getEntriesByType('navigation')[0];
  const subs = performance.getEntriesByType('resource').filter((e) => e.name.includes('/bytes/'));
  const resources = collect([nav, ...subs]);
  const bad = resources.filter((r) => r.status !== 0 && r.status !== 200);
  const missing = Math.max(0, ${expected_resources} - resources.length);
  const errors = bad.length + missing;
  return {
    page_ms: nav.loadEventStart,
    resources,
    errors,
    error: errors === 0 ? null : missing ? missing + ' of ${expected_resources} resources not loaded' : 'status ' + bad[0].status + ' for ' + bad[0].name,
  };
})()`;
}
