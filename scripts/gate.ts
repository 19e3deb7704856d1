/**
 * `keepalive-bench gate` — measure a server's base and head on the emulated link and gate on compare (what the
 * GitHub action runs). Each run is a process of its own, in its own process group so that a Ctrl-C reaches it
 * once, through this process; a run that fails is not the end: compare reads what it wrote and fails closed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ownWritten } from '../lib/ownership.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimSignals, signalExitCode } from '../lib/signals.ts';
import { runMain, versionHelp } from './cli.ts';
import { GATE_HELP, compareArgs, gateRuns, parseGateArgs } from './gate/plan.ts';

const BIN = fileURLToPath(new URL('../bin/keepalive-bench.mjs', import.meta.url));

let current: ReturnType<typeof spawn> | null = null;
let interrupted: NodeJS.Signals | null = null;

function run(args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: 'inherit', detached: true });
    current = child;
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => {
      current = null;
      resolve(code ?? signalExitCode(signal ?? 'SIGTERM'));
    });
  });
}

runMain(async () => {
  const o = parseGateArgs(process.argv.slice(2), process.cwd());
  if (o === 'help') {
    process.stdout.write(`${GATE_HELP}\n  -h, --help             this help\n  ${versionHelp(23)}\n`);
    return 0;
  }
  const release = claimSignals((signal) => {
    interrupted = signal;
    current?.kill(signal);
  });
  mkdirSync(o.out, { recursive: true });
  const runs = gateRuns(o);
  const codes: Array<{ side: string; index: number; exit_code: number }> = [];
  for (const [i, r] of runs.entries()) {
    if (interrupted) break;
    process.stderr.write(`gate: ${r.side} run ${r.index} (${i + 1} of ${runs.length}) in ${r.cwd}\n`);
    const code = await run(r.args, r.cwd);
    codes.push({ side: r.side, index: r.index, exit_code: code });
    if (code !== 0) process.stderr.write(`gate: ${r.side} run ${r.index} exited ${code}; compare will say why\n`);
  }
  release();
  if (interrupted) return signalExitCode(interrupted);
  const compareCode = await run(compareArgs(o, runs), process.cwd());
  const jsonPath = join(o.out, 'compare', 'compare.json');
  const verdict = existsSync(jsonPath)
    ? ((JSON.parse(readFileSync(jsonPath, 'utf8')) as { verdict?: string }).verdict ?? 'error')
    : 'error';
  const gate = {
    verdict,
    exit_code: compareCode,
    compare_json: existsSync(jsonPath) ? jsonPath : null,
    compare_md: existsSync(join(o.out, 'compare', 'compare.md')) ? join(o.out, 'compare', 'compare.md') : null,
    runs: codes,
  };
  writeFileSync(join(o.out, 'gate.json'), `${JSON.stringify(gate, null, 2)}\n`);
  ownWritten([join(o.out, 'gate.json')], o.out);
  process.stderr.write(`gate: ${verdict} (exit ${compareCode}); ${join(o.out, 'gate.json')}\n`);
  return compareCode;
});
