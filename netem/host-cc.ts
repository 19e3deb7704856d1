/**
 * `--allow-host-cc cubic`: the one host setting the harness may change, and only when asked. A namespace can
 * only pick a congestion control from the host-wide net.ipv4.tcp_allowed_congestion_control, so running a
 * case on one that is available but not allowed means extending that list in the root namespace for the run.
 *
 * State in HOST_RECORD_DIR: `original.json` holds the host's list from before the first run that extended it
 * and the names runs added to it (`added`), and one `<run>.json` per run names what that run needs. A run's exit
 * (teardown; `npm run clean` or the next run after a SIGKILL) takes out of the host list only names a run added
 * and no other recorded run still needs: a name an admin (or anyone else) added meanwhile stays, and one they
 * removed is not put back. The host is put back before the records go, so a failed write is retried by the next
 * clean; the last one out removes original.json. Every read-modify-write holds a lock file naming its holder,
 * so concurrent runs cannot undo each other; a lock is broken only when its holder is gone.
 */
import {
  closeSync,
  existsSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  mkdirSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { UserError } from '../lib/errors.ts';
import { RECORD_DIR, processAlive, processStartTicks } from './topology.ts';

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

/** The list after a run leaves: what runs added goes, unless another run still needs it; all else stays. Pure. */
export function listAfterLeaving(
  current: readonly string[],
  addedByRuns: readonly string[],
  stillNeeded: ReadonlySet<string>,
): string[] {
  return current.filter((cc) => !addedByRuns.includes(cc) || stillNeeded.has(cc));
}

interface HostCcState {
  /** The host's list before the first run extended it (for the record). */
  list: string;
  /** Names runs added and have not yet taken out. */
  added: string[];
}

function readState(): HostCcState | null {
  if (!existsSync(ORIGINAL)) return null;
  const raw = JSON.parse(readFileSync(ORIGINAL, 'utf8')) as Partial<HostCcState>;
  const list = typeof raw.list === 'string' ? raw.list : '';
  // A record from before `added` was kept: whatever is beyond the original counts as added.
  const added = Array.isArray(raw.added)
    ? raw.added.filter((x): x is string => typeof x === 'string')
    : splitList(readFileSync(ALLOWED_CC_PATH, 'utf8')).filter((cc) => !splitList(list).includes(cc));
  return { list, added };
}

function recordPath(runId: string): string {
  return `${HOST_RECORD_DIR}/${runId}.json`;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`);
  renameSync(tmp, path);
}

/** Who holds the lock: its process, or null when the file is unreadable or half-written. */
function lockHolder(): { pid: number; pid_start_ticks: number | null } | null {
  try {
    return lockHolderOf(readFileSync(LOCK, 'utf8'));
  } catch {
    return null;
  }
}

function lockHolderOf(text: string | null): { pid: number; pid_start_ticks: number | null } | null {
  if (text === null) return null;
  try {
    const h = JSON.parse(text) as { pid?: unknown; pid_start_ticks?: unknown };
    if (typeof h.pid !== 'number') return null;
    return { pid: h.pid, pid_start_ticks: typeof h.pid_start_ticks === 'number' ? h.pid_start_ticks : null };
  } catch {
    return null;
  }
}

/**
 * Runs fn holding the state lock: an O_EXCL file naming its holder. A holder that is gone (a SIGKILLed run)
 * loses it at once; a live one is waited for up to wait_ms, then this run stops with an error naming it —
 * breaking a live holder's lock would let two runs rewrite the host list at once.
 */
export function withLock<T>(fn: () => T, wait_ms = 5_000): T {
  mkdirSync(HOST_RECORD_DIR, { recursive: true });
  const until = Date.now() + wait_ms;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, pid_start_ticks: processStartTicks(process.pid) }));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder();
      // A file with no holder in it yet is being written right now (or was left half-written by a crash).
      const gone = holder !== null && !processAlive(holder.pid, holder.pid_start_ticks);
      if (gone || (holder === null && lockAge_ms() > 2_000)) {
        breakLock(holder);
        continue;
      }
      if (Date.now() > until) {
        throw new Error(
          `${LOCK} is held by ${holder ? `process ${holder.pid}, still running` : 'a process that left it unreadable'} after ${wait_ms} ms; the host congestion-control list was not changed`,
        );
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

/**
 * Removes a dead holder's lock without racing another breaker: the lock is renamed to a name of this process's
 * own first, and removed only if it still names the holder judged dead — if another run broke it and took it
 * in between, the renamed file is that run's live lock and is put back.
 */
function breakLock(dead: { pid: number; pid_start_ticks: number | null } | null): void {
  const mine = `${LOCK}.breaking-${process.pid}`;
  try {
    renameSync(LOCK, mine);
  } catch {
    return; // someone else broke it first
  }
  let now: string | null = null;
  try {
    now = readFileSync(mine, 'utf8');
  } catch {
    now = null;
  }
  const same = dead === null ? now === null || lockHolderOf(now) === null : lockHolderOf(now)?.pid === dead.pid;
  if (!same) {
    try {
      linkSync(mine, LOCK);
    } catch {
      // a third run holds it now; the one whose lock this was will find its file gone and still release cleanly
    }
  }
  rmSync(mine, { force: true });
}

function lockAge_ms(): number {
  try {
    return Date.now() - statSync(LOCK).mtimeMs;
  } catch {
    return 0;
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
    if (ext !== null) {
      const state = readState() ?? { list: allowedRaw, added: [] };
      const added = [...state.added, ...ext.added.filter((cc) => !state.added.includes(cc))];
      writeJsonAtomic(ORIGINAL, { list: state.list, added } satisfies HostCcState);
    }
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
  const state = readState();
  let outcome: 'restored' | 'unchanged' = 'unchanged';
  if (state !== null) {
    const stillNeeded = new Set<string>();
    for (const [id, r] of records) if (!runIds.includes(id) && r) for (const cc of r.wanted) stillNeeded.add(cc);
    const current = splitList(readFileSync(ALLOWED_CC_PATH, 'utf8'));
    const next = listAfterLeaving(current, state.added, stillNeeded);
    // The host first: if this write fails, the records stay and the next clean tries again.
    if (next.join(' ') !== current.join(' ')) {
      writeFileSync(ALLOWED_CC_PATH, next.join(' '));
      outcome = 'restored';
    }
    if ([...records.keys()].every((id) => runIds.includes(id))) rmSync(ORIGINAL, { force: true });
    else writeJsonAtomic(ORIGINAL, { list: state.list, added: state.added.filter((cc) => stillNeeded.has(cc)) });
  }
  for (const id of runIds) rmSync(recordPath(id), { force: true });
  return outcome;
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
