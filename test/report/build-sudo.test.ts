/** `sudo npm run report -- <run>`: the two files the report writes go to the invoking user; the run's own keep theirs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileged } from '../helpers/privileged.ts';
import { runCli } from '../helpers/run-cli.ts';
import { copyFixture, FIXTURES } from './fixture-copy.ts';
import { ownerOf } from '../helpers/files.ts';

const owner = ownerOf;

test('report under sudo hands report.html and summary.md to SUDO_UID, and nothing else', async (t) => {
  if (!requirePrivileged(t)) return;
  const dir = copyFixture(t, 'report-normal');
  const r = await runCli('report', [dir], 120_000, { SUDO_UID: '65534', SUDO_GID: '65534' });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /could not hand/);
  assert.equal(owner(join(dir, 'report.html')), '65534:65534');
  assert.equal(owner(join(dir, 'summary.md')), '65534:65534');
  for (const f of ['', 'meta.json', 'samples.csv', 'summary.csv']) assert.equal(owner(join(dir, f)), '0:0', f);
});

test('compare under sudo hands its four outputs to SUDO_UID', async (t) => {
  if (!requirePrivileged(t)) return;
  const root = mkdtempSync(join(tmpdir(), 'kab-compare-sudo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, 'out');
  mkdirSync(out);
  const r = await runCli(
    'compare',
    [join(FIXTURES, 'compare-base'), join(FIXTURES, 'compare-head'), '--out', out],
    120_000,
    { SUDO_UID: '65534', SUDO_GID: '65534' },
  );
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.doesNotMatch(r.stderr, /could not hand/);
  for (const f of ['compare.md', 'compare.json', 'compare.csv', 'compare.html'])
    assert.equal(owner(join(out, f)), '65534:65534', f);
  assert.equal(owner(out), '0:0', 'the folder was there before: it stays whose it was');
});
