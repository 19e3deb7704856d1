/**
 * Shared pieces of the cost scenario (C6, C11): the cost.csv columns, and readings of the kernel and of processes
 * (CPU time from /proc/<pid>/stat, /proc/net/sockstat and TIME_WAIT counts inside a namespace).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { inNetns } from '../../../lib/exec.ts';
import type { ScenarioContext } from '../types.ts';
import { COST_COLUMNS } from './definition.ts';

export type CostColumn = (typeof COST_COLUMNS)[number];
export type CostPart = 'idle' | 'fdlimit' | 'churn' | 'ports' | 'limits' | 'env';
export type CostTags = Partial<
  Record<
    Exclude<CostColumn, 'run_id' | 'profile' | 'congestion_control' | 'metric' | 'value' | 'unit' | 'detail'>,
    string | number | boolean | null
  >
>;

/** Writes one metric row per call, with the case's tags and the run/profile tags filled in. */
export function costWriter(
  ctx: ScenarioContext,
): (
  tags: CostTags & { part: CostPart; case_key: string },
  metric: string,
  value: number | null,
  unit: string,
  detail?: string,
) => void {
  const out = ctx.csv('cost', COST_COLUMNS);
  return (tags, metric, value, unit, detail) =>
    out.append({
      run_id: ctx.runId,
      profile: ctx.profile.name,
      congestion_control: ctx.congestion_control,
      protocol: null,
      connections: null,
      keep_alive: null,
      rate_rps: null,
      port_range: null,
      max_requests_per_socket: null,
      keep_alive_timeout_ms: null,
      nofile_limit: null,
      rep: null,
      ...tags,
      metric,
      value: value === null || !Number.isFinite(value) ? null : Math.round(value * 1000) / 1000,
      unit,
      detail: detail ?? null,
    });
}

/**
 * The server namespace's kernel figures of an idle crowd: sockets in use and socket memory (ss -tm skmem) per
 * connection, divided by `open` (the connections the crowd held when read).
 */
export function writeKernelSocketFigures(
  write: ReturnType<typeof costWriter>,
  tags: Parameters<ReturnType<typeof costWriter>>[0],
  r: { open: number; sockBefore: SockStat; sockAfter: SockStat; memBefore: SocketMemory; memAfter: SocketMemory },
): void {
  const per = (d: number): number | null => (r.open > 0 ? d / r.open : null);
  write(tags, 'tcp_inuse_per_conn', per(r.sockAfter.tcp_inuse - r.sockBefore.tcp_inuse), 'sockets');
  write(
    tags,
    'server_sock_alloc_bytes',
    r.memAfter.alloc_bytes,
    'bytes',
    'ss -tm skmem r+t+f+w+o+bl, server namespace',
  );
  write(
    tags,
    'sock_mem_per_conn_bytes',
    per(r.memAfter.alloc_bytes - r.memBefore.alloc_bytes),
    'bytes',
    'ss -tm skmem, server namespace',
  );
}

const CLK_TCK = 100;

/**
 * CPU time of a process in ms (null when it is gone): the sum over its threads of the nanosecond run time in
 * /proc/<pid>/task/<tid>/schedstat, else utime + stime of /proc/<pid>/stat. The latter counts 10 ms clock ticks:
 * over a 1 s run at 100 rps that is a 100 µs step per request against a cost of 300–1600 µs, coarse enough to
 * leave a keep-alive-vs-not CPU ratio undecided (C11). A thread that exits between two readings takes its time
 * with it from the sum; a delta of those readings that goes negative is no measurement (cpuDeltaMs).
 */
export function cpuTimeMs(pid: number): number | null {
  return schedstatCpuMs(pid) ?? statCpuMs(pid);
}

/** b − a of two cpuTimeMs readings; null when either is missing or the sum went backwards (a thread exited). */
export function cpuDeltaMs(a: number | null, b: number | null): number | null {
  return a === null || b === null || b < a ? null : b - a;
}

function schedstatCpuMs(pid: number): number | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      const first = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (!Number.isFinite(first)) return null;
      ns += first;
    } catch {
      // A thread that exited since the listing: its time is gone either way.
    }
  }
  // All zeros: the kernel keeps no schedstat run times (sched_info off): fall back to the clock ticks.
  return tids.length > 0 && ns > 0 ? ns / 1e6 : null;
}

function statCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / CLK_TCK : null;
  } catch {
    return null;
  }
}

export interface SockStat {
  tcp_inuse: number;
  tcp_orphan: number;
  tcp_tw: number;
  tcp_alloc: number;
  /** Host-wide TCP memory (pages are counted globally, not per namespace). */
  tcp_mem_pages: number;
}

export function parseSockstat(text: string): SockStat {
  const m = /^TCP:\s+inuse (\d+) orphan (\d+) tw (\d+) alloc (\d+) mem (\d+)/m.exec(text);
  if (!m) throw new Error(`unexpected /proc/net/sockstat: ${text.slice(0, 80)}`);
  return {
    tcp_inuse: Number(m[1]),
    tcp_orphan: Number(m[2]),
    tcp_tw: Number(m[3]),
    tcp_alloc: Number(m[4]),
    tcp_mem_pages: Number(m[5]),
  };
}

export async function readSockstat(ns: string | null): Promise<SockStat> {
  const argv = inNetns(ns, ['cat', '/proc/net/sockstat']);
  const r = await execa(argv[0] ?? 'cat', argv.slice(1), { stdin: 'ignore' });
  return parseSockstat(String(r.stdout));
}

export interface SocketMemory {
  sockets: number;
  /** Sum over TCP sockets of what the kernel has allocated: rmem + wmem + forward alloc + queued + opt + backlog. */
  alloc_bytes: number;
}

/** Kernel memory held by the TCP sockets of ns (ss -tm skmem), per namespace unlike sockstat's `mem`. */
export async function readSocketMemory(ns: string | null): Promise<SocketMemory> {
  const argv = inNetns(ns, ['ss', '-tmnH']);
  const r = await execa(argv[0] ?? 'ss', argv.slice(1), { stdin: 'ignore', maxBuffer: 64 * 1024 * 1024 });
  return parseSkmem(String(r.stdout));
}

export function parseSkmem(text: string): SocketMemory {
  let sockets = 0;
  let alloc_bytes = 0;
  for (const m of text.matchAll(/skmem:\(([^)]*)\)/g)) {
    sockets++;
    const f: Record<string, number> = {};
    for (const part of (m[1] ?? '').split(',')) {
      const kv = /^([a-z]+)(\d+)$/.exec(part);
      if (kv?.[1] && kv[2]) f[kv[1]] = Number(kv[2]);
    }
    alloc_bytes += (f.r ?? 0) + (f.t ?? 0) + (f.f ?? 0) + (f.w ?? 0) + (f.o ?? 0) + (f.bl ?? 0);
  }
  return { sockets, alloc_bytes };
}

export interface SocketCounts {
  time_wait: number;
  established: number;
  /** Every TCP socket but listeners: each holds a local port (ephemeral ports on the client side). */
  total: number;
}

/** TCP sockets by state in ns (ss -tan). */
export async function readSocketCounts(ns: string | null): Promise<SocketCounts> {
  const argv = inNetns(ns, ['ss', '-tanH']);
  const r = await execa(argv[0] ?? 'ss', argv.slice(1), { stdin: 'ignore', maxBuffer: 64 * 1024 * 1024 });
  let time_wait = 0;
  let established = 0;
  let total = 0;
  for (const line of String(r.stdout).split('\n')) {
    const state = line.trim().split(/\s+/)[0];
    if (!state || state === 'LISTEN') continue;
    total++;
    if (state === 'TIME-WAIT') time_wait++;
    else if (state === 'ESTAB') established++;
  }
  return { time_wait, established, total };
}
