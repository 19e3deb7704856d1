/**
 * What the harness's servers send a browser (routes `/page/<n>` and `/bytes/<n>?web=1`): a generated HTML
 * document that references its stylesheets, and the headers that let the browser load and time each response —
 * never cached, readable cross-origin, with Resource Timing's details (Timing-Allow-Origin) and, in
 * Server-Timing, which server connection answered and whether its TLS session was resumed: Resource Timing
 * cannot tell connections apart, the server can.
 */
import type { Route } from './routes.ts';

type PageRoute = Extract<Route, { kind: 'page' }>;

/** The stylesheet paths a page references, in document order. */
export function pageSubPaths(route: Pick<PageRoute, 'subs' | 'sub_bytes' | 'close'>): string[] {
  return Array.from(
    { length: route.subs },
    (_, i) => `/bytes/${route.sub_bytes}?web=1&i=${i + 1}${route.close ? '&close=1' : ''}`,
  );
}

/** The document, exactly doc_bytes long (padded with a comment); null when its markup alone is longer. */
export function pageHtml(route: PageRoute): Buffer | null {
  const links = pageSubPaths(route)
    .map((p) => `<link rel="stylesheet" href="${p.replace(/&/g, '&amp;')}">`)
    .join('\n');
  const head = `<!doctype html>\n<html><head><meta charset="utf-8"><title>keepalive-bench page</title>\n${links}\n</head><body><p>${route.subs} stylesheets of ${route.sub_bytes} bytes</p><!--`;
  const tail = '--></body></html>\n';
  const pad = route.doc_bytes - Buffer.byteLength(head) - Buffer.byteLength(tail);
  if (pad < 0) return null;
  return Buffer.concat([Buffer.from(head), Buffer.alloc(pad, 'x'), Buffer.from(tail)]);
}

/** Server-Timing metric names the browser scenario reads back. */
export const SERVER_TIMING_CONN = 'kab-conn';
export const SERVER_TIMING_TLS = 'kab-tls';

/** Headers of a response meant for a browser; `tls_resumed` null on cleartext. */
export function webHeaders(content_type: string, conn_id: string, tls_resumed: boolean | null): Record<string, string> {
  const timing = [`${SERVER_TIMING_CONN};desc="${conn_id}"`];
  if (tls_resumed !== null) timing.push(`${SERVER_TIMING_TLS};desc="${tls_resumed ? 'resumed' : 'full'}"`);
  return {
    'content-type': content_type,
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
    'timing-allow-origin': '*',
    'server-timing': timing.join(', '),
  };
}
