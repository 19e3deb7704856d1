/**
 * `--allow-host-cc cubic`: the one host setting the harness may change, and only when asked. A namespace can
 * only pick a congestion control from the host-wide net.ipv4.tcp_allowed_congestion_control, so running a
 * case on one that is available but not allowed means extending that list in the root namespace for the run.
 *
 * State in HOST_RECORD_DIR: `original.json` holds the host's list from before the first run that extended it,
 * and one `<run>.json` per run names what that run needs. A run's exit (teardown; `npm run clean` or the next
 * run after a SIGKILL) takes out of the host list every name that was not in the original and that no other
 * recorded run still needs; the last one out removes original.json. Every read-modify-write holds a lock
 * file, so concurrent runs cannot undo each other. Records are written before the host is changed.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  mkdirSync,
  readdirSync,
} from 'node:fs';
import { UserError } from '../lib/errors.ts';
import { RECORD_DIR, processStartTicks } from './topology.ts';

export const ALLOWED_CC_PATH = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';
export const AVAILABLE_CC_PATH = '/proc/sys/net/ipv4/tcp_available_congestion_control';
export const HOST_RECORD_DIR = `${RECORD_DIR}/host-sysctl`;
const ORIGINAL = `${HOST_RECORD_DIR}/original.json`;
const LOCK = `${HOST_RECORD_DIR}/lock`;

export interface HostCcRecord {
  pid: number;
  pid_start_ticks: number | null;
  /** The congestion controls this run needs allowed. */
  wanted: string[];
}

export interface HostCcChange {
  from: string;
  to: string;
  added: string[];
}

function splitList(s: string): string[] {
  return s.trim().split(/\s+/).filter(Boolean);
}

/** The new allowed list, or null when nothing needs adding. Pure. */
export function extendedAllowedList(
  allowed: readonly string[],
  available: readonly string[],
  wanted: readonly string[],
): { list: string[]; added: string[] } | null {
  for (const cc of wanted) {
    if (!/^[a-z0-9_]+$/.test(cc)) throw new UserError(`--allow-host-cc: not a congestion control name: "${cc}"`);
    if (!available.includes(cc)) {
      throw new UserError(
        `--allow-host-cc: "${cc}" is not available in this kernel (net.ipv4.tcp_available_congestion_control: ${available.join(' ')})`,
      );
    }
  }
  const added = wanted.filter((cc, i) => !allowed.includes(cc) && wanted.indexOf(cc) === i);
  if (added.length === 0) return null;
  return { list: [...allowed, ...added], added };
}

/** The list after a run leaves: names from the original, or still needed by another run, stay. Pure. */
export function listAfterLeaving(
  current: readonly string[],
  original: readonly string[],
  stillNeeded: ReadonlySet<string>,
): string[] {
  return current.filter((cc) => original.includes(cc) || stillNeeded.has(cc));
}

function recordPath(runId: string): string {
  return `${HOST_RECORD_DIR}/${runId}.json`;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  renameSync(tmp, path);
}

/** Runs fn holding the state lock (an O_EXCL file; a lock older than 10 s is a dead holder's and is broken). */
function withLock<T>(fn: () => T): T {
  mkdirSync(HOST_RECORD_DIR, { recursive: true });
  const until = Date.now() + 5_000;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(Date.now()));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let age_ms = 0;
      try {
        const t = Number(readFileSync(LOCK, 'utf8'));
        age_ms = t > 0 ? Date.now() - t : 0;
      } catch {
        age_ms = 0;
      }
      if (age_ms > 10_000 || Date.now() > until) rmSync(LOCK, { force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

function readRecords(): Map<string, HostCcRecord | null> {
  const out = new Map<string, HostCcRecord | null>();
  let names: string[] = [];
  try {
    names = readdirSync(HOST_RECORD_DIR);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith('.json') || name === 'original.json') continue;
    try {
      const r = JSON.parse(readFileSync(`${HOST_RECORD_DIR}/${name}`, 'utf8')) as Partial<HostCcRecord>;
      out.set(
        name.slice(0, -'.json'.length),
        typeof r.pid === 'number' && Array.isArray(r.wanted)
          ? { pid: r.pid, pid_start_ticks: r.pid_start_ticks ?? null, wanted: r.wanted }
          : null,
      );
    } catch {
      out.set(name.slice(0, -'.json'.length), null);
    }
  }
  return out;
}

/** Extends the host's allowed list for this run; returns the change made (null if none was needed). */
export async function extendHostAllowedCc(runId: string, wanted: readonly string[]): Promise<HostCcChange | null> {
  return withLock(() => {
    const allowedRaw = readFileSync(ALLOWED_CC_PATH, 'utf8').trim();
    const ext = extendedAllowedList(splitList(allowedRaw), splitList(readFileSync(AVAILABLE_CC_PATH, 'utf8')), wanted);
    // Recorded even when nothing is added: another run may have added what this one needs.
    if (!existsSync(ORIGINAL) && ext !== null) writeJsonAtomic(ORIGINAL, { list: allowedRaw });
    writeJsonAtomic(recordPath(runId), {
      pid: process.pid,
      pid_start_ticks: processStartTicks(process.pid),
      wanted: [...wanted],
    } satisfies HostCcRecord);
    if (ext === null) return null;
    const set = ext.list.join(' ');
    writeFileSync(ALLOWED_CC_PATH, set);
    return { from: allowedRaw, to: set, added: ext.added };
  });
}

/** Takes this run out: the host list loses what only this run still needed. */
export async function restoreHostAllowedCc(runId: string): Promise<'restored' | 'unchanged' | 'no-record'> {
  return withLock(() => leave([runId]));
}

function leave(runIds: readonly string[]): 'restored' | 'unchanged' | 'no-record' {
  const records = readRecords();
  if (!runIds.some((id) => records.has(id))) return 'no-record';
  for (const id of runIds) rmSync(recordPath(id), { force: true });
  if (!existsSync(ORIGINAL)) return 'unchanged';
  const original = splitList((JSON.parse(readFileSync(ORIGINAL, 'utf8')) as { list: string }).list);
  const stillNeeded = new Set<string>();
  for (const [id, r] of records) if (!runIds.includes(id) && r) for (const cc of r.wanted) stillNeeded.add(cc);
  const current = splitList(readFileSync(ALLOWED_CC_PATH, 'utf8'));
  const next = listAfterLeaving(current, original, stillNeeded);
  if ([...records.keys()].every((id) => runIds.includes(id))) rmSync(ORIGINAL, { force: true });
  if (next.join(' ') === current.join(' ')) return 'unchanged';
  writeFileSync(ALLOWED_CC_PATH, next.join(' '));
  return 'restored';
}

/** Takes out every run whose process is gone (SIGKILL). */
export async function restoreStaleHostCc(
  isAlive: (pid: number, startTicks: number | null) => boolean,
): Promise<string[]> {
  if (!existsSync(HOST_RECORD_DIR)) return [];
  return withLock(() => {
    const stale = [...readRecords()]
      .filter(([, r]) => r === null || !isAlive(r.pid, r.pid_start_ticks))
      .map(([id]) => id);
    if (stale.length === 0) return [];
    const outcome = leave(stale);
    return [
      `host net.ipv4.tcp_allowed_congestion_control of run${stale.length > 1 ? 's' : ''} ${stale.join(', ')} (${outcome})`,
    ];
  });
}
