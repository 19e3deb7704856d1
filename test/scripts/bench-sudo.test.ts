/**
 * A run under sudo (root, SUDO_UID/SUDO_GID set) leaves what it wrote owned by the invoking user: the run folder
 * and everything in it and results/latest; nothing else, and no link is followed. (The --out folders a run
 * creates, and a root run without SUDO_UID: test/bench/results/run-dir.test.ts and test/lib/ownership.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requirePrivileged } from '../helpers/privileged.ts';
import { runCli } from '../helpers/run-cli.ts';
import { ownerOf, tempDir } from '../helpers/files.ts';

const SUDO = { SUDO_UID: '65534', SUDO_GID: '65534', SUDO_USER: 'nobody' };
const TINY = ['--quick', '--link', 'none', '--profile', 'loopback', '--scenario', 'handshake', '--requests', '3'];

const owner = ownerOf;

/** Every path in dir (itself included), without following links. */
function walk(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const tmp = (t: { after: (fn: () => void) => void }): string => tempDir(t, 'kab-sudo-');

test('a sudo run hands its files to the invoking user, and follows no link in the results folder', async (t) => {
  if (!requirePrivileged(t)) return;
  const root = tmp(t);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'x');
  const out = join(root, 'out');
  mkdirSync(join(out, 'old-run'), { recursive: true });
  writeFileSync(join(out, 'old-run', 'meta.json'), '{}');
  symlinkSync(outside, join(out, 'latest'));
  symlinkSync(join(outside, 'secret'), join(out, 'elsewhere'));

  const r = await runCli('bench', [...TINY, '--out', out], 120_000, SUDO);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /could not hand/);

  const name = readlinkSync(join(out, 'latest'));
  assert.notEqual(name, outside, 'latest points at the new run');
  assert.equal(owner(join(out, 'latest')), '65534:65534', 'latest');
  const files = walk(join(out, name));
  for (const f of ['meta.json', 'samples.csv', 'summary.csv', 'calibration.csv', 'report.html', 'summary.md'])
    assert.ok(files.includes(join(out, name, f)), `${f} written`);
  for (const f of files) assert.equal(owner(f), '65534:65534', f);

  for (const p of [out, join(out, 'old-run'), join(out, 'old-run', 'meta.json'), join(out, 'elsewhere')])
    assert.equal(owner(p), '0:0', `${p} was not written by the run`);
  assert.equal(owner(outside), '0:0', 'the old latest link’s target');
  assert.equal(owner(join(outside, 'secret')), '0:0', 'a link’s target');
});
