/**
 * Client-agent ops of the cost scenario (C6): a crowd of idle kept-alive connections. Each connection makes one
 * request (so the server holds a real HTTP connection or h2 session, not just an accepted socket) and then sits
 * idle until closed. Outcomes are counted per kind, so what clients see past a server's FD limit is data.
 */
import http2 from 'node:http2';
import net from 'node:net';
import type { Target } from './target.ts';
import { errorMessage } from '../../lib/errors.ts';
import { H1ResponseParser } from './h1-parser.ts';

export interface IdleOpenRequest {
  crowd_key: string;
  target: Target;
  protocol: 'h1' | 'h2';
  count: number;
  /** Connections being opened at once (bounds the SYN burst against the server's accept backlog). */
  concurrency: number;
  /** Per connection: connect + first response. */
  timeout_ms: number;
  /** The whole op. */
  total_timeout_ms: number;
  path: string;
}

export interface IdleOpenResult {
  requested: number;
  /** Connections that got their response and are open now. */
  open: number;
  /** Outcome per connection: ok, timeout, eof (closed before the answer), or an errno code. */
  outcomes: Record<string, number>;
  elapsed_ms: number;
}

export interface IdleStatusResult {
  open: number;
  /** Connections of the crowd the server (or the network) closed after they were established. */
  closed_by_peer: number;
}

export const MAX_IDLE_CONNECTIONS = 20_000;

interface Member {
  destroy(): void;
  alive: boolean;
}

/** The crowds held by one agent process, by key. */
export class IdleCrowds {
  private readonly crowds = new Map<string, { members: Member[]; closed_by_peer: number }>();

  async open(q: IdleOpenRequest): Promise<IdleOpenResult> {
    if (!(Number.isInteger(q.count) && q.count >= 0 && q.count <= MAX_IDLE_CONNECTIONS))
      throw new Error(`count must be 0..${MAX_IDLE_CONNECTIONS}`);
    const crowd = this.crowds.get(q.crowd_key) ?? { members: [], closed_by_peer: 0 };
    this.crowds.set(q.crowd_key, crowd);
    const outcomes: Record<string, number> = {};
    const t0 = performance.now();
    const deadline = t0 + q.total_timeout_ms;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < q.count && performance.now() < deadline) {
        next++;
        const { outcome, member } = await openOne(q, () => crowd.closed_by_peer++);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (member) crowd.members.push(member);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(q.concurrency, q.count)) }, worker));
    if (next < q.count) outcomes.not_attempted = q.count - next;
    return {
      requested: q.count,
      open: crowd.members.filter((m) => m.alive).length,
      outcomes,
      elapsed_ms: Math.round(performance.now() - t0),
    };
  }

  status(crowd_key: string): IdleStatusResult {
    const crowd = this.crowds.get(crowd_key);
    return { open: crowd?.members.filter((m) => m.alive).length ?? 0, closed_by_peer: crowd?.closed_by_peer ?? 0 };
  }

  close(crowd_key: string): number {
    const crowd = this.crowds.get(crowd_key);
    if (!crowd) return 0;
    this.crowds.delete(crowd_key);
    for (const m of crowd.members) m.destroy();
    return crowd.members.length;
  }

  closeAll(): void {
    for (const k of [...this.crowds.keys()]) this.close(k);
  }
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? errorMessage(e).slice(0, 40);
}

type OpenOutcome = { outcome: string; member: Member | null };

function openOne(q: IdleOpenRequest, onPeerClose: () => void): Promise<OpenOutcome> {
  return q.protocol === 'h1' ? openH1(q, onPeerClose) : openH2(q, onPeerClose);
}

/**
 * The one-shot outcome of opening a crowd member: 'ok' keeps it (alive), anything else (or the timeout) drops
 * it; `closed` reports a kept member's peer close once and settles an open still in progress as 'eof'.
 */
function memberOutcome(
  member: Member,
  timeout_ms: number,
  onPeerClose: () => void,
  resolve: (r: OpenOutcome) => void,
  hooks: { keep(): void; drop(): void },
): { finish(outcome: string): void; closed(): void } {
  let settled = false;
  const finish = (outcome: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (outcome === 'ok') {
      member.alive = true;
      hooks.keep();
      resolve({ outcome, member });
    } else {
      hooks.drop();
      resolve({ outcome, member: null });
    }
  };
  const timer = setTimeout(() => finish('timeout'), timeout_ms);
  const closed = (): void => {
    if (member.alive) {
      member.alive = false;
      onPeerClose();
    }
    finish('eof');
  };
  return { finish, closed };
}

function openH1(q: IdleOpenRequest, onPeerClose: () => void): Promise<OpenOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: q.target.host, port: q.target.port });
    const member: Member = { alive: false, destroy: () => socket.destroy() };
    let status = 0;
    const { finish, closed } = memberOutcome(member, q.timeout_ms, onPeerClose, resolve, {
      keep: () => {
        socket.removeAllListeners('data');
        socket.resume();
      },
      drop: () => socket.destroy(),
    });
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(`GET ${q.path} HTTP/1.1\r\nHost: ${q.target.host}\r\n\r\n`));
    const parser = new H1ResponseParser({
      onHead: (head) => (status = head.status),
      onBody: () => undefined,
      onComplete: () => finish(status >= 200 && status < 300 ? 'ok' : 'non_2xx'),
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch {
        finish('bad_response');
      }
    });
    socket.on('error', (e) => finish(errCode(e)));
    socket.on('close', closed);
    // Once idle, a later local destroy() must not count as a peer close.
    member.destroy = () => {
      member.alive = false;
      socket.destroy();
    };
  });
}

function openH2(q: IdleOpenRequest, onPeerClose: () => void): Promise<OpenOutcome> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${q.target.host}:${q.target.port}`);
    const member: Member = {
      alive: false,
      destroy: () => {
        member.alive = false;
        session.destroy();
      },
    };
    const { finish, closed } = memberOutcome(member, q.timeout_ms, onPeerClose, resolve, {
      keep: () => undefined,
      drop: () => session.destroy(),
    });
    session.on('error', (e) => finish(errCode(e)));
    session.on('close', closed);
    const req = session.request({ ':path': q.path });
    req.on('error', (e) => finish(errCode(e)));
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'] ?? 0)));
    req.resume();
    // No status at all: the session was closed before a response (the server dropped the connection).
    req.on('end', () => finish(status === 0 ? 'eof' : status >= 200 && status < 300 ? 'ok' : 'non_2xx'));
  });
}

type IdleOp = { id: number } & (
  | ({ op: 'idle_open' } & IdleOpenRequest)
  | { op: 'idle_status'; crowd_key: string }
  | { op: 'idle_close'; crowd_key: string }
);

export function isIdleOp(msg: { op: string }): msg is IdleOp {
  return msg.op === 'idle_open' || msg.op === 'idle_status' || msg.op === 'idle_close';
}

export async function handleIdleOp(crowds: IdleCrowds, msg: IdleOp): Promise<Record<string, unknown>> {
  switch (msg.op) {
    case 'idle_open':
      return { result: await crowds.open(msg) };
    case 'idle_status':
      return { result: crowds.status(msg.crowd_key) };
    case 'idle_close':
      return { closed: crowds.close(msg.crowd_key) };
  }
}
