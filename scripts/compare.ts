/** `npm run compare` — did head get faster or slower than base? Markdown on stdout, compare.{md,csv,html}. */
import { basename, relative } from 'node:path';
import { SUMMARY_METRICS } from '../bench/results/summarize-run.ts';
import { loadRun } from '../report/load-run.ts';
import { parseCompareArgs } from '../report/compare/args.ts';
import { compareRuns, exitCodeOf } from '../report/compare/compare.ts';
import { writeCompareOutputs } from '../report/compare/output.ts';
import { runMain } from './cli.ts';

const HELP = `npm run compare -- <base-run> <head-run> [options]
npm run compare -- --base <run>[,<run>…] --head <run>[,<run>…] [options]

Compares the runs' samples case by case (cases joined on case_key) and prints a Markdown summary (fit for
$GITHUB_STEP_SUMMARY); writes compare.md, compare.csv and compare.html to --out.

A case × metric is "regressed" ("improved") only when the two-sided Mann–Whitney test is significant at
--alpha after the Benjamini–Hochberg correction over all its tests AND the whole 95 % CI of the
Hodges–Lehmann shift lies above +threshold (below −threshold) of the base median; otherwise "no change".
Cases that ran on a different link backend, profile parameters or congestion control, or whose calibrated
RTT or link RTT during the run differ by more than the threshold, are "not comparable".
One run per side: each request is a sample (within-run noise only). Several runs on a side (--base a,b,c
or --base a --base b): each run's median is a sample.

Options:
  --base <dirs>        base run folder(s), comma-separated or repeated (instead of the first positional)
  --head <dirs>        head run folder(s) (instead of the second positional)
  --threshold <pct>    smallest change that counts, e.g. 5% or 2.5 (default 5%)
  --metric <a,b>       sample columns to compare: ${SUMMARY_METRICS.join(', ')} (default ttfb_ms,total_ms)
  --alpha <p>          significance level, after the correction for the number of tests (default 0.05)
  --out <dir>          folder for compare.md/csv/html (default results/compare-<base>-vs-<head>)
  --force-comparable   compare despite link/profile/calibration/congestion-control differences (they are
                       still listed); cases present in one run only stay not comparable
  -h, --help           this help

Exit codes: 0 no regression beyond the threshold, 1 at least one, 2 bad input (missing or malformed run).`;

runMain(async () => {
  const args = parseCompareArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const base = args.base.map((d) => loadRun(d, { writeMissingSummary: false }));
  const head = args.head.map((d) => loadRun(d, { writeMissingSummary: false }));
  const result = compareRuns(base, head, args.options);
  const ids = (runs: typeof base): string => runs.map((r) => String(r.meta.run_id) || basename(r.dir)).join('+');
  const out = args.out ?? `results/compare-${ids(base)}-vs-${ids(head)}`;
  const written = writeCompareOutputs(result, out);
  process.stdout.write(written.markdown);
  process.stderr.write(`compare folder: ${relative(process.cwd(), out) || out} (compare.md, compare.csv, compare.html)\n`);
  return exitCodeOf(result);
});
