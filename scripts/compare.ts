/** `npm run compare` — did head get faster or slower than base, and may it pass? Markdown on stdout, compare.{md,csv,json,html}. */
import { basename, relative } from 'node:path';
import { UserError, errorMessage, isUserError } from '../lib/errors.ts';
import { SUMMARY_METRICS } from '../lib/schema.ts';
import { loadRun } from '../report/load-run.ts';
import { DEFAULT_FAILURE_TOLERANCE_PCT, parseCompareArgs } from '../report/compare/args.ts';
import { compareRuns, exitCodeOf } from '../report/compare/compare.ts';
import { writeCompareError, writeCompareOutputs } from '../report/compare/output.ts';
import { versionHelp, runMain } from './cli.ts';

const HELP = `npm run compare -- <base-run> <head-run> [options]
npm run compare -- --base <run>[,<run>…] --head <run>[,<run>…] [options]

Compares the runs' samples case by case (cases joined on case_key), prints a Markdown summary (fit for
$GITHUB_STEP_SUMMARY) and writes compare.md, compare.csv, compare.json and compare.html to --out.

A case × metric is "regressed" ("improved") only when the two-sided Mann–Whitney test is significant at
--alpha after the Benjamini–Hochberg correction over all its tests AND the whole 95 % CI of the
Hodges–Lehmann shift lies above +threshold (below −threshold) of the base median; otherwise "no change".
Cases that ran on a different link backend, profile parameters or congestion control, or whose calibrated
RTT or link RTT during the run differ beyond the threshold, are "not comparable".
One run per side: each request is a sample (within-run noise only). Several runs on a side (--base a,b,c
or --base a --base b): each run's median is a sample.

The gate fails closed. It fails (exit 1) when a run did not complete (killed, errored, interrupted), the
head lost cases the base had, a case failed more often in head than in base by more than
--failure-tolerance of its requests (cases that measure failures on purpose, such as lifecycle's 502s,
excepted), a case regressed, or a case is not comparable (unless --allow-not-comparable). It cannot say
"no change" without power: each comparison's smallest change caught with ≥ 90 % probability is computed
from the base's own spread; when most cannot catch twice the threshold, compare prints "underpowered" and
exits 2 (unless --allow-underpowered). \`npm run bench -- --ci\` measures with the power to catch 10 %.

Options:
  --base <dirs>          base run folder(s), comma-separated or repeated (instead of the first positional)
  --head <dirs>          head run folder(s) (instead of the second positional)
  --threshold <pct>      smallest change that counts, e.g. 5% or 2.5 (default 5%)
  --metric <a,b>         sample columns to compare: ${SUMMARY_METRICS.join(', ')} (default ttfb_ms,total_ms)
  --alpha <p>            significance level, after the correction for the number of tests (default 0.05)
  --failure-tolerance <pct>  failed requests a case may add in head, percentage points of its requests
                         (default ${DEFAULT_FAILURE_TOLERANCE_PCT}%)
  --out <dir>            folder for compare.md/csv/json/html (default results/compare-<base>-vs-<head>)
  --force-comparable     compare despite link/profile/calibration/congestion-control differences (they are
                         still listed); cases present in one run only stay not comparable
  --allow-not-comparable list not-comparable cases without failing on them (a case the head lost still fails)
  --allow-underpowered   pass a compare that cannot catch twice the threshold instead of exiting 2
  -h, --help             this help
  ${versionHelp(23)}

Exit codes: 0 pass; 1 fail (see the gate's reasons in compare.md / compare.json); 2 underpowered, or bad
input (a run folder missing or malformed; with --out, compare.md and compare.json then say why).`;

/** A run id as a path segment: meta.json is input, so nothing in it may steer where compare writes. */
function idPart(id: string, dir: string): string {
  const clean = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return clean === '' ? basename(dir).replace(/[^A-Za-z0-9._-]/g, '_') : clean;
}

runMain(async () => {
  const args = parseCompareArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    const base = args.base.map((d) => loadRun(d, { writeMissingSummary: false }));
    const head = args.head.map((d) => loadRun(d, { writeMissingSummary: false }));
    const result = compareRuns(base, head, args.options);
    const ids = (runs: typeof base): string => runs.map((r) => idPart(String(r.meta.run_id), r.dir)).join('+');
    const out = args.out ?? `results/compare-${ids(base)}-vs-${ids(head)}`;
    const written = writeCompareOutputs(result, out);
    process.stdout.write(written.markdown);
    process.stderr.write(
      `compare folder: ${relative(process.cwd(), out) || out} (compare.md, compare.csv, compare.json, compare.html)\n`,
    );
    const g = result.gate;
    process.stderr.write(
      `gate: ${g.verdict} (exit ${g.exit_code})${g.findings
        .filter((f) => f.blocking)
        .map((f) => `\n  ${f.rule}: ${f.subject}: ${f.figure}`)
        .join('')}\n`,
    );
    return exitCodeOf(result);
  } catch (e) {
    // Whatever stopped it (a bad run folder, an unreadable file, a full disk, a bug), the compare did not
    // happen: exit 2, never 1 (a gate finding), and leave the reason where CI looks for the verdict.
    const message = errorMessage(e);
    if (args.out !== null) {
      try {
        writeCompareError(message, args.out);
      } catch {
        // the error line on stderr still says why; an unwritable --out must not hide it
      }
    }
    throw isUserError(e) ? e : new UserError(`compare could not run: ${message}`);
  }
});
