import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lchownSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { createRunDir, pointLatest, refuseForeignPath } from '../../../bench/results/run-dir.ts';
import { runPendingHandOvers } from '../../../lib/ownership.ts';
import { requirePrivileged } from '../../helpers/privileged.ts';
import { isUserError } from '../../../lib/errors.ts';
import { tempDir } from '../../helpers/files.ts';

const tmp = (t: { after: (fn: () => void) => void }): string => tempDir(t, 'kab-run-dir-');

test('a file or folder named latest in the results folder is the user’s: the run refuses rather than replace it', (t) => {
  const root = tmp(t);
  writeFileSync(join(root, 'latest'), 'my notes');
  assert.throws(() => createRunDir(root, 'run-a'), /latest is a file, not the harness's link to the newest run/);
  rmSync(join(root, 'latest'));
  mkdirSync(join(root, 'latest'));
  assert.throws(() => createRunDir(root, 'run-b'), /latest is a folder/);
  rmSync(join(root, 'latest'), { recursive: true });
  symlinkSync('run-old', join(root, 'latest'));
  assert.match(createRunDir(root, 'run-c'), /run-c$/, 'the harness’s own link is fine');
});

test('results written through a path another user planted in a world-writable folder are refused', (t) => {
  if (!requirePrivileged(t)) return;
  const shared = tmp(t);
  chmodSync(shared, 0o1777);
  const elsewhere = join(tmp(t), 'target');
  mkdirSync(elsewhere);
  // As in /tmp: another user (uid 4321) made the path a run was told to use — a symlink, or their own folder.
  symlinkSync(elsewhere, join(shared, 'kab'));
  lchownSync(join(shared, 'kab'), 4321, 4321);
  assert.throws(
    () => refuseForeignPath(join(shared, 'kab', 'head'), 0),
    /refusing to write results through .*\/kab: it is a symlink owned by uid 4321 in .*, which anyone can write to/,
  );
  assert.throws(() => createRunDir(join(shared, 'kab', 'head'), 'run-a'), /refusing to write results through/);
  mkdirSync(join(shared, 'theirs'));
  chownSync(join(shared, 'theirs'), 4321, 4321);
  assert.throws(() => refuseForeignPath(join(shared, 'theirs'), 0), /it is a folder owned by uid 4321/);
  // The same names, this user's own: fine; and a folder nobody else can write to is never questioned.
  mkdirSync(join(shared, 'mine'));
  refuseForeignPath(join(shared, 'mine', 'head'), 0);
  const privateDir = join(tmp(t), 'p');
  mkdirSync(privateDir);
  chownSync(privateDir, 4321, 4321);
  refuseForeignPath(join(privateDir, 'x'), 0);
});

test('an --out through a symlink to nowhere is a one-line usage error, not a crash', (t) => {
  const root = tmp(t);
  symlinkSync(join(root, 'deleted'), join(root, 'mylink'));
  assert.throws(
    () => createRunDir(join(root, 'mylink', 'res'), 'run-a'),
    (e: unknown) => isUserError(e) && /a symlink to nowhere \(ENOENT\)/.test((e as Error).message),
  );
});

test('under sudo, the run folder, latest and the --out folders mkdir made are handed over at exit; nothing else', (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  mkdirSync(join(root, 'had'));
  const saved = { uid: process.env.SUDO_UID, gid: process.env.SUDO_GID };
  t.after(() => {
    for (const [k, v] of [
      ['SUDO_UID', saved.uid],
      ['SUDO_GID', saved.gid],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  process.env.SUDO_UID = '65534';
  process.env.SUDO_GID = '65534';
  const out = join(root, 'had', 'new', 'out');
  const dir = createRunDir(out, 'run-a');
  writeFileSync(join(dir, 'meta.json'), '{}');
  pointLatest(dir);
  const owner = (p: string): number => lstatSync(p).uid;
  assert.equal(owner(dir), 0, 'root while the run writes');
  assert.deepEqual(runPendingHandOvers(), []);
  for (const p of [join(root, 'had', 'new'), out, dir, join(dir, 'meta.json'), join(out, 'latest')])
    assert.equal(owner(p), 65534, p);
  assert.equal(owner(join(root, 'had')), 0, 'there before');
  assert.deepEqual(runPendingHandOvers(), [], 'each once');
});
