/**
 * C7: what a raw client sees on a connection the server closed for idleness (raw socket, one connection, over TLS
 * where the server speaks it): when the FIN came, what the response said of keep-alive, and what a write on the
 * closed connection gets. HTTP/2 has its own probe (h2-idle-close-probe.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import { roundUs } from './clock.ts';
import type { ClientTls, Target } from './target.ts';

export interface IdleCloseRequest {
  target: Target;
  /** h1 (default): raw HTTP/1.1; h2: an HTTP/2 session, its close being the server's GOAWAY or FIN. */
  protocol?: 'h1' | 'h2';
  /** TLS to the server (null or absent: cleartext). */
  tls?: ClientTls | null;
  path: string;
  /** How long to wait for the server's FIN after the first response. */
  wait_ms: number;
  /** After the FIN (or wait_ms), write a second request on the same socket and report what happens. */
  reuse_after: boolean;
  reuse_timeout_ms: number;
  /** Send the first request with `Connection: close` (does the server honour it?). */
  connection_close?: boolean;
}

export interface IdleCloseResult {
  first_status: number | null;
  /** The first response's `Keep-Alive` and `Connection` headers, as sent (null when absent). */
  keep_alive_header: string | null;
  connection_header: string | null;
  /** Time from the end of the first response to the server's FIN; null = no FIN within wait_ms. */
  server_close_after_ms: number | null;
  /** What the second request on the closed socket got: an error code, 'eof' (no response), or 'response'. */
  reuse_outcome: string | null;
  reuse_detect_ms: number | null;
  /** SO_KEEPALIVE state of the socket while idle (Node sockets: off unless set). */
  so_keepalive: boolean;
  error: string | null;
}

/** A result with nothing seen yet. */
export function emptyIdleCloseResult(): IdleCloseResult {
  return {
    first_status: null,
    keep_alive_header: null,
    connection_header: null,
    server_close_after_ms: null,
    reuse_outcome: null,
    reuse_detect_ms: null,
    so_keepalive: false,
    error: null,
  };
}

function connect(q: IdleCloseRequest): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (!q.tls) return { socket: net.connect(q.target.port, q.target.host), ready: 'connect' };
  const socket = tls.connect({
    host: q.target.host,
    port: q.target.port,
    ca: q.tls.ca ?? undefined,
    servername: q.tls.servername,
    minVersion: q.tls.min_version,
    maxVersion: q.tls.max_version,
    ALPNProtocols: ['http/1.1'],
  });
  return { socket, ready: 'secureConnect' };
}

/** The HTTP/1.1 probe (the lifecycle agent sends `protocol: 'h2'` requests to h2-idle-close-probe.ts). */
export function idleCloseProbe(q: IdleCloseRequest): Promise<IdleCloseResult> {
  return new Promise((resolve) => {
    const out = emptyIdleCloseResult();
    const { socket, ready } = connect(q);
    let buf = '';
    let tResponse: number | null = null;
    let phase: 'first' | 'idle' | 'reuse' | 'done' = 'first';
    let tReuse = 0;
    let waitTimer: NodeJS.Timeout | undefined;
    let againTimer: NodeJS.Timeout | undefined;
    const bound = setTimeout(() => finish('bound'), q.wait_ms + q.reuse_timeout_ms + 5_000);
    const finish = (err: string | null): void => {
      if (phase === 'done') return;
      if (phase === 'reuse' && out.reuse_outcome === null) {
        out.reuse_outcome = err ?? 'eof';
        out.reuse_detect_ms = roundUs(performance.now() - tReuse);
      } else if (err !== null && out.error === null && phase !== 'reuse') out.error = err;
      phase = 'done';
      clearTimeout(bound);
      clearTimeout(waitTimer);
      clearInterval(againTimer);
      socket.destroy();
      resolve(out);
    };
    const reuse = (): void => {
      if (!q.reuse_after) return finish(null);
      phase = 'reuse';
      tReuse = performance.now();
      const write = (): void => {
        if (phase !== 'reuse') return;
        socket.write(`GET ${q.path} HTTP/1.1\r\nHost: x\r\n\r\n`, (e) => {
          if (e) finish((e as NodeJS.ErrnoException).code ?? e.message);
        });
      };
      write();
      // The peer's RST to the first write is only reported on a later write (reading stopped at the FIN).
      againTimer = setInterval(write, 250);
      setTimeout(() => finish('timeout'), q.reuse_timeout_ms);
    };
    socket.setEncoding('latin1');
    const close = q.connection_close === true ? 'Connection: close\r\n' : '';
    socket.on(ready, () => socket.write(`GET ${q.path} HTTP/1.1\r\nHost: x\r\n${close}\r\n`));
    socket.on('data', (d: string) => {
      if (phase === 'reuse') {
        out.reuse_outcome = 'response';
        out.reuse_detect_ms = roundUs(performance.now() - tReuse);
        return finish(null);
      }
      buf += d;
      const end = buf.indexOf('\r\n\r\n');
      if (phase !== 'first' || end < 0) return;
      const head = buf.slice(0, end);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const length = Number(headerOf(head, 'content-length') ?? Number.NaN);
      // Only a response with a Content-Length can be told complete without the server closing.
      if (!status || !Number.isInteger(length)) return finish('response without Content-Length');
      if (buf.length >= end + 4 + length) {
        out.first_status = Number(status[1]);
        out.keep_alive_header = headerOf(head, 'keep-alive');
        out.connection_header = headerOf(head, 'connection');
        tResponse = performance.now();
        phase = 'idle';
        waitTimer = setTimeout(reuse, q.wait_ms);
      }
    });
    // With allowHalfOpen false Node would end our side at once; keep it open so the reuse write goes out.
    (socket as unknown as { allowHalfOpen: boolean }).allowHalfOpen = true;
    socket.on('end', () => {
      if (phase === 'idle' && tResponse !== null) {
        out.server_close_after_ms = roundUs(performance.now() - tResponse);
        clearTimeout(waitTimer);
        reuse();
      } else if (phase === 'reuse') finish('eof');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  });
}

/** A header's value in a response head (case-insensitive name), or null. */
export function headerOf(head: string, name: string): string | null {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return null;
}
