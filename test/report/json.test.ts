import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSON_SCHEMA_VERSION, runJson, type RunJson } from '../../report/json.ts';
import { loadRun } from '../../report/load-run.ts';
import { buildModel } from '../../report/model.ts';
import { CLAIMS } from '../../report/claims.ts';
import { REPO } from '../helpers/run-cli.ts';
import { copyFixture } from './fixture-copy.ts';
import { addBrowserRun } from './sections/browser/rows.ts';

const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

function fixtureJson(dir: string): RunJson {
  const run = loadRun(dir);
  const model = buildModel(run, new Date('2026-11-20T12:00:00Z'));
  const report = { html: join(dir, 'report.html'), summary_md: join(dir, 'summary.md') };
  return runJson({ folder: dir, run, model, report, version: VERSION, warnings: [] });
}

test('the --json document of a fixture run: schema version, paths, status, link and environment from meta.json', (t) => {
  const dir = copyFixture(t, 'report-normal');
  const doc = fixtureJson(dir);
  assert.equal(doc.schema_version, JSON_SCHEMA_VERSION);
  assert.equal(doc.schema_version, 1);
  assert.deepEqual(doc.tool, { name: 'keepalive-bench', version: VERSION });
  assert.equal(doc.run_id, 'fx0001');
  assert.deepEqual(doc.status, { kind: 'completed', text: null });
  assert.equal(doc.started_at, '2026-11-20T10:00:00.000Z');
  assert.equal(doc.folder, dir);
  assert.deepEqual(doc.report, { html: join(dir, 'report.html'), summary_md: join(dir, 'summary.md') });
  assert.deepEqual(doc.command_line, ['--scenario', 'handshake', '--profile', 'lan,wan', '--link', 'tun', '--quick']);
  assert.deepEqual(doc.link, { backend: 'tun', why: '--link tun (asked for)', caveats: [] });
  assert.deepEqual(
    doc.profiles.map((p) => [p.name, p.rtt_ms, p.rate_mbit, p.rtt_ms_calibrated]),
    [
      ['lan', 10, null, 10.3],
      ['wan', 50, null, doc.profiles[1]?.rtt_ms_calibrated],
    ],
  );
  assert.ok(typeof doc.profiles[1]?.rtt_ms_calibrated === 'number');
  assert.equal(doc.environment.kernel, '6.18.0-fixture');
  assert.equal(doc.environment.cpu_count, 2);
  assert.equal(doc.environment.congestion_control, 'bbr');
  assert.equal(doc.server_under_test, "the harness's own Node.js servers");
  assert.ok(doc.requests.measured > 0);
  assert.deepEqual(doc.warnings, []);
});

test('the --json document: every claim a verdict with its numbers and evidence; not-run ones their command', (t) => {
  const doc = fixtureJson(copyFixture(t, 'report-normal'));
  assert.deepEqual(
    doc.verdicts.map((v) => v.claim),
    CLAIMS.map((c) => c.id),
  );
  assert.deepEqual(doc.counts, { confirmed: 2, refuted: 0, depends: 0, not_run: 10 });
  const c1 = doc.verdicts.find((v) => v.claim === 'C1')!;
  assert.equal(c1.kind, 'confirmed');
  assert.match(c1.figure, /^keep-alive saves 1\.00 RTT = 51\.1 ms/);
  assert.ok(c1.evidence && ['strong', 'inconclusive'].includes(c1.evidence.strength), JSON.stringify(c1.evidence));
  assert.ok(Object.keys(c1.numbers).length > 0, 'the numbers behind the figure');
  assert.ok(Object.values(c1.numbers).every((n) => n === null || Number.isFinite(n)));
  assert.equal(c1.section, 'scenario-handshake');
  assert.equal(c1.command, null);
  const c2 = doc.verdicts.find((v) => v.claim === 'C2')!;
  assert.equal(c2.kind, 'not_run');
  assert.equal(c2.command, 'npm run bench -- --scenario slowstart');
  assert.deepEqual(c2.numbers, {});
  assert.equal(c2.evidence, null);
});

test('the --json document: each verdict the lines other sections add about it (the browser under C1, C5, C12)', (t) => {
  const plain = fixtureJson(copyFixture(t, 'report-normal'));
  assert.ok(plain.verdicts.every((v) => Array.isArray(v.addenda) && v.addenda.length === 0));
  const dir = copyFixture(t, 'report-normal');
  addBrowserRun(dir);
  const doc = fixtureJson(dir);
  assert.equal(doc.schema_version, 1, 'an added field: the version stays');
  const at = (claim: string) => doc.verdicts.find((v) => v.claim === claim)!;
  assert.match(
    at('C1').addenda[0] ?? '',
    /^a browser \(wan, TLS\): h1 keep-alive page 612 ms \(median\) vs 1\.31 s with Connection: close/,
  );
  assert.equal(at('C5').kind, 'not_run');
  assert.match(at('C5').addenda[0] ?? '', /^a browser \(wan, TLS\): h2 456 ms vs h1 keep-alive 612 ms at 0 % loss/);
  assert.match(
    at('C12').addenda[0] ?? '',
    /^a browser \(wan, TLS\) used 6 connections for 41 resources on h1 keep-alive/,
  );
  assert.deepEqual(at('C2').addenda, []);
});

test('the --json document: the handshake headline, the saving of keep-alive per case', (t) => {
  const doc = fixtureJson(copyFixture(t, 'report-normal'));
  const wan = doc.headline.handshake.find(
    (s) => s.profile === 'wan' && s.protocol === 'h1' && s.security === 'none' && s.versus === 'new',
  );
  assert.ok(
    wan,
    JSON.stringify(doc.headline.handshake.map((s) => `${s.profile}/${s.protocol}/${s.security}/${s.versus}`)),
  );
  assert.ok(wan.versus_median_ms !== null && wan.reused_median_ms !== null);
  assert.ok(Math.abs(wan.saving_ms - (wan.versus_median_ms - wan.reused_median_ms)) < 1e-3, `${wan.saving_ms} ms`);
  assert.ok(wan.saving_rtt !== null && Math.abs(wan.saving_rtt - 1) < 0.1, `${wan.saving_rtt} RTT`);
  assert.equal(wan.model_rtt, 1);
  assert.ok(doc.headline.handshake.some((s) => s.versus === 'resumed'));
});

test('the --json document survives JSON and says what it could not read', (t) => {
  const dir = copyFixture(t, 'report-normal');
  const doc = fixtureJson(dir);
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc, 'no undefined, NaN or Infinity');
  const bare = runJson({
    folder: dir,
    run: null,
    model: null,
    report: null,
    status: { kind: 'completed' },
    version: VERSION,
    warnings: ['the run folder could not be read back (EACCES)'],
  });
  assert.equal(bare.run_id, null);
  assert.deepEqual(bare.status, { kind: 'completed', text: null });
  assert.deepEqual(bare.verdicts, []);
  assert.deepEqual(bare.counts, { confirmed: 0, refuted: 0, depends: 0, not_run: 0 });
  assert.equal(bare.report, null);
  assert.deepEqual(bare.warnings, ['the run folder could not be read back (EACCES)']);
});

test('docs/json.md names every field of the document (it cannot drift from the type)', (t) => {
  const docs = readFileSync(join(REPO, 'docs', 'json.md'), 'utf8');
  const doc = fixtureJson(copyFixture(t, 'report-normal'));
  assert.match(docs, new RegExp(`\`schema_version\` is \`${JSON_SCHEMA_VERSION}\``));
  const keys = [
    ...Object.keys(doc),
    ...Object.keys(doc.verdicts[0]!),
    ...Object.keys(doc.headline.handshake[0]!),
    ...Object.keys(doc.profiles[0]!),
    ...Object.keys(doc.environment),
  ];
  const missing = [...new Set(keys)].filter((k) => !docs.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
});
