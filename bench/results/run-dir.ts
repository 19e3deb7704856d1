import { accessSync, constants, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync, statfsSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { UserError } from '../../lib/errors.ts';

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
  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw new UserError(
      `cannot create results folder ${root}: ${(e as NodeJS.ErrnoException).code ?? String(e)}; pass --out <writable dir>`,
    );
  }
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

/** Points <root>/latest at the run folder (atomically, via rename of a fresh symlink). */
export function pointLatest(runDir: string): void {
  const root = dirname(runDir);
  const tmp = join(root, `.latest-${process.pid}`);
  rmSync(tmp, { force: true });
  symlinkSync(basename(runDir), tmp);
  renameSync(tmp, join(root, 'latest'));
}
