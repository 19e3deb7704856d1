import {
  accessSync,
  constants,
  lstatSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  statfsSync,
} from 'node:fs';
import { dirname, join, resolve, basename, sep } from 'node:path';
import { UserError, errorMessage } from '../../lib/errors.ts';
import { ownAtExit } from '../../lib/ownership.ts';

/** Minimum free space in the results folder before a run starts (samples of a long run are a few MB). */
const MIN_FREE_BYTES = 50 * 1024 * 1024;

export function newRunDirName(runId: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${runId}`;
}

/**
 * Creates results/<run> and proves it can be written to — before anything is measured, so a bad results
 * folder fails in the first second, not after the run.
 */
export function createRunDir(outRoot: string, name: string): string {
  const root = resolve(outRoot);
  // Before mkdir (which would follow a planted symlink) and after (a component made meanwhile).
  refuseForeignPath(root);
  try {
    const created = mkdirSync(root, { recursive: true });
    if (created !== undefined) handOverCreatedFolders(created, root);
  } catch (e) {
    throw new UserError(
      `cannot create results folder ${root}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; pass --out <writable dir>`,
    );
  }
  refuseForeignPath(root);
  refuseForeignLatest(root);
  try {
    accessSync(root, constants.W_OK);
  } catch {
    throw new UserError(`results folder ${root} is not writable; pass --out <writable dir>`);
  }
  try {
    const fs = statfsSync(root);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (free < MIN_FREE_BYTES) {
      throw new UserError(
        `results folder ${root} has only ${(free / 1e6).toFixed(1)} MB free (need ${MIN_FREE_BYTES / 1e6} MB); free space or pass --out`,
      );
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
  }
  const dir = join(root, name);
  mkdirSync(dir);
  ownAtExit(dir, root, { walk: true });
  try {
    writeFileSync(join(dir, '.write-test'), 'ok');
    rmSync(join(dir, '.write-test'));
  } catch (e) {
    throw new UserError(
      `cannot write into ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; pass --out <writable dir>`,
    );
  }
  return dir;
}

/**
 * Under sudo, the folders `mkdir -p <out>` created (from the first one down to <out>) go to the invoking user at
 * exit, like the run folder; folders that were there before keep their owner.
 */
function handOverCreatedFolders(first: string, root: string): void {
  const chain = [root];
  for (let d = root; d !== first && dirname(d) !== d;) chain.unshift((d = dirname(d)));
  for (const d of chain) ownAtExit(d, first);
}

/**
 * In a folder anyone may write to (/tmp), another user can pre-create the path a run will write through — as a
 * symlink to somewhere else, or a folder they own — and a root run would then write where they chose. Every
 * component of the results path inside such a folder must belong to this user (or root).
 */
export function refuseForeignPath(path: string, uid: number | null = process.getuid?.() ?? null): void {
  if (uid === null) return;
  const parts = resolve(path)
    .split(sep)
    .filter((p) => p !== '');
  let parent: string = sep;
  for (const part of parts) {
    const here = join(parent, part);
    let st;
    try {
      st = lstatSync(here);
    } catch {
      return; // not there yet: created below by this run, so its own
    }
    const parentWorldWritable = (lstatSync(parent).mode & 0o002) !== 0;
    if (parentWorldWritable && st.uid !== uid && st.uid !== 0) {
      throw new UserError(
        `refusing to write results through ${here}: it is ${st.isSymbolicLink() ? 'a symlink' : 'a folder'} owned by uid ${st.uid} in ${parent}, which anyone can write to; pass --out <a folder you own>`,
      );
    }
    if (!st.isSymbolicLink()) {
      parent = here;
      continue;
    }
    try {
      parent = realpathSync(here);
    } catch (e) {
      throw new UserError(
        `--out goes through ${here}, a symlink to nowhere (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}); pass --out <an existing folder>`,
      );
    }
    // The link's target is checked too: a link of yours to a folder someone else planted is no better.
    refuseForeignPath(parent, uid);
  }
}

/** <root>/latest is the harness's symlink; anything else there is the user's and is not replaced. */
function refuseForeignLatest(root: string): void {
  const latest = join(root, 'latest');
  let st;
  try {
    st = lstatSync(latest);
  } catch {
    return;
  }
  if (!st.isSymbolicLink())
    throw new UserError(
      `${latest} is a ${st.isDirectory() ? 'folder' : 'file'}, not the harness's link to the newest run: move it away or pass --out <another folder>`,
    );
}

/** Points <root>/latest at the run folder (atomically, via rename of a fresh symlink). */
export function pointLatest(runDir: string): void {
  const root = dirname(runDir);
  const tmp = join(root, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(basename(runDir), tmp);
  renameSync(tmp, join(root, 'latest'));
  // Under sudo, the link goes to the invoking user at exit — if it still points at this run.
  ownAtExit(join(root, 'latest'), root, { linkTarget: basename(runDir) });
}
