/**
 * `--allow-host-cc cubic`: the one host setting the harness may change, and only when asked. A namespace can
 * only pick a congestion control from the host-wide net.ipv4.tcp_allowed_congestion_control, so running a
 * case on one that is available but not allowed means extending that list in the root namespace for the
 * run. A record in RECORD_DIR/host-sysctl/ holds the original value before it is changed, so the run's
 * teardown restores it, and `npm run clean` (or the next run) restores it after a SIGKILL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { UserError } from '../bench/lib/errors.ts';
import { RECORD_DIR, processStartTicks } from './topology.ts';

export const ALLOWED_CC_PATH = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';
export const AVAILABLE_CC_PATH = '/proc/sys/net/ipv4/tcp_available_congestion_control';
export const HOST_RECORD_DIR = `${RECORD_DIR}/host-sysctl`;

export interface HostCcRecord {
  pid: number;
  pid_start_ticks: number | null;
  key: 'net.ipv4.tcp_allowed_congestion_control';
  /** The host's value before this run changed it. */
  original: string;
  /** What this run wrote: restored only while the host still holds exactly this. */
  set: string;
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
export function extendedAllowedList(allowed: readonly string[], available: readonly string[], wanted: readonly string[]): { list: string[]; added: string[] } | null {
  for (const cc of wanted) {
    if (!/^[a-z0-9_]+$/.test(cc)) throw new UserError(`--allow-host-cc: not a congestion control name: "${cc}"`);
    if (!available.includes(cc)) {
      throw new UserError(`--allow-host-cc: "${cc}" is not available in this kernel (net.ipv4.tcp_available_congestion_control: ${available.join(' ')})`);
    }
  }
  const added = wanted.filter((cc, i) => !allowed.includes(cc) && wanted.indexOf(cc) === i);
  if (added.length === 0) return null;
  return { list: [...allowed, ...added], added };
}

function recordPath(runId: string): string {
  return `${HOST_RECORD_DIR}/${runId}.json`;
}

/** Extends the host's allowed list for this run; returns the change made (null if none was needed). */
export async function extendHostAllowedCc(runId: string, wanted: readonly string[]): Promise<HostCcChange | null> {
  const allowedRaw = readFileSync(ALLOWED_CC_PATH, 'utf8').trim();
  const ext = extendedAllowedList(splitList(allowedRaw), splitList(readFileSync(AVAILABLE_CC_PATH, 'utf8')), wanted);
  if (ext === null) return null;
  const set = ext.list.join(' ');
  const record: HostCcRecord = {
    pid: process.pid,
    pid_start_ticks: processStartTicks(process.pid),
    key: 'net.ipv4.tcp_allowed_congestion_control',
    original: allowedRaw,
    set,
  };
  await mkdir(HOST_RECORD_DIR, { recursive: true });
  const tmp = `${recordPath(runId)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, recordPath(runId));
  writeFileSync(ALLOWED_CC_PATH, set);
  return { from: allowedRaw, to: set, added: ext.added };
}

/**
 * Puts the original back if the host still holds what the run set (another run or the operator may have
 * changed it since: then it is left alone and the caller is told). Removes the record either way.
 */
export async function restoreHostAllowedCc(runId: string): Promise<'restored' | 'changed-since' | 'no-record'> {
  let rec: HostCcRecord;
  try {
    rec = JSON.parse(await readFile(recordPath(runId), 'utf8')) as HostCcRecord;
  } catch {
    return 'no-record';
  }
  const now = readFileSync(ALLOWED_CC_PATH, 'utf8').trim();
  const outcome = now === rec.set ? 'restored' : 'changed-since';
  if (outcome === 'restored') writeFileSync(ALLOWED_CC_PATH, rec.original);
  await rm(recordPath(runId), { force: true });
  return outcome;
}

/** Restores the host list for every record whose run is gone (SIGKILL). */
export async function restoreStaleHostCc(isAlive: (pid: number, startTicks: number | null) => boolean): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(HOST_RECORD_DIR);
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const runId = name.slice(0, -'.json'.length);
    let rec: Partial<HostCcRecord> | null = null;
    try {
      rec = JSON.parse(await readFile(`${HOST_RECORD_DIR}/${name}`, 'utf8')) as Partial<HostCcRecord>;
    } catch {
      rec = null;
    }
    if (rec !== null && typeof rec.pid === 'number' && isAlive(rec.pid, rec.pid_start_ticks ?? null)) continue;
    const outcome = await restoreHostAllowedCc(runId);
    if (outcome !== 'no-record') done.push(`host net.ipv4.tcp_allowed_congestion_control of run ${runId} (${outcome})`);
    await rm(`${HOST_RECORD_DIR}/${name}`, { force: true });
  }
  return done;
}
