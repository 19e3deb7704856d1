/**
 * The one route set both servers answer:
 *   GET /bytes/<n>[?delay_ms=<d>][&close=1]  → n bytes of payload after waiting d ms
 * `close=1` asks the HTTP/1.1 server to answer with `Connection: close` (server-driven close).
 */
export type Route =
  | { kind: 'bytes'; size_bytes: number; delay_ms: number; close: boolean }
  | { kind: 'error'; status: 400 | 404; message: string };

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
  const m = /^\/bytes\/(\d+)$/.exec(url.pathname);
  if (!m?.[1]) return { kind: 'error', status: 404, message: `no route for ${url.pathname}; use /bytes/<n>` };
  const size_bytes = Number(m[1]);
  if (!Number.isSafeInteger(size_bytes) || size_bytes > limits.max_response_bytes) {
    return { kind: 'error', status: 400, message: `size must be ≤ ${limits.max_response_bytes} bytes` };
  }
  const delayRaw = url.searchParams.get('delay_ms');
  const delay_ms = delayRaw === null ? 0 : Number(delayRaw);
  if (!Number.isFinite(delay_ms) || delay_ms < 0 || delay_ms > limits.max_delay_ms) {
    return { kind: 'error', status: 400, message: `delay_ms must be a number between 0 and ${limits.max_delay_ms}` };
  }
  return { kind: 'bytes', size_bytes, delay_ms, close: url.searchParams.get('close') === '1' };
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
