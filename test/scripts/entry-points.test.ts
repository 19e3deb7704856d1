/**
 * Every entry point (scripts/*.ts but the shared cli.ts, the tools under scripts/gate/, each script of
 * package.json): --version prints "keepalive-bench <version>" and exits 0, --help lists it, and on a system other
 * than Linux (process.platform faked, koffi unloadable as there) anything else is one "Linux only" line, exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/run-cli.ts';

const PACKAGE = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

const ENTRY_POINTS = [
  ...readdirSync(join(REPO, 'scripts'))
    .filter((f) => f.endsWith('.ts') && f !== 'cli.ts')
    .map((f) => `scripts/${f}`),
  'scripts/gate/run-action-locally.ts',
].sort();

/** Spawns one entry point as `node --import tsx <preloads> <script> <args>`. */
function run(
  script: string,
  args: string[],
  preloads: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', ...preloads.flatMap((p) => ['--import', p]), script, ...args],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the checks of each entry point a few at a time (each is a fresh node with tsx). */
async function eachEntryPoint<T>(check: (script: string) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ENTRY_POINTS.length; i += 4)
    out.push(...(await Promise.all(ENTRY_POINTS.slice(i, i + 4).map(check))));
  return out;
}

const ELSEWHERE = ['./test/helpers/platform-darwin.mjs', './test/helpers/no-koffi.mjs'];

test('every npm script runs one of the entry points checked here', () => {
  const targets = Object.values(PACKAGE.scripts)
    .map((cmd) => /node --import tsx (scripts\/\S+\.ts)/.exec(cmd)?.[1])
    .filter((s): s is string => s !== undefined);
  assert.ok(targets.includes('scripts/bench.ts') && targets.includes('scripts/test.ts'));
  assert.deepEqual(
    targets.filter((t) => !ENTRY_POINTS.includes(t)),
    [],
  );
  assert.ok(ENTRY_POINTS.length >= 10, ENTRY_POINTS.join(', '));
});

test('--version: "keepalive-bench <version>" on stdout, exit 0, from every entry point (even off Linux)', async () => {
  const results = await eachEntryPoint(async (s) => ({ s, r: await run(s, ['--version'], ELSEWHERE) }));
  for (const { s, r } of results) {
    assert.equal(r.code, 0, `${s}: ${r.stderr}`);
    assert.equal(r.stdout, `keepalive-bench ${PACKAGE.version}\n`, s);
    assert.equal(r.stderr, '', s);
  }
});

test('--help works off Linux too, and lists --version', async () => {
  const results = await eachEntryPoint(async (s) => ({ s, r: await run(s, ['--help'], ELSEWHERE) }));
  for (const { s, r } of results) {
    assert.equal(r.code, 0, `${s}: ${r.stderr}`);
    assert.match(r.stdout, /^ {2}--version {2,}print "keepalive-bench <version>" and exit$/m, s);
    assert.match(r.stdout, /^ {2}-h, --help +this help$/m, s);
  }
});

test('off Linux anything else is refused with one line, exit 2, before the script parses or runs anything', async () => {
  // An unknown option: were the check missing, the script's own "Unknown option" error would show instead.
  const results = await eachEntryPoint(async (s) => ({ s, r: await run(s, ['--frobnicate'], ELSEWHERE) }));
  for (const { s, r } of results) {
    assert.equal(r.code, 2, `${s}: ${r.stderr}`);
    assert.equal(r.stdout, '', s);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${s}: ${r.stderr}`);
    assert.match(lines[0]!, /^error: keepalive-bench runs on Linux only \(this system is darwin[:;)]/, s);
  }
});
