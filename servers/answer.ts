/** What a harness server sends for a parsed route: status, headers and body (payload bytes or a document). */
import type { Route } from './routes.ts';
import { pageHtml, webHeaders } from './web-page.ts';

export type Answer =
  | { status: 200; headers: Record<string, string | number>; body: { size_bytes: number } | Buffer; delay_ms: number }
  | { status: 400 | 404; headers: Record<string, string>; body: Buffer; delay_ms: 0 };

function errorAnswer(status: 400 | 404, message: string): Answer {
  return { status, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`${message}\n`), delay_ms: 0 };
}

/**
 * The answer to a route on connection `conn_id` (the n-th request on it: `conn_seq`); `tls_resumed` is null on
 * cleartext. Headers the protocol decides (Connection: close) are the server's to add.
 */
export function answerOf(route: Route, conn_id: string, conn_seq: number, tls_resumed: boolean | null): Answer {
  const ids = { 'x-kab-conn': conn_id, 'x-kab-conn-seq': conn_seq };
  switch (route.kind) {
    case 'error':
      return errorAnswer(route.status, route.message);
    case 'bytes':
      return {
        status: 200,
        headers: {
          ...(route.web
            ? webHeaders('text/css', conn_id, tls_resumed)
            : { 'content-type': 'application/octet-stream' }),
          'content-length': route.size_bytes,
          ...ids,
        },
        body: { size_bytes: route.size_bytes },
        delay_ms: route.delay_ms,
      };
    case 'page': {
      const html = pageHtml(route);
      if (html === null)
        return errorAnswer(
          400,
          `a page of ${route.doc_bytes} bytes cannot hold the markup of ${route.subs} stylesheets`,
        );
      return {
        status: 200,
        headers: {
          ...webHeaders('text/html; charset=utf-8', conn_id, tls_resumed),
          'content-length': html.length,
          ...ids,
        },
        body: html,
        delay_ms: 0,
      };
    }
  }
}

/** Whether a route asks the server to close the connection after answering (HTTP/1.1 `Connection: close`). */
export function closesAfter(route: Route): boolean {
  return route.kind !== 'error' && route.close;
}
