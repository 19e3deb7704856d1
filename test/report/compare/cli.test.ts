import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO, runCli } from '../../helpers/run-cli.ts';

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

test('exit 0 when nothing changed; a lost case fails even under a threshold above the change; few runs are underpowered', async (t) => {
  const dir = tmp(t);
  const copy = copyRun(BASE, join(dir, 'copy'), 'base02');
  // 8 requests per case (a --quick fixture) cannot catch 10 %: underpowered, exit 2 …
  const weak = await runCli('compare', [BASE, copy, '--out', join(dir, 'o0')]);
  assert.equal(weak.code, 2, weak.stderr);
  assert.match(weak.stdout, /### Gate: ⚠️ \*\*underpowered\*\* \(exit 2\)/);
  assert.match(
    weak.stdout,
    /underpowered: 8 samples per case catch changes ≥ \d+\.\d % \(median\), not the 10 % \(twice the threshold\) a gate must; measure both sides with `npm run bench -- --ci`/,
  );
  // … which --allow-underpowered accepts
  const same = await runCli('compare', [BASE, copy, '--allow-underpowered', '--out', join(dir, 'o1')]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /\*\*0 regressed · 0 improved · 8 no change · 0 not comparable\*\*/);
  assert.match(same.stdout, /### Gate: ✅ \*\*pass\*\* \(exit 0\)/);
  const json = JSON.parse(readFileSync(join(dir, 'o1', 'compare.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(json.verdict, 'pass');
  assert.equal(json.exit_code, 0);
  // the regression is +48 % [+45 %, +51 %]: under a 60 % threshold it is no longer one, but the head still
  // lost a case the base had (and has one the base lacks)
  const wide = await runCli('compare', [BASE, HEAD, '--threshold', '60%', '--out', join(dir, 'o2')]);
  assert.equal(wide.code, 1, wide.stderr);
  assert.match(wide.stdout, /\*\*0 regressed · 0 improved · 6 no change · 4 not comparable\*\*/);
  assert.match(
    wide.stdout,
    /\| cases lost \| yes \| `1 case` \| in base, missing from head: handshake\/protocol=h1\/security=none\/conn_mode=resumed/,
  );
  assert.match(wide.stderr, /gate: fail \(exit 1\)\n  lost_cases: /);
  // --base/--head with repeated folders: unit run; one base and two head runs cannot reach a p below 0.05
  const runs = await runCli('compare', [
    '--base',
    BASE,
    '--head',
    `${copy},${HEAD}`,
    '--metric',
    'total_ms',
    '--allow-not-comparable',
    '--out',
    join(dir, 'o3'),
  ]);
  assert.match(runs.stdout, /Unit of replication: \*\*the run\*\*/);
  assert.equal(runs.code, 1, 'the head run that lost a case still fails');
  const runsAa = await runCli('compare', [
    '--base',
    BASE,
    '--head',
    `${copy},${copyRun(BASE, join(dir, 'copy2'), 'base03')}`,
    '--metric',
    'total_ms',
    '--out',
    join(dir, 'o4'),
  ]);
  assert.equal(runsAa.code, 2, runsAa.stderr);
  assert.match(
    runsAa.stdout,
    /\| underpowered \| yes \| .* \| underpowered: 1 samples per case catch no change at all/,
  );
  const allowed = await runCli('compare', [
    '--base',
    BASE,
    '--head',
    `${copy},${join(dir, 'copy2')}`,
    '--metric',
    'total_ms',
    '--allow-underpowered',
    '--out',
    join(dir, 'o5'),
  ]);
  assert.equal(allowed.code, 0, allowed.stderr);
});

test('compare --help exits 0 and documents the options', async () => {
  const r = await runCli('compare', ['--help']);
  assert.equal(r.code, 0);
  for (const flag of [
    '--threshold',
    '--metric',
    '--alpha',
    '--out',
    '--force-comparable',
    '--allow-not-comparable',
    '--allow-underpowered',
    '--failure-tolerance',
    '--base',
    '--head',
  ]) {
    assert.match(r.stdout, new RegExp(flag));
  }
});

interface Bad {
  name: string;
  args: (dir: string) => string[];
  message: RegExp;
  /** The runs could not be read: compare.md and compare.json in --out say so (argument errors write nothing). */
  writesError?: boolean;
}

const BAD: Bad[] = [
  {
    name: 'missing folder',
    args: (d) => [join(d, 'nope'), HEAD],
    message: /no run folder at .*nope/,
    writesError: true,
  },
  {
    name: 'a folder that is not a run',
    args: (d) => {
      mkdirSync(join(d, 'empty'));
      return [join(d, 'empty'), HEAD];
    },
    message: /is not a run folder \(no meta\.json\)/,
    writesError: true,
  },
  {
    name: 'samples.csv without the total_ms column',
    args: (d) => [
      copyRun(BASE, join(d, 'cut'), 'cut01', (csv) =>
        csv
          .split('\n')
          .map((l) =>
            l
              .split(',')
              .filter((_, i) => i !== 23)
              .join(','),
          )
          .join('\n'),
      ),
      HEAD,
    ],
    message: /samples\.csv: no total_ms values in any successful request \(column missing or empty\)/,
    writesError: true,
  },
  {
    name: 'samples.csv without the case_key column',
    args: (d) => [
      copyRun(BASE, join(d, 'nokey'), 'nokey01', (csv) =>
        csv
          .split('\n')
          .map((l) =>
            l
              .split(',')
              .filter((_, i) => i !== 2)
              .join(','),
          )
          .join('\n'),
      ),
      HEAD,
    ],
    message: /samples\.csv: missing column case_key/,
    writesError: true,
  },
  {
    name: 'meta.json that is not JSON',
    args: (d) => {
      const dir = copyRun(BASE, join(d, 'badmeta'), 'x');
      writeFileSync(join(dir, 'meta.json'), '{"run_id": ');
      return [dir, HEAD];
    },
    message: /meta\.json is not valid JSON/,
    writesError: true,
  },
  {
    name: 'a non-numeric measurement',
    args: (d) => [
      copyRun(BASE, join(d, 'nan'), 'nan01', (csv) => csv.replace(',9.5,10.0,200,', ',9.5,ten,200,')),
      HEAD,
    ],
    message: /samples\.csv line 3: total_ms "ten" is not a number/,
    writesError: true,
  },
  { name: 'one folder only', args: () => [BASE], message: /give a base and a head run folder \(got 1 folder\)/ },
  { name: 'the same run twice', args: () => [BASE, BASE], message: /run base01 is given twice/, writesError: true },
  {
    name: 'bad threshold',
    args: () => [BASE, HEAD, '--threshold', 'lots'],
    message: /--threshold must be a percentage/,
  },
  { name: 'bad alpha', args: () => [BASE, HEAD, '--alpha', '5'], message: /--alpha must be a number between 0 and 1/ },
  {
    name: 'unknown metric',
    args: () => [BASE, HEAD, '--metric', 'ttfb_ms,speed'],
    message: /unknown --metric "speed"/,
  },
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
    if (b.writesError) {
      const json = JSON.parse(readFileSync(join(dir, 'out', 'compare.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(json.verdict, 'error');
      assert.equal(json.exit_code, 2);
      assert.match(String(json.error), b.message);
      assert.match(readFileSync(join(dir, 'out', 'compare.md'), 'utf8'), /### Gate: ⛔ \*\*error\*\* \(exit 2\)/);
      assert.ok(!existsSync(join(dir, 'out', 'compare.csv')));
    } else {
      assert.ok(!existsSync(join(dir, 'out')), 'nothing written on bad arguments');
    }
  });
}

test('compare: run ids never steer the default output path; a torn run cannot pass; an empty --out is refused', async (t) => {
  const dir = tmp(t);
  const crafted = copyRun(BASE, join(dir, 'crafted'), '../../../escape', (s) => `${s}${s.split('\n')[1]?.slice(0, 9)}`);
  const r = await runCli('compare', [crafted, HEAD]);
  const folder = /compare folder: (\S+)/.exec(r.stderr)?.[1] ?? '';
  t.after(() => {
    if (folder.startsWith('results/compare-')) rmSync(join(REPO, folder), { recursive: true, force: true });
  });
  assert.match(folder, /^results\/compare-[A-Za-z0-9_][A-Za-z0-9._-]*escape-vs-[A-Za-z0-9._-]+$/, r.stderr);
  assert.match(r.stderr, /run_status: base run \.\.\/\.\.\/\.\.\/escape: completed; samples\.csv cut mid-write/);
  assert.equal(r.code, 1);

  const empty = await runCli('compare', [BASE, HEAD, '--out', '']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /^error: --out needs a folder/);
});
