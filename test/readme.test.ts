/**
 * The README is a contract: every flag, npm script, file path and result file it names must exist in the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFINITIONS } from '../bench/scenarios/definitions.ts';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Flags the README names that belong to other programs, with whose they are. */
const FOREIGN_FLAGS: Record<string, string> = { import: 'node --import tsx', nofile: 'prlimit --nofile' };

function optionSources(): string {
  const dirs = ['scripts', 'scripts/gate', 'report', 'report/compare'];
  return dirs
    .flatMap((d) =>
      readdirSync(join(ROOT, d))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => readFileSync(join(ROOT, d, f), 'utf8')),
    )
    .join('\n');
}

test('every --flag the README names is an option of one of the commands', () => {
  const sources = optionSources();
  const flags = [...new Set([...README.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))];
  assert.ok(flags.length > 20, `found only ${flags.length} flags: the pattern is wrong`);
  const missing = flags.filter((f) => !(f in FOREIGN_FLAGS) && !new RegExp(`(['"]?)${f}\\1: \\{ *type`).test(sources));
  assert.deepEqual(missing, [], `README names flags no command defines: ${missing.map((f) => `--${f}`).join(', ')}`);
});

test('every npm script the README names is in package.json', () => {
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
  );
  const named = [...new Set([...README.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]!))];
  assert.ok(named.includes('bench') && named.includes('compare'));
  const missing = named.filter((n) => !scripts.includes(n));
  assert.deepEqual(missing, []);
});

test('every source path the README names exists', () => {
  const paths = [
    ...new Set(
      [
        ...README.matchAll(
          /(?<![\w/@-])((?:bench|lib|netem|servers|report|scripts|test)\/[A-Za-z0-9_./<>-]*[A-Za-z0-9_/>])/g,
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

test('"What a run writes" lists every CSV file a scenario declares', () => {
  const section = README.split('## What a run writes')[1]?.split('\n## ')[0] ?? '';
  assert.ok(section.includes('samples.csv'), 'the section is missing');
  const files = DEFINITIONS.flatMap((d) => Object.keys(d.csvFiles).map((name) => `${name}.csv`));
  assert.ok(files.length >= 6);
  const missing = files.filter((f) => !section.includes(`\`${f}\``));
  assert.deepEqual(missing, []);
});

test('each claim C1–C12 is measured by a scenario definition, and the README names every scenario that measures it', () => {
  const answers = README.slice(README.indexOf('## What it answers'), README.indexOf('## Scenarios'));
  for (let i = 1; i <= 12; i++) {
    const owners = DEFINITIONS.filter((d) => d.claims.includes(`C${i}`)).map((d) => d.name);
    assert.ok(owners.length >= 1, `C${i}: no scenario`);
    for (const o of owners) assert.ok(answers.includes(`\`${o}\``), `C${i}: the README's claim table lacks ${o}`);
  }
});

test('no placeholder is left in the README', () => {
  assert.deepEqual(README.match(/@@[A-Z_]+@@|\bTODO\b|\bTBD\b/g) ?? [], []);
});
