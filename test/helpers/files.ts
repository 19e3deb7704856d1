/** Small file helpers the tests share: a temporary folder removed when the test ends, and a path's owner. */
import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system's temporary folder, removed (with what is in it) when the test ends. */
export function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** "uid:gid" of a path itself (a symlink's own, not its target's). */
export function ownerOf(path: string): string {
  const st = lstatSync(path);
  return `${st.uid}:${st.gid}`;
}
