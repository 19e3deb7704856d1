/**
 * npm run screenshot: the README's picture of the verdict table, from a run folder, in Debian's Chromium. It builds
 * report.html only when it is missing or older than the run's files, and refuses bad usage in one line (exit 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { requireProgram } from '../helpers/privileged.ts';
import { copyFixture } from '../report/fixture-copy.ts';

const CHROMIUM = '/usr/bin/chromium';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('screenshot --help names the run folder, --out, --chromium and --version', async () => {
  const r = await runCli('screenshot', ['--help'], 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^npm run screenshot -- \[run-dir\] \[options\]/);
  for (const flag of ['--out <file.png>', '--chromium <path>', '--version', 'docs/verdicts.png', 'results/latest'])
    assert.ok(r.stdout.includes(flag), flag);
});

for (const [args, message] of [
  [['--frobnicate'], /^error: Unknown option '--frobnicate'/],
  [['a', 'b'], /^error: one run folder at a time, got 2: a b$/],
  [['/nonexistent/kab-run'], /^error: no run folder at \/nonexistent\/kab-run$/],
  [['test'], /^error: test is not a run folder \(no meta\.json in it\)$/],
  [['--out', 'x.jpg'], /^error: --out must name a \.png file, got 'x\.jpg'$/],
  [
    ['test/fixtures/report-full', '--chromium', '/nonexistent/chromium'],
    /^error: no Chromium at \/nonexistent\/chromium: /,
  ],
] as Array<[string[], RegExp]>) {
  test(`screenshot ${args.join(' ')} → one line, exit 2`, async () => {
    const r = await runCli('screenshot', args, 60_000);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', message);
    assert.equal(r.stdout, '');
  });
}

test(
  'screenshot builds a missing report, saves the verdict table as a PNG, and rebuilds only when stale',
  { timeout: 180_000 },
  async (t) => {
    if (!requireProgram(t, CHROMIUM, 'chromium')) return;
    const dir = copyFixture(t, 'report-normal');
    const outDir = mkdtempSync(join(tmpdir(), 'kab-shot-test-'));
    t.after(() => rmSync(outDir, { recursive: true, force: true }));
    const out = join(outDir, 'new-folder', 'verdicts.png');
    assert.equal(existsSync(join(dir, 'report.html')), false);

    const first = await runCli('screenshot', [dir, '--out', out], 120_000);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^report: .*report\.html \(built\)$/m);
    const shot = /^screenshot: (.+) \((\d+) × (\d+) px, [\d.]+ [KM]?i?B\) of .*report\.html$/m.exec(first.stdout);
    assert.ok(shot, first.stdout);
    const png = readFileSync(out);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    assert.deepEqual([Number(shot[2]), Number(shot[3])], [width, height]);
    // The verdict table as the page lays it out at 1280 px: inside its card, taller than its 12 rows' text.
    assert.ok(width > 900 && width <= 1280, `width ${width}`);
    assert.ok(height > 300, `height ${height}`);

    // Fresh report: used as it is.
    const built = statSync(join(dir, 'report.html')).mtimeMs;
    const second = await runCli('screenshot', [dir, '--out', out], 120_000);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /\(built\)/);
    assert.equal(statSync(join(dir, 'report.html')).mtimeMs, built);

    // A run file newer than the report: rebuilt.
    const later = new Date(built + 60_000);
    utimesSync(join(dir, 'meta.json'), later, later);
    const third = await runCli('screenshot', [dir, '--out', out], 120_000);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /^report: .*report\.html \(built\)$/m);
    assert.deepEqual(readFileSync(out).subarray(0, 8), PNG_SIGNATURE);
  },
);
