/** `sudo npm run report -- <run>`: the two files the report writes go to the invoking user; the run's own keep theirs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { requirePrivileged } from '../helpers/privileged.ts';
import { runCli } from '../helpers/run-cli.ts';
import { copyFixture } from './fixture-copy.ts';

const owner = (p: string): string => {
  const st = lstatSync(p);
  return `${st.uid}:${st.gid}`;
};

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
