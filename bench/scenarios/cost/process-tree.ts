/**
 * What a server's whole process tree holds, read from /proc: a user's server may be a master and its workers
 * (nginx), so its memory, FDs and CPU time are the sums over the process and every descendant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuTimeMs } from './common.ts';

export interface TreeUsage {
  pids: number;
  rss_bytes: number;
  open_fds: number;
  cpu_ms: number;
}

/** The parent pid in a /proc/<pid>/stat line (the field after the command, which may hold spaces and ')'). */
export function parentOf(stat: string): number | null {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** The pids of the tree under `root` (itself first), from a pid → parent map. */
export function treeOf(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.shift()!;
    if (out.includes(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** VmRSS of /proc/<pid>/status in bytes (0 for a kernel thread or a process gone). */
export function rssBytesOf(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function processParents(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    const ppid = stat === null ? null : parentOf(stat);
    if (ppid !== null) parents.set(Number(name), ppid);
  }
  return parents;
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** The tree's summed RSS, open FDs and CPU time now; null when the root is gone. */
export function treeUsage(root: number): TreeUsage | null {
  if (read(`/proc/${root}/stat`) === null) return null;
  const pids = treeOf(root, processParents());
  let rss_bytes = 0;
  let open_fds = 0;
  let cpu_ms = 0;
  for (const pid of pids) {
    rss_bytes += rssBytesOf(read(`/proc/${pid}/status`) ?? '');
    open_fds += fdCount(pid);
    cpu_ms += cpuTimeMs(pid) ?? 0;
  }
  return { pids: pids.length, rss_bytes, open_fds, cpu_ms };
}
