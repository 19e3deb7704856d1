import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../helpers/run-cli.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const BASE = join(FIXTURES, 'compare-base');
const HEAD = join(FIXTURES, 'compare-head');

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kab-compare-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A copy of a fixture run with another run_id, optionally edited. */
function copyRun(from: string, to: string, runId: string, edit?: (samples: string) => string): string {
  cpSync(from, to, { recursive: true });
  const metaPath = join(to, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(metaPath, JSON.stringify({ ...meta, run_id: runId }));
  if (edit) writeFileSync(join(to, 'samples.csv'), edit(readFileSync(join(to, 'samples.csv'), 'utf8')));
  return to;
}

test('compare of the fixtures: exit 1 (a regression), Markdown on stdout and in compare.md, csv and html written', async (t) => {
  const out = join(tmp(t), 'cmp');
  const r = await runCli('compare', [BASE, HEAD, '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const expected = readFileSync(join(FIXTURES, 'compare-expected', 'compare.md'), 'utf8');
  assert.equal(r.stdout, expected);
  assert.equal(readFileSync(join(out, 'compare.md'), 'utf8'), expected);
  assert.ok(existsSync(join(out, 'compare.csv')));
  const html = readFileSync(join(out, 'compare.html'), 'utf8');
  assert.match(html, /vegaEmbed/);
  assert.match(r.stderr, /compare folder: /);
});

test('exit 0 when nothing regressed: the same data under another run id, or a threshold above the change', async (t) => {
  const dir = tmp(t);
  const copy = copyRun(BASE, join(dir, 'copy'), 'base02');
  const same = await runCli('compare', [BASE, copy, '--out', join(dir, 'o1')]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /\*\*0 regressed · 0 improved · 8 no change · 0 not comparable\*\*/);
  // the regression is +48 % [+45 %, +51 %]: under a 60 % threshold it is no longer one
  const wide = await runCli('compare', [BASE, HEAD, '--threshold', '60%', '--out', join(dir, 'o2')]);
  assert.equal(wide.code, 0, wide.stderr);
  assert.match(wide.stdout, /\*\*0 regressed · 0 improved · 6 no change · 4 not comparable\*\*/);
  // --base/--head with repeated folders: unit run
  const runs = await runCli('compare', ['--base', BASE, '--head', `${copy},${HEAD}`, '--metric', 'total_ms', '--out', join(dir, 'o3')]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, /Unit of replication: \*\*the run\*\*/);
});

test('compare --help exits 0 and documents the options', async () => {
  const r = await runCli('compare', ['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--threshold', '--metric', '--alpha', '--out', '--force-comparable', '--base', '--head']) assert.match(r.stdout, new RegExp(flag));
});

interface Bad {
  name: string;
  args: (dir: string) => string[];
  message: RegExp;
}

const BAD: Bad[] = [
  { name: 'missing folder', args: (d) => [join(d, 'nope'), HEAD], message: /no run folder at .*nope/ },
  {
    name: 'a folder that is not a run',
    args: (d) => {
      mkdirSync(join(d, 'empty'));
      return [join(d, 'empty'), HEAD];
    },
    message: /is not a run folder \(no meta\.json\)/,
  },
  {
    name: 'samples.csv without the total_ms column',
    args: (d) => [copyRun(BASE, join(d, 'cut'), 'cut01', (csv) => csv.split('\n').map((l) => l.split(',').filter((_, i) => i !== 23).join(',')).join('\n')), HEAD],
    message: /samples\.csv: no total_ms values in any successful request \(column missing or empty\)/,
  },
  {
    name: 'samples.csv without the case_key column',
    args: (d) => [copyRun(BASE, join(d, 'nokey'), 'nokey01', (csv) => csv.split('\n').map((l) => l.split(',').filter((_, i) => i !== 2).join(',')).join('\n')), HEAD],
    message: /samples\.csv: missing column case_key/,
  },
  {
    name: 'meta.json that is not JSON',
    args: (d) => {
      const dir = copyRun(BASE, join(d, 'badmeta'), 'x');
      writeFileSync(join(dir, 'meta.json'), '{"run_id": ');
      return [dir, HEAD];
    },
    message: /meta\.json is not valid JSON/,
  },
  {
    name: 'a non-numeric measurement',
    args: (d) => [copyRun(BASE, join(d, 'nan'), 'nan01', (csv) => csv.replace(',9.5,10.0,200,', ',9.5,ten,200,')), HEAD],
    message: /samples\.csv line 3: total_ms "ten" is not a number/,
  },
  { name: 'one folder only', args: () => [BASE], message: /give a base and a head run folder \(got 1 folder\)/ },
  { name: 'the same run twice', args: () => [BASE, BASE], message: /run base01 is given twice/ },
  { name: 'bad threshold', args: () => [BASE, HEAD, '--threshold', 'lots'], message: /--threshold must be a percentage/ },
  { name: 'bad alpha', args: () => [BASE, HEAD, '--alpha', '5'], message: /--alpha must be a number between 0 and 1/ },
  { name: 'unknown metric', args: () => [BASE, HEAD, '--metric', 'ttfb_ms,speed'], message: /unknown --metric "speed"/ },
  { name: 'unknown option', args: () => [BASE, HEAD, '--frobnicate'], message: /Unknown option '--frobnicate'/ },
];

for (const b of BAD) {
  test(`compare with ${b.name} → one line, exit 2`, async (t) => {
    const dir = tmp(t);
    const r = await runCli('compare', [...b.args(dir), '--out', join(dir, 'out')]);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
    assert.match(lines[0] ?? '', /^error: /);
    assert.match(lines[0] ?? '', b.message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(join(dir, 'out')), 'nothing written on bad input');
  });
}
