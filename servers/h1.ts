/** HTTP/1.1 server (node:http, or node:https with TLS), run as a child process of the harness. */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { parseRoute, writePayload } from './routes.ts';
import { answerOf, closesAfter } from './answer.ts';
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
  const sockets = new Set<Socket>();
  const closeAlways = closeEveryResponse();

  const handler: http.RequestListener = (req, res) => {
    const route = parseRoute(req.url ?? '/', config.limits);
    const conn = ids.next(req.socket);
    const tls_resumed = req.socket instanceof TLSSocket ? req.socket.isSessionReused() : null;
    const answer = answerOf(route, conn.conn_id, conn.seq, tls_resumed);
    const respond = (): void => {
      if (res.destroyed) return;
      const headers: http.OutgoingHttpHeaders = { ...answer.headers };
      if (answer.status === 200 && (closesAfter(route) || closeAlways)) headers.connection = 'close';
      res.writeHead(answer.status, headers);
      counters.requests_served++;
      if (Buffer.isBuffer(answer.body)) res.end(answer.body);
      else writePayload(res, answer.body.size_bytes);
    };
    // Drain the request body (GETs have none) before answering, as a real server would.
    req.resume();
    if (answer.delay_ms > 0) setTimeout(respond, answer.delay_ms);
    else respond();
  };

  const server = cert
    ? https.createServer(
        {
          cert: cert.cert_pem,
          key: cert.key_pem,
          minVersion: config.tls_min_version,
          maxVersion: config.tls_max_version,
          ALPNProtocols: ['http/1.1'],
        },
        handler,
      )
    : http.createServer(handler);

  if (config.keep_alive_timeout_ms !== null) server.keepAliveTimeout = config.keep_alive_timeout_ms;
  if (config.headers_timeout_ms !== null) server.headersTimeout = config.headers_timeout_ms;
  server.maxRequestsPerSocket = config.max_requests_per_socket;
  server.on('connection', (socket: Socket) => {
    counters.trackSocket(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await serveAsChild(
    config,
    server,
    counters,
    cert,
    () => {
      for (const s of sockets) s.destroy();
    },
    () => server.closeIdleConnections(),
  );
}

main().catch(reportStartupFailure);
