/** C7: what a raw client sees on a connection the server closed for idleness (raw socket, one connection). */
import net from 'node:net';
import { roundUs } from './clock.ts';
import type { Target } from './target.ts';

export interface IdleCloseRequest {
  target: Target;
  path: string;
  /** How long to wait for the server's FIN after the first response. */
  wait_ms: number;
  /** After the FIN (or wait_ms), write a second request on the same socket and report what happens. */
  reuse_after: boolean;
  reuse_timeout_ms: number;
}

export interface IdleCloseResult {
  first_status: number | null;
  /** Time from the end of the first response to the server's FIN; null = no FIN within wait_ms. */
  server_close_after_ms: number | null;
  /** What the second request on the closed socket got: an error code, 'eof' (no response), or 'response'. */
  reuse_outcome: string | null;
  reuse_detect_ms: number | null;
  /** SO_KEEPALIVE state of the socket while idle (Node sockets: off unless set). */
  so_keepalive: boolean;
  error: string | null;
}

export function idleCloseProbe(q: IdleCloseRequest): Promise<IdleCloseResult> {
  return new Promise((resolve) => {
    const out: IdleCloseResult = {
      first_status: null,
      server_close_after_ms: null,
      reuse_outcome: null,
      reuse_detect_ms: null,
      so_keepalive: false,
      error: null,
    };
    const socket = net.connect(q.target.port, q.target.host);
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
    socket.on('connect', () => socket.write(`GET ${q.path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    socket.on('data', (d: string) => {
      if (phase === 'reuse') {
        out.reuse_outcome = 'response';
        out.reuse_detect_ms = roundUs(performance.now() - tReuse);
        return finish(null);
      }
      buf += d;
      const m = /^HTTP\/1\.1 (\d+)[^]*?\r\ncontent-length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(buf);
      if (m && phase === 'first' && buf.length >= (m[0]?.length ?? 0) + Number(m[2])) {
        out.first_status = Number(m[1]);
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
