import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { readCsv } from '../../lib/csv-file.ts';
import { casesFor } from '../../bench/scenarios/handshake/scenario.ts';

const BAD: Array<[string[], RegExp]> = [
  [['--scenario', 'nope'], /unknown scenario "nope"/],
  [['--profile', 'mars'], /unknown profile/i],
  [['--link', 'carrier-pigeon'], /unknown --link "carrier-pigeon"/],
  [['--rtt', '-5'], /rtt/i],
  [['--rtt', 'abc'], /rtt/i],
  [['--loss', '101'], /loss/i],
  [['--rate', 'fast'], /rate/i],
  [['--requests', '0'], /--requests must be a whole number from 1 to 1000000/],
  [['--timeout-ms', '1.5'], /--timeout-ms must be a whole number from 1 to 600000/],
  [['--frobnicate'], /Unknown option '--frobnicate'/],
  [['--quick', '--full'], /--quick and --full are different sizes: choose one/],
  [['--ci', '--quick'], /--quick and --ci are different sizes: choose one/],
  [['--allow-host-cc', 'cu bic'], /--allow-host-cc: not a congestion control name/],
  [['--allow-host-cc', 'cubic', '--target', 'http://127.0.0.1:8080'], /does not go with --target/],
  [['--list', '--json'], /--list prints text and ends there: leave out --json and --quiet/],
];

for (const [args, message] of BAD) {
  test(`bench ${args.join(' ')} → one line, exit 2`, async () => {
    const r = await runCli('bench', args, 60_000);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
    assert.match(lines[0] ?? '', /^error: /);
    assert.match(lines[0] ?? '', message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('bench --help documents the options and exits 0', async () => {
  const r = await runCli('bench', ['--help'], 60_000);
  assert.equal(r.code, 0);
  for (const flag of [
    '--scenario',
    '--profile',
    '--link',
    '--quick',
    '--full',
    '--requests',
    '--out',
    '--allow-host-cc',
  ])
    assert.match(r.stdout, new RegExp(flag));
});

test('a quick handshake run on loopback (new vs reused only) writes meta.json, samples.csv and summary.csv', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kab-run-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const requests = 3;
  const r = await runCli(
    'bench',
    [
      '--scenario',
      'handshake',
      '--profile',
      'loopback',
      '--link',
      'none',
      '--requests',
      String(requests),
      '--quick',
      '--out',
      out,
    ],
    120_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const runDir = join(out, readlinkSync(join(out, 'latest')));
  assert.match(r.stdout, /run folder: /);
  for (const f of ['meta.json', 'samples.csv', 'summary.csv', 'calibration.csv'])
    assert.ok(existsSync(join(runDir, f)), f);

  const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as Record<string, any>;
  assert.deepEqual(meta.status, { kind: 'completed' });
  assert.equal(meta.link.backend, 'none');
  assert.ok(meta.machine.kernel && meta.machine.cpu_count > 0 && meta.congestion_control);
  assert.equal(meta.profiles[0].name, 'loopback');

  const cases = casesFor({ quick: true });
  const samples = readCsv(join(runDir, 'samples.csv'));
  const measured = samples.filter((s) => s.warmup === '0');
  assert.equal(measured.length, cases.length * requests);
  assert.ok(samples.every((s) => s.link_backend === 'none' && s.run_id === meta.run_id));
  assert.equal(new Set(samples.map((s) => s.case_key)).size, cases.length);
  const reused = measured.filter((s) => s.conn_mode === 'reused');
  assert.ok(reused.every((s) => s.connect_ms === '0' && s.new_connection === '0'));
  const fresh = measured.filter((s) => s.conn_mode === 'new');
  assert.ok(fresh.every((s) => s.new_connection === '1' && s.conn_seq === '1'));

  const summary = readCsv(join(runDir, 'summary.csv'));
  const totals = summary.filter((s) => s.metric === 'total_ms');
  assert.equal(totals.length, cases.length);
  assert.ok(totals.every((s) => s.n === String(requests) && s.errors === '0' && Number(s.median) > 0));
  // The headline table carries units and sample counts.
  assert.match(r.stdout, /ms \[.*\] n=3/);
  // Then the verdict table, the claims not measured with their command, and the paths last.
  assert.match(r.stdout, /^claim {2}verdict +key figure$/m);
  assert.match(r.stdout, /^C1 +(confirmed|refuted|depends)( · (strong|inconclusive))? +\S/m);
  assert.match(r.stdout, /^not run: C2 \(npm run bench -- --scenario slowstart\)$/m);
  assert.ok(r.stdout.indexOf('handshake: total time') < r.stdout.indexOf('\nclaim  verdict'), 'headline first');
  assert.match(r.stdout, /\nrun folder: .*\nreport: .*report\.html .*\n$/);
  for (const line of r.stdout.slice(r.stdout.indexOf('\nclaim  verdict')).split('\n'))
    assert.ok(line.length <= 120, `a line of the table within 120 columns: ${line}`);
});

const TINY = ['--quick', '--link', 'none', '--profile', 'loopback', '--scenario', 'handshake'];

test('--json: stdout is one JSON document (status, paths, verdicts, headline); progress and the table on stderr', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kab-run-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = await runCli('bench', [...TINY, '--json', '--out', out], 120_000);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as Record<string, any>;
  const runDir = join(out, readlinkSync(join(out, 'latest')));
  assert.equal(doc.schema_version, 1);
  assert.equal(doc.tool.name, 'keepalive-bench');
  assert.deepEqual(doc.status, { kind: 'completed', text: null });
  assert.equal(doc.folder, realpathSync(runDir));
  assert.equal(doc.report.html, join(realpathSync(runDir), 'report.html'));
  assert.ok(existsSync(doc.report.html));
  assert.equal(doc.run_id, JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')).run_id);
  assert.equal(doc.link.backend, 'none');
  assert.equal(doc.verdicts.length, 12);
  assert.ok(['confirmed', 'refuted', 'depends'].includes(doc.verdicts[0].kind), doc.verdicts[0].kind);
  assert.equal(doc.verdicts.find((v: { claim: string }) => v.claim === 'C2').kind, 'not_run');
  assert.ok(doc.headline.handshake.length > 0);
  // Everything else on stderr: progress and notes, the headline, the verdict table, the paths.
  assert.match(r.stderr, /\[loopback\] calibrating the link/);
  assert.match(r.stderr, /\[loopback\] handshake .*\d+\/\d+ +\d+%/);
  assert.match(r.stderr, /handshake: total time of a/);
  assert.match(r.stderr, /^claim {2}verdict +key figure$/m);
  assert.match(r.stderr, /^run folder: /m);
});

test('--quiet: only the verdict table and the paths; no progress, notes or headline', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kab-run-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = await runCli('bench', [...TINY, '--quiet', '--out', out], 120_000);
  assert.equal(r.code, 0, r.stderr);
  // (A warning would still be here, e.g. about what a killed run left: none of the progress or notes is.)
  assert.doesNotMatch(r.stderr, /calibrating|\d+\/\d+ +\d+%|handshake: total time|\[loopback\]/);
  assert.doesNotMatch(r.stdout, /calibrating|handshake: total time|--quick: a smoke run/);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  assert.match(lines[0] ?? '', /^claim {2}verdict +key figure$/);
  assert.ok(
    lines.slice(1, -2).every((l) => /^(C\d+ +\S|not run: C\d+)/.test(l)),
    `only verdict lines between the header and the paths:\n${r.stdout}`,
  );
  assert.match(lines.at(-2) ?? '', /^run folder: /);
  assert.match(lines.at(-1) ?? '', /^report: /);
});

test('a scenario whose needs the link does not meet is skipped before it runs: no rows, the reason in meta and report', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'kab-run-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const r = await runCli(
    'bench',
    ['--scenario', 'slowstart', '--profile', 'loopback', '--link', 'none', '--quick', '--out', out],
    120_000,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /slowstart skipped: needs a link that carries real packets/);
  const runDir = join(out, readlinkSync(join(out, 'latest')));
  const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as Record<string, any>;
  assert.deepEqual(meta.status, { kind: 'completed' });
  assert.equal(meta.scenario_skips.length, 1);
  assert.match(meta.scenario_skips[0].reason, /^needs .*real packets.*; .*namespaces.*; .*per-run sysctls/);
  assert.equal(readCsv(join(runDir, 'samples.csv')).length, 0);
  assert.ok(!existsSync(join(runDir, 'tcpinfo.csv')), 'the scenario never started');
  const html = readFileSync(join(runDir, 'report.html'), 'utf8');
  assert.match(html, /not measured in this run: skipped: needs a link that carries real packets/);
});
