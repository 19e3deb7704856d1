/**
 * C7 over HTTP/2: one session, one request, then watch for the server ending the idle session — its GOAWAY, or
 * its FIN without one. The time from the end of the response to whichever comes first is the idle close.
 */
import http2 from 'node:http2';
import { roundUs } from './clock.ts';
import { emptyIdleCloseResult, type IdleCloseRequest, type IdleCloseResult } from './idle-close-probe.ts';

export function h2IdleCloseProbe(q: IdleCloseRequest): Promise<IdleCloseResult> {
  return new Promise((resolve) => {
    const out = emptyIdleCloseResult();
    const scheme = q.tls ? 'https' : 'http';
    const session = http2.connect(
      `${scheme}://${q.target.host}:${q.target.port}`,
      q.tls
        ? {
            ca: q.tls.ca ?? undefined,
            servername: q.tls.servername,
            minVersion: q.tls.min_version,
            maxVersion: q.tls.max_version,
            ALPNProtocols: ['h2'],
          }
        : {},
    );
    let tResponse: number | null = null;
    let done = false;
    let waitTimer: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => finish('bound'), q.wait_ms + 15_000);
    const finish = (err: string | null): void => {
      if (done) return;
      done = true;
      if (err !== null && out.error === null) out.error = err;
      clearTimeout(bound);
      clearTimeout(waitTimer);
      session.destroy();
      resolve(out);
    };
    const closed = (): void => {
      if (tResponse === null) return finish('session closed before the response');
      out.server_close_after_ms = roundUs(performance.now() - tResponse);
      finish(null);
    };
    session.on('goaway', closed);
    session.on('close', closed);
    session.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    const req = session.request({ ':method': 'GET', ':path': q.path });
    req.on('response', (headers) => {
      out.first_status = Number(headers[':status']) || null;
    });
    req.on('data', () => undefined);
    req.on('end', () => {
      tResponse = performance.now();
      waitTimer = setTimeout(() => finish(null), q.wait_ms);
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    req.end();
  });
}
