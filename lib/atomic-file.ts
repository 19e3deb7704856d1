import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Replaces path with text whole or not at all: written to a temporary file beside it, fsynced, then renamed
 * over it. A full disk or a crash leaves the previous version (a reader never sees an empty or half file), and
 * the temporary file is removed on failure. A symlink at path is replaced, never followed.
 */
export function writeFileAtomic(path: string, text: string): void {
  // Random, not the pid alone: a file a SIGKILLed writer left must not block a later process with its pid.
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    const bytes = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
