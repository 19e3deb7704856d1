/** What the head-of-line parts of the hol scenario share: the transport modes and how a batch becomes rows. */
import { readFileSync } from 'node:fs';
import type { BatchItemResult, BatchResult } from '../../drivers/batch.ts';
import { ServerLacks } from '../../../servers/under-test.ts';
import type { RunningServer, ScenarioContext } from '../types.ts';

export type HolModeName = 'h1_serial' | 'h1_pipelined' | 'h1_6conn' | 'h2_streams';

export interface HolMode {
  mode: HolModeName;
  protocol: 'h1' | 'h2';
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
}

/** The four ways to send a batch of `batch_size` requests (issue 8). */
export function holMode(mode: HolModeName, batch_size: number): HolMode {
  switch (mode) {
    case 'h1_serial':
      return { mode, protocol: 'h1', connections: 1, depth: 1 };
    case 'h1_pipelined':
      return { mode, protocol: 'h1', connections: 1, depth: batch_size };
    case 'h1_6conn':
      // A browser's default per-origin limit.
      return { mode, protocol: 'h1', connections: 6, depth: 1 };
    case 'h2_streams':
      return { mode, protocol: 'h2', connections: 1, depth: batch_size };
  }
}

/** The servers the scenario measures, one per protocol the server under test speaks (the harness's: both). */
export type HolServers = Partial<Record<'h1' | 'h2', RunningServer>>;

/** Starts one server per protocol it can have (cleartext where it can, else TLS); none at all is ServerLacks. */
export async function startHolServers(ctx: ScenarioContext): Promise<HolServers> {
  const out: HolServers = {};
  for (const protocol of ['h1', 'h2'] as const) {
    const tls = [false, true].find((t) => ctx.serves?.({ protocol, tls: t }) ?? !t);
    if (tls === undefined) continue;
    // h2 allows more concurrent streams than a page has requests.
    out[protocol] = await ctx.startServer(
      protocol === 'h2' ? { protocol, tls, max_concurrent_streams: 100 } : { protocol, tls },
    );
  }
  if (out.h1 === undefined && out.h2 === undefined) throw new ServerLacks('HTTP/1.1 or HTTP/2');
  const lacking = (['h1', 'h2'] as const).filter((p) => out[p] === undefined);
  for (const p of lacking)
    ctx.skipPart(
      `${p} modes`,
      `the server under test speaks only ${p === 'h1' ? 'HTTP/2' : 'HTTP/1.1'} (--protocol), so the ${p === 'h1' ? 'HTTP/1.1' : 'HTTP/2'} cases are left out`,
    );
  return out;
}

/** The modes whose protocol the servers speak. */
export function modesServed<M extends { protocol: 'h1' | 'h2' }>(modes: readonly M[], servers: HolServers): M[] {
  return modes.filter((m) => servers[m.protocol] !== undefined);
}

/** Any one of the servers (they share routes and, for a user's server, a process). */
export function anyServer(servers: HolServers): RunningServer {
  const s = servers.h1 ?? servers.h2;
  if (s === undefined) throw new ServerLacks('HTTP/1.1 or HTTP/2');
  return s;
}

/** Rotates a list by `by` places, so no case always follows the same neighbour. */
export function rotate<T>(xs: readonly T[], by: number): T[] {
  if (xs.length === 0) return [];
  const k = ((by % xs.length) + xs.length) % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/** Retransmitted TCP segments of a process's network namespace (RetransSegs of /proc/<pid>/net/snmp); null if unreadable. */
export function retransSegs(pid: number): number | null {
  try {
    const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Tcp:'));
    const [head, vals] = lines;
    if (!head || !vals) return null;
    const i = head.trim().split(/\s+/).indexOf('RetransSegs');
    const v = Number(vals.trim().split(/\s+/)[i]);
    return i > 0 && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export function diff(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : b - a;
}

/** One samples.csv row per request of a batch. `total_ms`/`ttfb_ms` are from the request's own write. */
export function recordBatch(
  ctx: ScenarioContext,
  args: {
    case_key: (item: BatchItemResult) => string;
    variant: (item: BatchItemResult) => string;
    mode: HolMode;
    fresh: boolean;
    batch: BatchResult;
    batch_id: string;
    rep: number;
    warmup: boolean;
    size_bytes: (item: BatchItemResult) => number;
    server_delay_ms: (item: BatchItemResult) => number | null;
    blocked_ms: (item: BatchItemResult) => number | null;
  },
): void {
  const { batch, mode } = args;
  for (const it of batch.items) {
    const fromWrite = (t: number | null): number | null =>
      t === null || it.write_ms === null ? null : Math.round((t - it.write_ms) * 1000) / 1000;
    ctx.record({
      scenario: 'hol',
      case_key: args.case_key(it),
      protocol: mode.protocol,
      security: 'none',
      conn_mode: args.fresh ? 'new' : 'reused',
      size_bytes: args.size_bytes(it),
      variant: args.variant(it),
      server_delay_ms: args.server_delay_ms(it),
      batch_id: args.batch_id,
      batch_pos: it.pos,
      batch_size: batch.items.length,
      connections: mode.connections,
      pipeline_depth: mode.protocol === 'h1' ? mode.depth : null,
      blocked_ms: args.blocked_ms(it),
      rep: args.rep,
      warmup: args.warmup,
      conn_id: it.conn_id,
      conn_seq: it.conn_seq,
      new_connection: args.fresh && it.conn_seq === 1,
      connect_ms: args.fresh && it.conn_seq === 1 ? (batch.connect_ms[it.conn_index] ?? null) : 0,
      ttfb_ms: fromWrite(it.first_byte_ms),
      total_ms: fromWrite(it.done_ms),
      status: it.status,
      body_bytes: it.body_bytes,
      server_conn_id: it.server_conn_id,
      error: it.error,
      started_at: batch.started_at,
    });
  }
}
