import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { copyFixture } from './fixture-copy.ts';

test('report --help explains the argument and exits 0', async () => {
  const r = await runCli('report', ['--help'], 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /npm run report -- \[run-dir\]/);
  assert.match(r.stdout, /results\/latest/);
});

for (const [args, message] of [
  [['/nonexistent/kab-run'], /^error: no run folder at \/nonexistent\/kab-run$/],
  [['--frobnicate'], /^error: Unknown option '--frobnicate'/],
  [['a', 'b'], /^error: one run folder at a time/],
] as Array<[string[], RegExp]>) {
  test(`report ${args.join(' ')} → one line, exit 2`, async () => {
    const r = await runCli('report', args, 60_000);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', message);
  });
}

test('report <run-dir> writes report.html and summary.md and prints the verdict table', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  const r = await runCli('report', [dir], 120_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^claim {2}verdict +key figure$/m);
  assert.match(r.stdout, /^C1 +confirmed · (strong|inconclusive) +keep-alive saves 1\.00 RTT = 51\.1 ms/m);
  assert.match(r.stdout, /^C3 +confirmed · (strong|inconclusive) +saving grows/m);
  assert.match(r.stdout, /^not run: C2 \(npm run bench -- --scenario slowstart\)$/m);
  assert.match(r.stdout, /^report: .*report\.html \([\d.]+ [KM]iB, built in \d+ ms\)$/m);
  assert.ok(existsSync(join(dir, 'report.html')));
  assert.match(readFileSync(join(dir, 'summary.md'), 'utf8'), /\*\*confirmed\*\*/);
});
