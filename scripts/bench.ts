/** `npm run bench` — measure, write results/<run>/, print the verdict table and the paths (or one JSON document). */
import { join, relative } from 'node:path';
import { runBench } from '../bench/runner.ts';
import { buildReportDetailed, type BuiltReportDetail } from '../report/build.ts';
import { runJson } from '../report/json.ts';
import { loadRun, type RunFolder } from '../report/load-run.ts';
import { buildModel, type ReportModel } from '../report/model.ts';
import { terminalWidth, verdictTableLines } from '../report/terminal.ts';
import { harnessVersion } from '../lib/package-dir.ts';
import { errorMessage } from '../lib/errors.ts';
import { claimSignals, signalExitCode } from '../lib/signals.ts';
import { handshakeHeadline } from '../bench/headline.ts';
import { UserError } from '../lib/errors.ts';
import { wholeNumberFlag } from '../lib/flag-numbers.ts';
import { Progress } from '../lib/progress.ts';
import { DEFINITIONS, defaultScenarioNames, scenarioNames } from '../bench/scenarios/definitions.ts';
import { needsInBrief } from '../bench/scenarios/needs.ts';
import { scenarioProfiles, type BenchOptions, type SizeName } from '../bench/scenarios/types.ts';
import { listProfiles, parseProfiles } from '../netem/profiles.ts';
import { LINK_BACKENDS, type LinkChoice } from '../netem/link.ts';
import { linkAvailability } from '../netem/select.ts';
import { parseCliArgs, runMain, versionHelp } from './cli.ts';
import { parseTarget } from '../bench/remote-target.ts';
import {
  DEFAULT_START_TIMEOUT_S,
  parseLbIdleTimeout,
  parsePath,
  parsePaths,
  parseServerCommand,
} from '../bench/server-command-flags.ts';

const HELP = `npm run bench -- [options]

Measures what HTTP keep-alive, pipelining and HTTP/2 multiplexing save on an emulated link, and writes
results/<run>/ (meta.json, samples.csv, calibration.csv, summary.csv, report.html); results/latest points at
the newest. With no flags: every scenario (claims C1–C12) at the standard size, about 5 minutes on 2 cores.
Ends with the verdict table (claim, verdict and its evidence, key figure; claims not measured with the
command that would) and the paths of the run folder and the report.

Sizes (one of):
  (default)           standard: every claim, fewer samples and profiles than --full
  --quick             a smoke run for CI, under a minute: every scenario, the fewest samples that still
                      give each claim a figure; precision is low and the summary says so
  --ci                a fixed sampling plan with the power to gate a comparison in CI (npm run compare):
                      by default the handshake scenario at lan and wan, 300 / 30 requests per case, about
                      2 minutes; it catches a change of 10 % or more of every handshake case (other
                      scenarios given with --scenario run their standard matrix)
  --full              the whole matrix: every profile, size, congestion control and repetition (~1 h)

Options:
  --scenario <a,b>    scenarios to run (default: all but the opt-in ones, which --full adds, such as browser:
                      Chromium page loads; with --target: those that can run remotely).
                      Known: ${scenarioNames().join(', ')}
  --profile <a,b>     link profiles, each case runs on each (default: each scenario's own for the size;
                      --list shows them)
  --link <backend>    auto | tc | tun | proxy | none (default: auto: tc, else tun, else proxy)
  --rtt <ms>          inline link: round-trip time added (overrides the one --profile, or makes a custom one)
  --jitter <ms>       per-direction delay variation (uniform ±ms, no reordering)
  --loss <pct>        per-direction random packet loss, %
  --rate <rate>       bottleneck rate, e.g. 20mbit, 500kbit
  --queue <packets>   drop-tail queue at the bottleneck
  --mtu <bytes>       link MTU (default 1500)
  --requests <n>      measured requests per case (default: by size; handshake is adaptive, until the 95 %
                      CI of the median is narrower than 2 % of it or 0.5 ms: 3 / 10–30 / 30–300 by size)
  --timeout-ms <ms>   per-request timeout (default 10000)
  --cc <name>         TCP congestion control in both namespaces (tun/tc links; one of the host's
                      net.ipv4.tcp_allowed_congestion_control — unchanged unless --allow-host-cc)
  --allow-host-cc <a,b>  add these (available but not allowed, e.g. cubic) to the HOST's
                      net.ipv4.tcp_allowed_congestion_control for this run, so namespaces may use them;
                      the run says so, records it in meta.json and restores the list at exit
  --slow-start-after-idle 0|1   net.ipv4.tcp_slow_start_after_idle in both namespaces (tun/tc links)
  --out <dir>         results folder (default: results)

Your own server (instead of the harness's):
  --server-cmd "<cmd>"  start this server behind the emulated link, in the server namespace: split like a
                      shell would (quotes), never run through one; HOST and PORT in its environment, {host}
                      and {port} in its arguments replaced; stopped with its whole process group at exit
  --server-port <n>   the port it listens on when its own config fixes it (default: the harness picks one)
  --server-version-cmd "<cmd>"  a command printing its version (e.g. "nginx -v"), recorded in meta.json
  --server-start-timeout <s>  how long its port may take to listen (default ${DEFAULT_START_TIMEOUT_S})
  --target <url>      a server elsewhere, over the real network (no emulation): http[s]://host:port
  --path <path>       the small request on your server or target (default with --server-cmd: /); its size is
                      learned with one GET before the run
  --paths <a,b,…>     responses of several sizes on your server or target (each size learned with one GET):
                      slow start measures on these sizes instead of its own
  --slow-path <path>  a slow response on your server or target (e.g. one that waits 200 ms): head-of-line
                      blocking sends it first, with fast requests (--path) behind it
  --lb-idle-timeout <t>  put the harness's load balancer in front of your server with this upstream idle
                      timeout (e.g. 60s, 500ms, 2m): the policy scenario races it against your server's own
                      idle timeout and counts 502s and resets per 1 000 requests (C8)
  --protocol h1|h2    what your server or target speaks (default h1)
  --tls               your server speaks HTTPS (with --server-cmd; a --target's scheme says it)
  --ca <pem>          the certificate (or its CA) to trust for your server or an https target (e.g. what
                      \`npm run serve -- --tls\` wrote); --servername <name> to check it against
  Scenarios your server cannot serve (they need the harness's routes, counters or settings) are skipped
  with the reason; --list shows what each needs.

Output:
  --json              stdout carries one JSON document and nothing else: the run's status, paths, verdicts,
                      headline figures, link and environment (docs/json.md); the rest goes to stderr.
                      Through npm use npm run -s bench -- --json (npm prints its own banner on stdout)
  --quiet             only the verdict table and the paths (no progress, no per-profile notes, no headline);
                      warnings and errors still go to stderr
  --list              list scenarios, profiles and link backends (and which work here), then exit
  -h, --help          this help
  ${versionHelp(20)}

Exit codes: 0 done, 1 failed, 2 bad usage or a missing privilege/kernel feature, 130/143 interrupted.`;

/** An empty --out would write the run into the current folder (results/ resolved from ''): refuse it. */
function outFolder(v: string | undefined): string {
  if (v === undefined) return 'results';
  if (v.trim() === '') throw new UserError('--out needs a folder (e.g. --out results), got an empty string');
  return v;
}

/** Node turns a timer above 2^31 − 1 ms into 1 ms: every request would time out at once. */
const MAX_TIMEOUT_MS = 600_000;
const MAX_REQUESTS = 1_000_000;

function parseCc(v: string | undefined): string | null {
  if (v === undefined) return null;
  if (!/^[a-z0-9_]+$/.test(v))
    throw new UserError(`--cc must be a congestion control name such as bbr or reno, got "${v}"`);
  return v;
}

function parseSsai(v: string | undefined): 0 | 1 | null {
  if (v === undefined) return null;
  if (v !== '0' && v !== '1') throw new UserError(`--slow-start-after-idle must be 0 or 1, got "${v}"`);
  return v === '1' ? 1 : 0;
}

function parseAllowHostCc(v: string | undefined, remote: boolean): string[] {
  if (v === undefined) return [];
  if (remote) throw new UserError('--allow-host-cc changes this host for emulated links; it does not go with --target');
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UserError('--allow-host-cc needs congestion control names, e.g. cubic');
  for (const cc of list)
    if (!/^[a-z0-9_]+$/.test(cc)) throw new UserError(`--allow-host-cc: not a congestion control name: "${cc}"`);
  if (process.getuid?.() !== 0)
    throw new UserError(
      "--allow-host-cc changes the host's net.ipv4.tcp_allowed_congestion_control: it needs root (run with sudo)",
    );
  return list;
}

/** Which server flags go with which: --server-cmd and --target are two ways to name the server under test. */
function checkServerFlags(v: Record<string, string | boolean | undefined>): void {
  if (v['target-protocol'] !== undefined)
    throw new UserError('--target-protocol is now --protocol (it also applies to --server-cmd)');
  if (v['server-cmd'] !== undefined && v.target !== undefined)
    throw new UserError('--server-cmd starts your server behind the link, --target reaches one elsewhere: choose one');
  for (const f of ['server-port', 'server-version-cmd', 'server-start-timeout', 'tls'] as const) {
    if (v[f] !== undefined && v['server-cmd'] === undefined) throw new UserError(`--${f} goes with --server-cmd`);
  }
  for (const f of ['protocol', 'ca', 'servername', 'path', 'paths', 'slow-path'] as const) {
    if (v[f] !== undefined && v.target === undefined && v['server-cmd'] === undefined)
      throw new UserError(`--${f} goes with --server-cmd or --target`);
  }
}

/** The bench's options, and how the script prints its outcome. */
export interface BenchCli {
  bench: BenchOptions;
  /** --json: one JSON document on stdout, everything else on stderr. */
  json: boolean;
  /** --quiet: only the verdict table and the paths. */
  quiet: boolean;
}

export function parseBenchArgs(argv: string[]): BenchCli | 'help' | 'list' {
  const { values: v } = parseCliArgs({
    args: argv,
    allowPositionals: false,
    options: {
      scenario: { type: 'string' },
      profile: { type: 'string' },
      link: { type: 'string' },
      rtt: { type: 'string' },
      jitter: { type: 'string' },
      loss: { type: 'string' },
      rate: { type: 'string' },
      queue: { type: 'string' },
      mtu: { type: 'string' },
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      ci: { type: 'boolean' },
      requests: { type: 'string' },
      'timeout-ms': { type: 'string' },
      cc: { type: 'string' },
      target: { type: 'string' },
      'server-cmd': { type: 'string' },
      'server-port': { type: 'string' },
      'server-version-cmd': { type: 'string' },
      'server-start-timeout': { type: 'string' },
      'lb-idle-timeout': { type: 'string' },
      'slow-path': { type: 'string' },
      path: { type: 'string' },
      paths: { type: 'string' },
      protocol: { type: 'string' },
      tls: { type: 'boolean' },
      'target-protocol': { type: 'string' },
      ca: { type: 'string' },
      servername: { type: 'string' },
      'slow-start-after-idle': { type: 'string' },
      'allow-host-cc': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (v.help) return 'help';
  checkServerFlags(v);
  if (v.list && (v.json || v.quiet))
    throw new UserError('--list prints text and ends there: leave out --json and --quiet');
  if (v.list) return 'list';
  const link = (v.link ?? 'auto') as LinkChoice;
  if (link !== 'auto' && !(LINK_BACKENDS as readonly string[]).includes(link)) {
    throw new UserError(`unknown --link "${v.link}"; choose auto, ${LINK_BACKENDS.join(', ')}`);
  }
  const inline = { rtt: v.rtt, jitter: v.jitter, loss: v.loss, rate: v.rate, queue: v.queue, mtu: v.mtu };
  const hasInline = Object.values(inline).some((x) => x !== undefined);
  const profileSpec = v.profile ?? (hasInline ? '' : null);
  const sizes = (['quick', 'ci', 'full'] as const).filter((f) => v[f]);
  if (sizes.length > 1)
    throw new UserError(`${sizes.map((f) => `--${f}`).join(' and ')} are different sizes: choose one`);
  const size: SizeName = sizes[0] ?? 'standard';
  const defaultScenarios = defaultScenarioNames(size, v.target !== undefined);
  const scenarios =
    v.scenario === undefined
      ? defaultScenarios
      : v.scenario
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  if (scenarios.length === 0) throw new UserError('--scenario is empty; known: ' + scenarioNames().join(', '));
  const twice = scenarios.find((s, i) => scenarios.indexOf(s) !== i);
  if (twice !== undefined) throw new UserError(`--scenario names ${twice} twice`);
  for (const s of scenarios) {
    if (!scenarioNames().includes(s))
      throw new UserError(`unknown scenario "${s}"; known: ${scenarioNames().join(', ')}`);
  }
  if (v['lb-idle-timeout'] !== undefined && !scenarios.includes('policy'))
    throw new UserError('--lb-idle-timeout is measured by the policy scenario: add policy to --scenario');
  const bench: BenchOptions = {
    scenarios,
    profiles: profileSpec === null ? null : parseProfiles(profileSpec, inline),
    link,
    quick: size === 'quick',
    size,
    requests: wholeNumberFlag('requests', v.requests, null, { min: 1, max: MAX_REQUESTS }),
    out: outFolder(v.out),
    request_timeout_ms: wholeNumberFlag('timeout-ms', v['timeout-ms'], 10_000, { min: 1, max: MAX_TIMEOUT_MS }),
    target:
      v.target === undefined
        ? null
        : parseTarget(v.target, { protocol: v.protocol, ca: v.ca, servername: v.servername }),
    server_command:
      v['server-cmd'] === undefined
        ? null
        : parseServerCommand({
            command: v['server-cmd'],
            port: v['server-port'],
            version: v['server-version-cmd'],
            start_timeout: v['server-start-timeout'],
            protocol: v.protocol,
            tls: v.tls,
            ca: v.ca,
            servername: v.servername,
          }),
    path: v.path !== undefined ? parsePath('path', v.path) : v['server-cmd'] !== undefined ? '/' : null,
    paths: v.paths === undefined ? null : parsePaths(v.paths),
    slow_path: v['slow-path'] === undefined ? null : parsePath('slow-path', v['slow-path']),
    lb_idle_timeout_ms: parseLbIdleTimeout(v['lb-idle-timeout']),
    congestion_control: parseCc(v.cc),
    slow_start_after_idle: parseSsai(v['slow-start-after-idle']),
    allow_host_cc: parseAllowHostCc(v['allow-host-cc'], v.target !== undefined),
    argv,
  };
  return { bench, json: v.json === true, quiet: v.quiet === true };
}

async function printList(): Promise<void> {
  const out: string[] = ['Scenarios:'];
  for (const s of DEFINITIONS) {
    const bySize = (size: SizeName): string => scenarioProfiles(s, size).join(', ');
    out.push(
      `  ${s.name.padEnd(12)} ${s.title}${s.claims.length ? ` (${s.claims.join(', ')})` : ''}${s.remoteCapable ? ' [runs against --target]' : ''}${s.ciPlan ? ' [--ci]' : ''}${s.optIn ? ' [opt-in: --scenario or --full]' : ''}`,
    );
    out.push(
      `  ${''.padEnd(12)} profiles: --quick ${bySize('quick')}; --ci ${bySize('ci')}; default ${bySize('standard')}; --full ${bySize('full')}`,
    );
    out.push(`  ${''.padEnd(12)} needs: ${needsInBrief(s.needs)}`);
  }
  out.push('', 'Profiles:');
  for (const p of listProfiles()) {
    const x = p.params;
    out.push(
      `  ${p.name.padEnd(17)} rtt ${x.rtt_ms} ms, jitter ${x.jitter_ms} ms, loss ${x.loss_pct} %, rate ${x.rate_mbit === null ? 'unlimited' : `${x.rate_mbit} Mbit/s`} — ${p.source}`,
    );
  }
  out.push('', 'Link backends (here):');
  const avail = await linkAvailability();
  for (const b of LINK_BACKENDS)
    out.push(`  ${b.padEnd(6)} ${avail[b] === null ? 'available' : `unavailable: ${avail[b]}`}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/**
 * The report of a finished run, from its files alone (as `npm run report` would build it later); a report that
 * fails is a warning, not a failed run.
 */
async function buildRunReport(runDir: string, warn: (message: string) => void): Promise<BuiltReportDetail | null> {
  try {
    return await buildReportDetailed(runDir);
  } catch (e) {
    warn(
      `the report could not be built (${errorMessage(e)}); the run's files are complete — try npm run report -- ${runDir}`,
    );
    return null;
  }
}

/** The run read back, and the report's model of it (for the table and --json when the report itself failed). */
function readBack(
  runDir: string,
  report: BuiltReportDetail | null,
  warn: (message: string) => void,
): { run: RunFolder | null; model: ReportModel | null } {
  let run: RunFolder | null = null;
  try {
    run = loadRun(runDir, { writeMissingSummary: false });
  } catch (e) {
    warn(`the run folder could not be read back (${errorMessage(e)})`);
    return { run: null, model: report?.model ?? null };
  }
  if (report) return { run, model: report.model };
  try {
    return { run, model: buildModel(run, new Date()) };
  } catch (e) {
    warn(`the verdicts could not be computed (${errorMessage(e)})`);
    return { run, model: null };
  }
}

/** A path as the user would type it: relative under the current folder, else absolute. */
function shown(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel === '' || rel.startsWith('..') ? p : rel;
}

/** What the bench prints at the end: notes, the verdict table and the paths on `out`; with --json the document. */
function printOutcome(
  cli: BenchCli,
  outcome: Awaited<ReturnType<typeof runBench>>,
  report: BuiltReportDetail | null,
  warnings: string[],
  progress: Progress,
): void {
  const out = cli.json ? process.stderr : process.stdout;
  const warn = (m: string): void => {
    warnings.push(m);
    progress.log(`warning: ${m}`);
  };
  const { run, model } =
    cli.json || report === null ? readBack(outcome.runDir, report, warn) : { run: null, model: report.model };
  if (!cli.quiet) {
    const headline = handshakeHeadline(outcome.summary);
    if (headline) {
      const sizes = [
        ...new Set(outcome.summary.filter((r) => r.scenario === 'handshake').map((r) => String(r.size_bytes))),
      ];
      out.write(`\nhandshake: total time of a ${sizes.join(' / ')} B request (ms)\n${headline}\n`);
    }
    if (cli.bench.quick)
      out.write('\n--quick: a smoke run, fewer samples than the CI target needs; see ci_precise in summary.csv\n');
    if (cli.bench.size === 'ci')
      out.write(
        '\n--ci: gate a change with `npm run compare -- <base run> <head run>` (it prints what these samples can catch)\n',
      );
  }
  if (model) {
    const lines = verdictTableLines(model.verdicts, { width: terminalWidth(out), status: model.status });
    out.write(`\n${lines.join('\n')}\n`);
  }
  out.write(`\nrun folder: ${shown(outcome.runDir)}\n`);
  if (report)
    out.write(
      `report: ${shown(report.htmlPath)} (${(report.bytes / 1024).toFixed(0)} KiB, built in ${report.ms.toFixed(0)} ms)\n`,
    );
  if (cli.json) {
    const doc = runJson({
      folder: outcome.runDir,
      run,
      model,
      report: report ? { html: report.htmlPath, summary_md: report.mdPath } : null,
      status: outcome.status,
      version: harnessVersion(),
      warnings,
    });
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  }
}

runMain(async () => {
  const cli = parseBenchArgs(process.argv.slice(2));
  if (cli === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (cli === 'list') {
    // As root --list probes the tc backend on a throw-away namespace: a Ctrl-C then exits through
    // process.exit, whose exit hook removes it (the default signal action would skip that).
    const release = claimSignals((signal) => process.exit(signalExitCode(signal)));
    await printList();
    release();
    return 0;
  }
  const opts = cli.bench;
  const progress = new Progress(process.stderr, cli.quiet);
  // Claimed before the run, under the runner's own handler: once the run has torn down and released it, a
  // signal only loses the report (written through a temporary file and a rename: no half page is left).
  let runDir: string | null = null;
  const releaseSignals = claimSignals((signal) => {
    progress.log(
      `${signal} while writing the report: the run's files are complete; build it with npm run report -- ${runDir ?? join(opts.out, 'latest')}`,
    );
    process.exit(signalExitCode(signal));
  });
  const warnings: string[] = [];
  let outcome: Awaited<ReturnType<typeof runBench>>;
  let report: BuiltReportDetail | null;
  try {
    outcome = await runBench(opts, progress);
    runDir = outcome.runDir;
    report = await buildRunReport(outcome.runDir, (m) => {
      warnings.push(m);
      progress.log(`warning: ${m}`);
    });
  } finally {
    releaseSignals();
  }
  printOutcome(cli, outcome, report, warnings, progress);
  return 0;
});
