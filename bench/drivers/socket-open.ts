import net from 'node:net';
import tls from 'node:tls';
import { nowMs } from './clock.ts';
import type { ClientTls, ConnectTimings, Target } from './target.ts';

export interface OpenedSocket {
  socket: net.Socket;
  timings: ConnectTimings;
}

/**
 * Opens a TCP connection (and TLS on top when asked), timing the TCP handshake and the TLS handshake
 * separately. `session` resumes a TLS session; `onSession` receives new session tickets for later resumption.
 */
export function openSocket(
  target: Target,
  opts: {
    tls: ClientTls | null;
    alpn: string[];
    session?: Buffer;
    onSession?: (session: Buffer) => void;
    timeout_ms: number;
  },
): Promise<OpenedSocket> {
  return new Promise((resolve, reject) => {
    const t_start_ms = nowMs();
    let t_connected_ms = Number.NaN;
    const raw = net.connect({ host: target.host, port: target.port, noDelay: true });
    let sock: net.Socket = raw;
    let settled = false;
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      raw.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new Error(`connect timeout after ${opts.timeout_ms} ms`)), opts.timeout_ms);
    raw.once('connect', () => {
      t_connected_ms = nowMs();
      if (opts.tls === null) {
        settled = true;
        clearTimeout(timer);
        raw.removeListener('error', fail);
        resolve({
          socket: raw,
          timings: {
            t_start_ms,
            t_connected_ms,
            t_secure_ms: t_connected_ms,
            tls_version: null,
            alpn: null,
            tls_resumed: false,
          },
        });
      }
    });
    raw.once('error', fail);
    if (opts.tls !== null) {
      const secure = tls.connect({
        socket: raw,
        ca: opts.tls.ca ?? undefined,
        servername: opts.tls.servername,
        minVersion: opts.tls.min_version,
        maxVersion: opts.tls.max_version,
        ALPNProtocols: opts.alpn,
        session: opts.session,
      });
      sock = secure;
      if (opts.onSession) secure.on('session', opts.onSession);
      secure.once('error', fail);
      secure.once('secureConnect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        secure.removeListener('error', fail);
        raw.removeListener('error', fail);
        resolve({
          socket: secure,
          timings: {
            t_start_ms,
            t_connected_ms,
            t_secure_ms: nowMs(),
            tls_version: secure.getProtocol(),
            alpn: secure.alpnProtocol === false ? null : (secure.alpnProtocol ?? null),
            tls_resumed: secure.isSessionReused(),
          },
        });
      });
    }
  });
}
