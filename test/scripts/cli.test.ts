import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/run-cli.ts';
import { signalExitCode } from '../../lib/signals.ts';

/** Runs a body inside runMain in a fresh node, as an entry point would. */
function entry(body: string) {
  const code = `import { runMain } from './scripts/cli.ts'; runMain(async () => { ${body} });`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('a rejection or exception no handler caught: one line with the hint to clean up, exit 1', () => {
  const rejected = entry(`void Promise.reject(new Error('boom')); await new Promise((r) => setTimeout(r, 200));`);
  assert.equal(rejected.status, 1, rejected.stderr);
  assert.equal(
    rejected.stderr.trim(),
    'error: unhandled rejection: boom; if a run was going, npm run clean (as root) removes what it left',
  );
  const thrown = entry(
    `setTimeout(() => { throw new Error('bang'); }, 10); await new Promise((r) => setTimeout(r, 200));`,
  );
  assert.equal(thrown.status, 1, thrown.stderr);
  assert.match(thrown.stderr, /^error: uncaught exception: bang; if a run was going, npm run clean/);
});

test('signal exit codes are the shell convention, 128 + the signal number', () => {
  assert.deepEqual((['SIGHUP', 'SIGINT', 'SIGTERM'] as const).map(signalExitCode), [129, 130, 143]);
});

test('entryDecision: --version anywhere; --help goes on to the script anywhere; the rest only on Linux', async () => {
  const { entryDecision, linuxOnlyMessage, versionLine } = await import('../../scripts/cli.ts');
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(versionLine(), `keepalive-bench ${version}`);
  for (const platform of ['linux', 'darwin', 'win32']) {
    assert.deepEqual(entryDecision(['--quick', '--version'], platform), { kind: 'version', line: versionLine() });
    assert.deepEqual(entryDecision(['--help'], platform), { kind: 'run' });
    assert.deepEqual(entryDecision(['-h'], platform), { kind: 'run' });
  }
  assert.deepEqual(entryDecision([], 'linux'), { kind: 'run' });
  assert.deepEqual(entryDecision(['--quick'], 'linux'), { kind: 'run' });
  for (const platform of ['darwin', 'win32', 'freebsd'])
    assert.deepEqual(entryDecision(['--quick'], platform), { kind: 'refuse', message: linuxOnlyMessage(platform) });
  // After a bare "--" the arguments are someone else's (e.g. a command's own --version).
  assert.deepEqual(entryDecision(['--', '--version'], 'linux'), { kind: 'run' });
  assert.match(linuxOnlyMessage('darwin'), /^keepalive-bench runs on Linux only \(this system is darwin: /);
  assert.doesNotMatch(linuxOnlyMessage('darwin'), /\n/);
});

/** Runs runMain in a fresh node with an injected platform and arguments. */
function entryOn(platform: string, argv: string[], body: string) {
  const code = `import { runMain } from './scripts/cli.ts'; runMain(async () => { ${body} }, { platform: ${JSON.stringify(platform)}, argv: ${JSON.stringify(argv)} });`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('runMain off Linux: one line, exit 2, and main never runs; --version and --help still do', () => {
  const refused = entryOn('darwin', ['--quick'], `process.stdout.write('ran'); return 0;`);
  assert.equal(refused.status, 2);
  assert.equal(refused.stdout, '');
  assert.equal(
    refused.stderr,
    `error: keepalive-bench runs on Linux only (this system is darwin: the harness needs Linux's network namespaces, /proc and TCP stack); --help and --version work anywhere\n`,
  );
  const version = entryOn('darwin', ['--version'], `process.stdout.write('ran'); return 0;`);
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^keepalive-bench \d+\.\d+\.\d+\S*\n$/);
  const help = entryOn('darwin', ['--help'], `process.stdout.write('help'); return 0;`);
  assert.equal(help.status, 0, help.stderr);
  assert.equal(help.stdout, 'help');
  const linux = entryOn('linux', ['--quick'], `process.stdout.write('ran'); return 3;`);
  assert.equal(linux.status, 3, linux.stderr);
  assert.equal(linux.stdout, 'ran');
});

/** `npm test -- <args>` as npm runs it, without npm. */
function npmTest(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/test.ts', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('npm test refuses unknown options and filters no test file matches, before running anything', () => {
  for (const [args, message] of [
    [['--frobnicate'], /^error: Unknown option '--frobnicate'.*\(see npm test -- --help\)$/],
    [['--unit', '-x'], /^error: Unknown option '-x'/],
    [['no-such-test-file'], /^error: no test file matches "no-such-test-file" \(npm test -- --list shows them\)$/],
    // A good filter beside a mistyped one would otherwise run less than asked, quietly.
    [['scripts/cli.test', 'scirpts/nope'], /^error: no test file matches "scirpts\/nope"/],
    [['--report', 'scripts/cli.test'], /^error: no test file in --report matches "scripts\/cli\.test"/],
  ] as Array<[string[], RegExp]>) {
    const r = npmTest(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, message);
  }
});

test('npm test -- --help and --list run nothing', () => {
  const help = npmTest(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^npm test \[-- \[--unit \| --report \| --e2e\] \[<substring> …\]\]/);
  const list = npmTest(['--list', 'scripts/cli.test']);
  assert.equal(list.status, 0, list.stderr);
  assert.equal(list.stdout, 'unit   test/scripts/cli.test.ts\n');
});
