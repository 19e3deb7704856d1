/**
 * Runs this repository's action.yml on this machine, step by step, as GitHub's runner would: a copy of the
 * repository as the action's folder ($GITHUB_ACTION_PATH, so `npm ci --omit=dev` installs there, not in your
 * checkout), ${{ inputs.* }} / ${{ steps.*.outputs.* }} / ${{ runner.temp }} / ${{ github.* }} substituted,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, `if: always()` honoured. `uses:` steps (setup-node,
 * upload-artifact) are GitHub's own and are skipped with a line. A dev tool: `yaml` is a dev dependency.
 *
 *   node --import tsx scripts/gate/run-action-locally.ts --input head-server-command="nginx -c …" [--input k=v …]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseCliArgs, runMain, versionHelp } from '../cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { steps: Step[] };
}

/** `${{ inputs.x }}`, `${{ steps.id.outputs.y }}`, `${{ runner.temp }}`, `${{ github.x }}`; anything else is an error. */
export function substitute(text: string, ctx: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in ctx)) throw new Error(`run-action-locally: cannot evaluate \${{ ${expr} }}`);
    return ctx[expr]!;
  });
}

/** name=value lines of a GITHUB_OUTPUT file (no multi-line values here). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Copies the repository's files (tracked and untracked, not ignored) to a fresh folder: the action's checkout. */
function actionCopy(work: string): string {
  const dest = join(work, 'action');
  const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    try {
      cpSync(join(REPO, f), join(dest, f));
    } catch {
      // a file deleted in the working tree but still tracked
    }
  }
  return dest;
}

const HELP = `node --import tsx scripts/gate/run-action-locally.ts --input <name>=<value> [--input …] [--work DIR]

Runs this repository's action.yml here, step by step, as GitHub's runner would; prints the result (status,
outputs, step summary) as JSON and writes it to DIR/result.json.
  --input k=v   an input of the action (repeat for each; e.g. head-server-command="nginx -c …")
  --work DIR    the folder for the action's copy and its files (default: a new temporary folder)
  -h, --help    this help
  ${versionHelp(14)}`;

function main(): number {
  const { values } = parseCliArgs({
    args: process.argv.slice(2),
    options: {
      input: { type: 'string', multiple: true },
      work: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const action = parse(readFileSync(join(REPO, 'action.yml'), 'utf8')) as Action;
  const given = Object.fromEntries(
    (values.input ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  for (const k of Object.keys(given)) if (!(k in action.inputs)) throw new Error(`action.yml has no input "${k}"`);
  const work = values.work ?? mkdtempSync(join(tmpdir(), 'kab-action-'));
  const path = actionCopy(work);
  const runnerTemp = join(work, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const summary = join(work, 'step-summary.md');
  writeFileSync(summary, '');
  const ctx: Record<string, string> = {
    'runner.temp': runnerTemp,
    'github.run_id': 'local',
    'github.job': 'gate',
    'github.action_path': path,
  };
  for (const [name, spec] of Object.entries(action.inputs)) {
    const v = given[name] ?? spec.default ?? '';
    if (spec.required && v === '') throw new Error(`the action needs input "${name}"`);
    ctx[`inputs.${name}`] = v;
  }
  let failed = false;
  for (const [i, step] of action.runs.steps.entries()) {
    const label = step.name ?? step.uses ?? `step ${i + 1}`;
    const always = (step.if ?? '').replace(/\s/g, '') === 'always()';
    if (step.if !== undefined && !always) throw new Error(`run-action-locally: cannot evaluate if: ${step.if}`);
    if (failed && !always) {
      process.stderr.write(`action: ${label}: skipped (an earlier step failed)\n`);
      continue;
    }
    if (step.uses !== undefined) {
      process.stderr.write(`action: ${label}: skipped locally (GitHub's own action)\n`);
      continue;
    }
    const outputFile = join(work, `output-${i}`);
    writeFileSync(outputFile, '');
    const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)]));
    process.stderr.write(`action: ${label}\n`);
    const r = spawnSync('bash', ['-e', '-c', substitute(step.run ?? '', ctx)], {
      cwd: process.cwd(),
      stdio: 'inherit',
      env: {
        ...process.env,
        ...env,
        GITHUB_ACTION_PATH: path,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summary,
        RUNNER_TEMP: runnerTemp,
      },
    });
    if (step.id !== undefined)
      for (const [k, v] of Object.entries(parseOutputs(readFileSync(outputFile, 'utf8'))))
        ctx[`steps.${step.id}.outputs.${k}`] = v;
    if (r.status !== 0) {
      failed = true;
      process.stderr.write(`action: ${label}: exit ${r.status ?? r.signal}\n`);
    }
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs).map(([k, o]) => {
      try {
        return [k, substitute(o.value, ctx)];
      } catch {
        return [k, ''];
      }
    }),
  );
  const result = { status: failed ? 'failure' : 'success', outputs, step_summary: summary, work };
  writeFileSync(join(work, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return failed ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) runMain(async () => main());
