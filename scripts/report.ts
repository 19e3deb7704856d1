/** `npm run report [-- <run-dir>]` — (re)build report.html and summary.md of a run from its files. */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../lib/errors.ts';
import { buildReportDetailed } from '../report/build.ts';
import { fmtBytes } from '../report/format.ts';
import { terminalWidth, verdictTableLines } from '../report/terminal.ts';
import { versionHelp, runMain } from './cli.ts';

const DEFAULT_RUN_DIR = 'results/latest';

const HELP = `npm run report -- [run-dir] [options]

Builds report.html (self-contained, works offline from file://) and summary.md (verdicts and headline
numbers in Markdown, for a CI job summary) into a run folder written by npm run bench, from its files alone:
meta.json, samples.csv, summary.csv, calibration.csv. Any old run can be re-rendered.

Arguments:
  run-dir          the run folder (default: results/latest, the newest run)

Prints the verdict table (claim, verdict and its evidence, key figure) and the paths.

Options:
  --verbose        also print vega/vega-lite warnings from drawing the charts
  -h, --help       this help
  ${versionHelp(17)}

Exit codes: 0 done, 1 failed, 2 bad usage or not a run folder.`;

interface ReportArgs {
  runDir: string;
  verbose: boolean;
}

function parseReportArgs(argv: string[]): ReportArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (parsed.values.help) return 'help';
  if (parsed.positionals.length > 1)
    throw new UserError(`one run folder at a time, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  return { runDir: parsed.positionals[0] ?? DEFAULT_RUN_DIR, verbose: parsed.values.verbose === true };
}

async function main(): Promise<number> {
  const args = parseReportArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.runDir === DEFAULT_RUN_DIR && !existsSync(DEFAULT_RUN_DIR)) {
    throw new UserError(`no run yet: ${DEFAULT_RUN_DIR} does not exist; run npm run bench first, or pass a run folder`);
  }
  const r = await buildReportDetailed(args.runDir);
  const show = (p: string): string => {
    const rel = relative(process.cwd(), p);
    return rel.startsWith('..') ? p : rel;
  };
  const table = verdictTableLines(r.model.verdicts, { width: terminalWidth(process.stdout), status: r.model.status });
  process.stdout.write(`${table.join('\n')}\n\n`);
  process.stdout.write(`report: ${show(r.htmlPath)} (${fmtBytes(r.bytes)}, built in ${Math.round(r.ms)} ms)\n`);
  process.stdout.write(`summary: ${show(r.mdPath)}\n`);
  if (r.warnings.length > 0) {
    if (args.verbose) for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
    else process.stderr.write(`${r.warnings.length} chart warning(s); --verbose shows them\n`);
  }
  return 0;
}

runMain(main);
