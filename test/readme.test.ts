/**
 * The README (and docs/) is a contract: every flag, npm script, file path, result file and environment variable it
 * names must exist in the code, and every option, result file and KAB_* variable the code has must be in it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DEFINITIONS } from '../bench/scenarios/definitions.ts';
import { CALIBRATION_COLUMNS } from '../bench/run/folder.ts';
import { SAMPLE_COLUMNS, SUMMARY_COLUMNS } from '../lib/schema.ts';

const ROOT = join(import.meta.dirname, '..');
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');
const README = read('README.md');
/** The Markdown files users read: the README and docs/*.md, by path relative to the repository. */
const MARKDOWN: Record<string, string> = Object.fromEntries(
  [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ].map((f) => [f, read(f)]),
);
const ALL_TEXT = Object.values(MARKDOWN).join('\n');

/** Flags the README names that belong to other programs, with whose they are. */
const FOREIGN_FLAGS: Record<string, string> = {
  import: 'node --import tsx',
  nofile: 'prlimit --nofile',
  silent: 'npm run --silent',
  'ignore-certificate-errors-spki-list': 'chromium (the browser scenario trusts the servers by their keys)',
};

/** Every file under dir (relative to the repository) whose name ends with one of exts. */
function filesUnder(dir: string, exts: readonly string[]): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(ROOT, rel)).isDirectory()) return name === 'node_modules' ? [] : filesUnder(rel, exts);
    return exts.some((e) => name.endsWith(e)) ? [rel] : [];
  });
}

/** The text of a Markdown section: from its heading to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const level = /^#+/.exec(heading)![0].length;
  const start = text.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `the section "${heading}" is missing`);
  const rest = text.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The option names a parseArgs config in these files defines (`name: { type`). */
function optionsIn(files: readonly string[]): string[] {
  const text = files.map(read).join('\n');
  return [...new Set([...text.matchAll(/(?<![\w-])(['"]?)([a-z][a-z0-9-]*)\1: \{ *type/g)].map((m) => m[2]!))];
}

const COMMAND_SOURCES: Record<string, readonly string[]> = {
  bench: ['scripts/bench.ts'],
  report: ['scripts/report.ts'],
  compare: ['scripts/compare.ts', 'report/compare/args.ts'],
  serve: ['scripts/serve.ts'],
  clean: ['scripts/clean.ts'],
  gate: ['scripts/gate.ts', 'scripts/gate/plan.ts'],
};

test('every --flag the README and docs/ name is an option of one of the commands', () => {
  const sources = ['scripts', 'scripts/gate', 'report', 'report/compare']
    .flatMap((d) => filesUnder(d, ['.ts']).filter((f) => dirname(f) === d))
    .map(read)
    .join('\n');
  const flags = [...new Set([...ALL_TEXT.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))];
  assert.ok(flags.length > 20, `found only ${flags.length} flags: the pattern is wrong`);
  const missing = flags.filter((f) => !(f in FOREIGN_FLAGS) && !new RegExp(`(['"]?)${f}\\1: \\{ *type`).test(sources));
  assert.deepEqual(missing, [], `README names flags no command defines: ${missing.map((f) => `--${f}`).join(', ')}`);
});

test("every option of bench, report, compare, serve, clean and gate is in the README's Options", () => {
  const options = section(README, '## Options');
  const missing: string[] = [];
  for (const [command, files] of Object.entries(COMMAND_SOURCES)) {
    const defined = optionsIn(files);
    assert.ok(defined.includes('help'), `${command}: no options found in ${files.join(', ')}: the pattern is wrong`);
    const retired = (f: string): boolean => files.some((file) => read(file).includes(`--${f} is now`));
    for (const f of defined)
      if (!retired(f) && !new RegExp(`--${f}(?![\\w-])`).test(options)) missing.push(`${command} --${f}`);
  }
  assert.deepEqual(missing, [], 'options the README does not document');
});

test('every npm script the README and docs/ name is in package.json', () => {
  const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
  const named = [...new Set([...ALL_TEXT.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]!))];
  assert.ok(named.includes('bench') && named.includes('compare'));
  const missing = named.filter((n) => !scripts.includes(n));
  assert.deepEqual(missing, []);
});

test('every source path the README and docs/ name exists', () => {
  const paths = [
    ...new Set(
      [
        ...ALL_TEXT.matchAll(
          /(?<![\w/@.-])((?:bench|lib|netem|servers|report|scripts|test)\/[A-Za-z0-9_./<>-]*[A-Za-z0-9_/>])/g,
        ),
      ].map((m) => m[1]!),
    ),
  ];
  assert.ok(paths.length > 10, `found only ${paths.length} paths: the pattern is wrong`);
  const expanded = paths.flatMap((p) =>
    p.includes('<name>') ? DEFINITIONS.map((d) => p.replace('<name>', d.name)) : [p],
  );
  const missing = expanded.filter((p) => !existsSync(join(ROOT, p)));
  assert.deepEqual(missing, []);
});

/** A file name the code joins onto a folder: join(folder.dir, 'meta.json'), join(outDir, 'compare.md'), … */
const JOINED_FILE = /join\([^()]*?'([a-z][a-z0-9-]*\.(?:json|csv|md|html))'\s*\)/g;
/** package.json is the harness's own manifest, read for its version, not a result. */
const NOT_RESULTS = new Set(['package.json']);

function joinedFiles(files: readonly string[]): Set<string> {
  const names = files.flatMap((f) => [...read(f).matchAll(JOINED_FILE)].map((m) => m[1]!));
  return new Set(names.filter((n) => !NOT_RESULTS.has(n)));
}

/** The files a run can write into its folder: the harness's own and every CSV a scenario declares. */
function runFilesInCode(): string[] {
  const sources = [...filesUnder('bench', ['.ts']), ...filesUnder('report', ['.ts'])].filter(
    (f) => !f.startsWith('report/compare/'),
  );
  const own = joinedFiles(sources);
  const declared = DEFINITIONS.flatMap((d) => Object.keys(d.csvFiles).map((name) => `${name}.csv`));
  return [...new Set([...own, ...declared])].sort();
}

test('"What a run writes" lists every file a run writes, and only those, one line each', () => {
  const table = section(README, '### What a run writes').split('\nOutside the run folder')[0]!;
  const rows = [...table.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)];
  const listed = rows.map((m) => m[1]!).sort();
  const inCode = runFilesInCode();
  for (const f of ['meta.json', 'samples.csv', 'summary.csv', 'calibration.csv', 'summary.md', 'report.html'])
    assert.ok(inCode.includes(f), `${f}: not found in the code: the pattern is wrong`);
  assert.deepEqual(
    inCode.filter((f) => !listed.includes(f)),
    [],
    'files the code writes that the README does not list',
  );
  assert.deepEqual(
    listed.filter((f) => !inCode.includes(f)),
    [],
    'files the README lists that the code does not write',
  );
  for (const [, file, what] of rows) assert.ok(what!.trim().length > 10, `${file}: no description`);
});

test("the files compare and gate write are named in the README's Comparing in CI", () => {
  const written = joinedFiles([...filesUnder('report/compare', ['.ts']), 'scripts/gate.ts']);
  assert.ok(written.has('compare.json') && written.has('gate.json'), 'the pattern is wrong');
  const ci = section(README, '## Comparing in CI');
  assert.deepEqual(
    [...written].filter((f) => !ci.includes(`\`${f}\``)),
    [],
  );
});

test('each claim C1–C12 is measured by a scenario definition, and the README names every scenario that measures it', () => {
  const answers = section(README, '## What it answers');
  for (let i = 1; i <= 12; i++) {
    const owners = DEFINITIONS.filter((d) => d.claims.includes(`C${i}`)).map((d) => d.name);
    assert.ok(owners.length >= 1, `C${i}: no scenario`);
    const row = answers.split('\n').find((l) => l.startsWith(`| C${i} `));
    assert.ok(row, `C${i}: no row in the README's claim table`);
    for (const o of owners) assert.ok(row.includes(`\`${o}\``), `C${i}: the README's claim table lacks ${o}`);
  }
});

/** The KAB_* environment variables the code reads (process.env.KAB_X, env.KAB_X, envNumber('KAB_X', …)). */
function envVarsRead(): string[] {
  const files = ['bench', 'lib', 'netem', 'servers', 'report', 'scripts', 'bin', 'test/helpers'].flatMap((d) =>
    filesUnder(d, ['.ts', '.mts', '.mjs']),
  );
  const patterns = [
    /\benv\.(KAB_[A-Z0-9_]+)/g,
    /\benv\[['"](KAB_[A-Z0-9_]+)['"]\]/g,
    /\benvNumber\(\s*['"](KAB_[A-Z0-9_]+)['"]/g,
  ];
  const text = files.map(read).join('\n');
  return [...new Set(patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!)))].sort();
}

test('every KAB_* environment variable the code reads is documented in the README, and no other', () => {
  const read_ = envVarsRead();
  for (const v of ['KAB_DEBUG', 'KAB_LIFECYCLE_PARTS', 'KAB_TUN_SPIN_MS'])
    assert.ok(read_.includes(v), `${v}: not found in the code: the pattern is wrong`);
  const table = section(README, '### Environment variables');
  assert.deepEqual(
    read_.filter((v) => !table.includes(`\`${v}`)),
    [],
    'variables the README does not document',
  );
  const named = [...new Set([...README.matchAll(/\bKAB_[A-Z0-9_]+/g)].map((m) => m[0]))];
  const everything = [...filesUnder('scripts', ['.sh']), 'package.json', 'action.yml'].map(read).join('\n');
  assert.deepEqual(
    named.filter((v) => !read_.includes(v) && !everything.includes(v)),
    [],
    'variables the README names that nothing reads',
  );
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    let slug = base;
    for (let i = 1; out.has(slug); i++) slug = `${base}-${i}`;
    out.add(slug);
  }
  return out;
}

test('every relative link in the README and docs/ points at a file of this repository (and a heading it has)', () => {
  const broken: string[] = [];
  for (const [file, text] of Object.entries(MARKDOWN)) {
    const unfenced = text.replace(/^```[\s\S]*?^```$/gm, '');
    for (const [, target] of unfenced.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const abs = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), path);
      const rel = relative(ROOT, abs);
      if (rel.startsWith('..') || rel.split(sep)[0] === 'node_modules') broken.push(`${file}: ${target} (outside)`);
      else if (!existsSync(abs)) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor !== undefined && !anchors(readFileSync(abs, 'utf8')).has(anchor))
        broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

test('docs/methods.md describes every column of samples.csv, summary.csv and calibration.csv', () => {
  const methods = MARKDOWN['docs/methods.md'];
  assert.ok(methods, 'docs/methods.md is missing');
  const columns = [...Object.keys(SAMPLE_COLUMNS), ...Object.keys(SUMMARY_COLUMNS), ...CALIBRATION_COLUMNS];
  assert.deepEqual(
    [...new Set(columns)].filter((c) => !methods.includes(`\`${c}\``)),
    [],
  );
});

test('the Node.js the README requires is the one package.json engines says, and at least 20.6', () => {
  const engines = (JSON.parse(read('package.json')) as { engines?: { node?: string } }).engines?.node ?? '';
  const m = /^>=\s*(\d+)\.(\d+)(?:\.\d+)?$/.exec(engines);
  assert.ok(m, `engines.node is "${engines}", not ">=X.Y"`);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  assert.ok(major > 20 || (major === 20 && minor >= 6), `engines.node ${engines}: node --import tsx needs 20.6`);
  assert.match(section(README, '## Requirements'), new RegExp(`Node\\.js ≥ ${major}\\.${minor}\\b`));
});

test('the package has a licence: the licence field names the LICENSE file that is there', () => {
  const license = (JSON.parse(read('package.json')) as { license?: string }).license;
  assert.equal(license, 'MIT');
  assert.ok(existsSync(join(ROOT, 'LICENSE')), 'LICENSE is missing');
  const text = read('LICENSE');
  assert.match(text, /^MIT License\n/);
  assert.match(text, /^Copyright \(c\) \d{4} the keepalive-bench authors$/m);
  assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS"/);
  assert.match(README, /\[MIT\]\(LICENSE\)/);
});

test('no placeholder is left in the README or docs/', () => {
  assert.deepEqual(ALL_TEXT.match(/@@[A-Z_]+@@|\bTODO\b|\bTBD\b/g) ?? [], []);
});
