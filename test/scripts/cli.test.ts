import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
