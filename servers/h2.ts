/** HTTP/2 server (node:http2): h2c with prior knowledge, or h2 over TLS with ALPN. Run as a child process. */
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { parseRoute, writePayload } from './routes.ts';
import {
  ServerCounters,
  certFor,
  closeEveryResponse,
  parseServerConfig,
  reportStartupFailure,
  serveAsChild,
} from './process.ts';
import { ConnectionIds } from './conn-ids.ts';

async function main(): Promise<void> {
  const config = parseServerConfig(process.argv);
  const cert = await certFor(config);
  const counters = new ServerCounters();
  const ids = new ConnectionIds();
  const sessions = new Set<http2.Http2Session>();
  const closeAlways = closeEveryResponse();

  const settings: http2.Settings = { maxConcurrentStreams: config.max_concurrent_streams };
  const server = cert
    ? http2.createSecureServer({
        cert: cert.cert_pem,
        key: cert.key_pem,
        minVersion: config.tls_min_version,
        maxVersion: config.tls_max_version,
        ALPNProtocols: ['h2'],
        allowHTTP1: false,
        settings,
      })
    : http2.createServer({ settings });

  server.on('connection', (socket: Socket) => counters.trackSocket(socket));
  server.on('session', (session: http2.ServerHttp2Session) => {
    counters.sessions_accepted++;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (config.keep_alive_timeout_ms !== null) {
      session.setTimeout(config.keep_alive_timeout_ms, () => session.close());
    }
  });

  server.on('stream', (stream, headers) => {
    const route = parseRoute(String(headers[':path'] ?? '/'), config.limits);
    const conn = ids.next(stream.session ?? stream);
    if (route.kind === 'error') {
      stream.respond({ ':status': route.status, 'content-type': 'text/plain' });
      stream.end(`${route.message}\n`);
      counters.requests_served++;
      return;
    }
    const respond = (): void => {
      if (stream.destroyed || stream.closed) return;
      stream.respond({
        ':status': 200,
        'content-type': 'application/octet-stream',
        'content-length': route.size_bytes,
        'x-kab-conn': conn.conn_id,
        'x-kab-conn-seq': conn.seq,
      });
      counters.requests_served++;
      writePayload(stream, route.size_bytes);
    };
    stream.on('error', () => undefined);
    // stream.session is gone once the stream has closed: hold the session now.
    const session = stream.session;
    if (closeAlways) stream.once('close', () => session?.close());
    if (route.delay_ms > 0) setTimeout(respond, route.delay_ms);
    else respond();
  });

  await serveAsChild(config, server, counters, cert, () => {
    for (const s of sessions) s.destroy();
  });
}

main().catch(reportStartupFailure);
