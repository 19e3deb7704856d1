/**
 * Runs a test file that needs a kernel with sch_netem (a `*.uml.ts` file: the host's runner does not pick it
 * up by name): directly where this kernel has netem, else inside the user-mode kernel, else it skips — unless
 * KAB_REQUIRE_PRIVILEGED=1 (CI), where that is a failure. The file's own tests must all pass, none skipped.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tcNetemUnavailableReason } from '../../../netem/tc.ts';
import { REPO } from '../run-cli.ts';
import { runInUml, umlUnavailableReason } from './run.ts';

export interface SuiteRun {
  where: 'host' | 'user-mode kernel';
  output: string;
  elapsed_ms: number;
}

function runHere(argv: string[], timeout_ms: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd ?? 'node', args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout_ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The TAP summary counts of a node --test run. */
export function tapCounts(output: string): Record<'tests' | 'pass' | 'fail' | 'skipped', number> {
  const n = (k: string): number => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  return { tests: n('tests'), pass: n('pass'), fail: n('fail'), skipped: n('skipped') };
}

/** null when the suite ran and skipped (the context is marked skipped). */
export async function runNetemSuite(t: TestContext, file: string, timeout_ms: number): Promise<SuiteRun | null> {
  const argv = [process.execPath, '--import', 'tsx', '--test', '--test-concurrency=1', file];
  const started = Date.now();
  const netem = await tcNetemUnavailableReason();
  let r: { code: number | null; output: string };
  let where: SuiteRun['where'];
  if (netem === null) {
    where = 'host';
    r = await runHere(argv, timeout_ms);
  } else {
    const uml = umlUnavailableReason();
    if (uml !== null) {
      const why = `this kernel has no sch_netem (${netem}) and the user-mode kernel is unavailable (${uml})`;
      if (process.env.KAB_REQUIRE_PRIVILEGED === '1') throw new Error(`${why}, but KAB_REQUIRE_PRIVILEGED=1`);
      t.skip(why);
      return null;
    }
    where = 'user-mode kernel';
    const u = await runInUml(['node', ...argv.slice(1)], { cwd: REPO, timeout_ms });
    if (u.failure !== null) assert.fail(`${file} in the user-mode kernel: ${u.failure}\n${u.output.slice(-4000)}`);
    r = { code: u.code, output: u.output };
  }
  const c = tapCounts(r.output);
  const tail = r.output
    .split('\n')
    .filter((l) => /^(not ok|# |\s+(error|expected|actual|location):)/.test(l))
    .slice(-60)
    .join('\n');
  assert.equal(r.code, 0, `${file} (${where}) exited ${r.code}:\n${tail}`);
  assert.ok(
    c.tests > 0 && c.pass === c.tests && c.fail === 0 && c.skipped === 0,
    `${file} (${where}): ${JSON.stringify(c)}\n${tail}`,
  );
  for (const line of r.output.split('\n'))
    if (/^# (?!Subtest|tests|suites|pass|fail|cancelled|skipped|todo|duration)/.test(line)) t.diagnostic(line.slice(2));
  t.diagnostic(`${c.pass} tests passed in the ${where} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { where, output: r.output, elapsed_ms: Date.now() - started };
}
