/**
 * Removes what killed runs left behind: namespaces and links named as the harness names them, and /run/kab
 * records, whose owning process is gone (with --force also such names with no record at all). A live run's
 * objects (its record's pid alive) and any other name (`kabinet`) are never touched; they are listed.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import {
  RECORD_DIR,
  harnessRunIdOf,
  deleteNetns,
  listLinks,
  listNetns,
  processAlive,
  readOwnershipRecords,
  removeOwnershipRecord,
  run,
  type OwnershipRecord,
} from './topology.ts';
import { restoreStaleHostCc } from './host-cc.ts';

export const KAB_PREFIX = 'kab';

export interface CleanupState {
  /** run id → record (null when unreadable). */
  records: ReadonlyMap<string, OwnershipRecord | null>;
  netns: readonly string[];
  /** Links of the root namespace. */
  links: readonly string[];
  isAlive(pid: number, startTicks: number | null): boolean;
}

export interface CleanupPlan {
  netns: string[];
  links: string[];
  /** Run ids whose records go. */
  records: string[];
  /** kab-looking objects left alone, each with why ("netns kabinet: not a name the harness gives"). */
  left_alone: string[];
}

/**
 * What to remove, from a snapshot of the machine. Pure. Only names the harness gives (kab-<run id>-<letter>,
 * kab<run id><letter>) are candidates: those of a run whose record's process is gone go; those of a live run
 * stay; those with no record at all go only with `force` (another tool may have made them), and are listed.
 */
export function planCleanup(state: CleanupState, force = false): CleanupPlan {
  const live = new Set<string>();
  const dead = new Set<string>();
  const records: string[] = [];
  for (const [runId, rec] of state.records) {
    if (rec !== null && state.isAlive(rec.pid, rec.pid_start_ticks)) live.add(runId);
    else {
      dead.add(runId);
      records.push(runId);
    }
  }
  const left_alone: string[] = [];
  const pick = (kind: string, names: readonly string[]): string[] =>
    names.filter((name) => {
      if (!name.startsWith(KAB_PREFIX)) return false;
      const runId = harnessRunIdOf(name);
      if (runId === null) {
        left_alone.push(`${kind} ${name}: not a name the harness gives`);
        return false;
      }
      if (live.has(runId)) return false;
      if (dead.has(runId) || force) return true;
      left_alone.push(`${kind} ${name}: no record of the run that made it (npm run clean -- --force removes it)`);
      return false;
    });
  return { netns: pick('netns', state.netns), links: pick('link', state.links), records, left_alone };
}

export async function cleanStale(
  opts: { log?: (line: string) => void; force?: boolean } = {},
): Promise<{ removed: string[]; left_alone: string[] }> {
  const log = opts.log ?? (() => undefined);
  const removed: string[] = [];
  const failures: string[] = [];
  // The host setting first, on its own: nothing below may keep it from being put back.
  try {
    for (const what of await restoreStaleHostCc(processAlive)) {
      removed.push(what);
      log(`restored ${what}`);
    }
  } catch (e) {
    failures.push(`host congestion-control list: ${(e as Error).message}`);
  }
  // Objects first, records second: a run writes its record before it creates anything, so every object
  // in these lists already has its record on disk when the records are read.
  const netns = await listNetns();
  const links = await listLinks();
  const records = await readOwnershipRecords();
  const plan = planCleanup({ records, netns, links, isAlive: processAlive }, opts.force ?? false);
  for (const what of plan.left_alone) log(`left alone: ${what}`);

  for (const ns of plan.netns) {
    try {
      if (await deleteNetns(ns)) {
        removed.push(`netns ${ns}`);
        log(`removed stale network namespace ${ns}`);
      }
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  // Links in the root namespace (devices inside the namespaces went with them).
  const remaining = new Set(await listLinks());
  for (const dev of plan.links) {
    if (!remaining.has(dev)) continue;
    try {
      await run(['ip', 'link', 'delete', 'dev', dev]);
      removed.push(`link ${dev}`);
      log(`removed stale link ${dev}`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  for (const runId of plan.records) {
    await removeOwnershipRecord(runId);
    removed.push(`record ${runId}`);
    log(`removed stale record ${RECORD_DIR}/${runId}.json`);
  }
  await removeStaleTempRecords();
  if (failures.length > 0) throw new Error(`cleanup could not remove everything: ${failures.join('; ')}`);
  return { removed, left_alone: plan.left_alone };
}

/** `<id>.json.<pid>.tmp` left by a writer that died between write and rename. */
async function removeStaleTempRecords(): Promise<void> {
  let names: string[];
  try {
    names = await readdir(RECORD_DIR);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /\.json\.(\d+)\.tmp$/.exec(name);
    if (m && !processAlive(Number(m[1]), null)) await rm(`${RECORD_DIR}/${name}`, { force: true });
  }
}
