/** HTTP/2 server (node:http2): h2c with prior knowledge, or h2 over TLS with ALPN. Run as a child process. */
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { parseRoute, writePayload } from './routes.ts';
import { answerOf } from './answer.ts';
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
    const socket = stream.session?.socket;
    const tls_resumed = socket instanceof TLSSocket ? socket.isSessionReused() : null;
    const answer = answerOf(route, conn.conn_id, conn.seq, tls_resumed);
    const respond = (): void => {
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ':status': answer.status, ...answer.headers });
      counters.requests_served++;
      if (Buffer.isBuffer(answer.body)) stream.end(answer.body);
      else writePayload(stream, answer.body.size_bytes);
    };
    stream.on('error', () => undefined);
    // stream.session is gone once the stream has closed: hold the session now.
    const session = stream.session;
    if (closeAlways && answer.status === 200) stream.once('close', () => session?.close());
    if (answer.delay_ms > 0) setTimeout(respond, answer.delay_ms);
    else respond();
  });

  await serveAsChild(
    config,
    server,
    counters,
    cert,
    () => {
      for (const s of sessions) s.destroy();
    },
    // GOAWAY on every session; one with streams in flight closes once they end.
    () => {
      for (const s of sessions) s.close();
    },
  );
}

main().catch(reportStartupFailure);
