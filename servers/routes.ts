/**
 * The one route set both servers answer:
 *   GET /bytes/<n>[?delay_ms=<d>][&close=1][&web=1]  → n bytes of payload after waiting d ms
 *   GET /page/<n>?subs=<k>&sub_bytes=<m>[&close=1]   → an HTML document of n bytes that loads k stylesheets
 *                                                       of m bytes each (/bytes/<m>?web=1), for a browser
 * `close=1` asks the HTTP/1.1 server to answer with `Connection: close` (server-driven close). `web=1` adds what
 * a browser needs to load and time the response (servers/web-page.ts): no caching, CORS, Timing-Allow-Origin,
 * and the server's connection id in Server-Timing.
 */
export type Route =
  | { kind: 'bytes'; size_bytes: number; delay_ms: number; close: boolean; web: boolean }
  | { kind: 'page'; doc_bytes: number; subs: number; sub_bytes: number; close: boolean }
  | { kind: 'error'; status: 400 | 404; message: string };

/** Most stylesheets a generated page may reference. */
export const MAX_PAGE_SUBS = 1000;

export const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;
export const MAX_DELAY_MS = 600_000;

export function parseRoute(
  rawPath: string,
  limits: { max_response_bytes: number; max_delay_ms: number } = {
    max_response_bytes: MAX_RESPONSE_BYTES,
    max_delay_ms: MAX_DELAY_MS,
  },
): Route {
  let url: URL;
  try {
    url = new URL(rawPath, 'http://x');
  } catch {
    // `GET //[ HTTP/1.1` once killed the server: a request target URL cannot parse is the client's error.
    return { kind: 'error', status: 400, message: 'malformed request target' };
  }
  const page = /^\/page\/(\d+)$/.exec(url.pathname);
  if (page?.[1]) return parsePageRoute(Number(page[1]), url.searchParams, limits.max_response_bytes);
  const m = /^\/bytes\/(\d+)$/.exec(url.pathname);
  if (!m?.[1])
    return { kind: 'error', status: 404, message: `no route for ${url.pathname}; use /bytes/<n> or /page/<n>` };
  const size_bytes = Number(m[1]);
  if (!Number.isSafeInteger(size_bytes) || size_bytes > limits.max_response_bytes) {
    return { kind: 'error', status: 400, message: `size must be ≤ ${limits.max_response_bytes} bytes` };
  }
  const delayRaw = url.searchParams.get('delay_ms');
  const delay_ms = delayRaw === null ? 0 : Number(delayRaw);
  if (!Number.isFinite(delay_ms) || delay_ms < 0 || delay_ms > limits.max_delay_ms) {
    return { kind: 'error', status: 400, message: `delay_ms must be a number between 0 and ${limits.max_delay_ms}` };
  }
  return {
    kind: 'bytes',
    size_bytes,
    delay_ms,
    close: url.searchParams.get('close') === '1',
    web: url.searchParams.get('web') === '1',
  };
}

function parsePageRoute(doc_bytes: number, query: URLSearchParams, max_bytes: number): Route {
  const subs = Number(query.get('subs') ?? 0);
  const sub_bytes = Number(query.get('sub_bytes') ?? 0);
  if (
    !Number.isSafeInteger(doc_bytes) ||
    doc_bytes > max_bytes ||
    !Number.isSafeInteger(sub_bytes) ||
    sub_bytes > max_bytes
  )
    return { kind: 'error', status: 400, message: `page and stylesheet sizes must be ≤ ${max_bytes} bytes` };
  if (!Number.isSafeInteger(subs) || subs < 0 || subs > MAX_PAGE_SUBS)
    return { kind: 'error', status: 400, message: `subs must be a whole number between 0 and ${MAX_PAGE_SUBS}` };
  return { kind: 'page', doc_bytes, subs, sub_bytes, close: query.get('close') === '1' };
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** Payload chunks for a response of size_bytes (views of one shared buffer: no per-request allocation). */
export function* payloadChunks(size_bytes: number): Generator<Buffer> {
  let left = size_bytes;
  while (left > 0) {
    const n = Math.min(left, CHUNK.length);
    yield CHUNK.subarray(0, n);
    left -= n;
  }
}

/** Writes size_bytes to a writable, honouring backpressure, then ends it. */
export function writePayload(
  out: { write(chunk: Buffer): boolean; end(): void; once(ev: 'drain', cb: () => void): unknown; destroyed?: boolean },
  size_bytes: number,
): void {
  const chunks = payloadChunks(size_bytes);
  const pump = (): void => {
    for (;;) {
      if (out.destroyed) return;
      const next = chunks.next();
      if (next.done) {
        out.end();
        return;
      }
      if (!out.write(next.value)) {
        out.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
