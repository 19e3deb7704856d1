/**
 * Runs the test files (test/**\/*.test.ts) with node's built-in test runner (Node 20's --test does not glob .ts),
 * one file at a time. Groups: unit (pure, seconds), report (the report and compare, from fixture runs), e2e
 * (privileged or whole runs: namespaces, the links, the user-mode kernel). `npm test` runs them all.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runMain, versionHelp } from './cli.ts';

const GROUPS = ['unit', 'report', 'e2e'] as const;
type Group = (typeof GROUPS)[number];

const HELP = `npm test [-- [--unit | --report | --e2e] [<substring> …]]

Runs every test file (test/**/*.test.ts), or one group of them, or the files whose path contains one of the
substrings (e.g. \`npm test -- netem\`).

  --unit     pure tests, seconds: statistics, parsers, models, plans, the compare rules on in-memory runs
  --report   the report and compare built from fixture runs
  --e2e      tests that need root or run the harness: namespaces, the links, signals, the user-mode kernel
  --list     print the selected files with their group instead of running them
  -h, --help this help
  ${versionHelp(11)}

Unknown options, and a substring no test file's path contains, are refused (exit 2) before anything runs.

Privileged tests skip without root unless KAB_REQUIRE_PRIVILEGED=1 (CI), which turns a skip into a failure.`;

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** What makes a test file e2e: privileges, a whole run of a script (or of the packed command), a link, a server or agent process. */
const E2E_CALLS =
  /\b(requirePrivileged|runCli|startCli|runPackedCommand|runNetemSuite|openTunLink|openTcLink|openProxyLink|openNoneLink|openLink|startServer|startCommandServer|startLbServer|startAgent|startCrowdAgent|startLifecycleAgent)\s*\(|\bLinkProbe\.start\b/;

/** A file's group: by its folder (report), else by what it calls. */
function groupOf(file: string, source: string): Group {
  if (file.startsWith('test/report/')) return 'report';
  return E2E_CALLS.test(source) ? 'e2e' : 'unit';
}

function main(): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: {
        unit: { type: 'boolean' },
        report: { type: 'boolean' },
        e2e: { type: 'boolean' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message.split('\n')[0]} (see npm test -- --help)\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const groups = GROUPS.filter((g) => parsed.values[g]);
  const filters = parsed.positionals;
  const all = findTests('test').map((f) => relative(process.cwd(), f));
  const group = new Map(all.map((f) => [f, groupOf(f, readFileSync(f, 'utf8'))]));
  const inGroups = all.filter((f) => groups.length === 0 || groups.includes(group.get(f) ?? 'unit'));
  // A mistyped filter beside a good one would otherwise quietly run less than asked.
  const idle = filters.filter((s) => !inGroups.some((f) => f.includes(s)));
  if (idle.length > 0) {
    process.stderr.write(
      `error: no test file${groups.length ? ` in ${groups.map((g) => `--${g}`).join(' ')}` : ''} matches ${idle.map((s) => `"${s}"`).join(', ')} (npm test -- --list shows them)\n`,
    );
    return 2;
  }
  const files = inGroups.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  if (files.length === 0) {
    process.stderr.write(`error: no test files match ${[...groups.map((g) => `--${g}`), ...filters].join(' ')}\n`);
    return 2;
  }
  if (parsed.values.list) {
    process.stdout.write(files.map((f) => `${(group.get(f) ?? '').padEnd(6)} ${f}\n`).join(''));
    return 0;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
    stdio: 'inherit',
  });
  return r.status ?? 1;
}

runMain(async () => main());
