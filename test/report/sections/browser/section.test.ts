import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRun } from '../../../../report/load-run.ts';
import { buildModel } from '../../../../report/model.ts';
import { sectionFor } from '../../../../report/sections/index.ts';
import { buildBrowser } from '../../../../report/sections/browser/section.ts';
import { renderSummaryMd } from '../../../../report/summary-md.ts';
import { verdictRows, type SectionResult } from '../../../../report/verdicts.ts';
import { copyFixture } from '../../fixture-copy.ts';
import { addBrowserRun } from './rows.ts';

const C1_LINE =
  'a browser (wan, TLS): h1 keep-alive page 612 ms (median) vs 1.31 s with Connection: close (n = 6 each, 0 % loss, bbr); warm connections: 402 ms (n = 6)';

test('browser section: registered, built from browser-pages.csv, no verdict of its own, its addenda for C1, C5, C12', (t) => {
  assert.equal(sectionFor('browser')?.scenario, 'browser');
  const dir = copyFixture(t, 'report-normal');
  addBrowserRun(dir);
  const out = buildBrowser(loadRun(dir));
  assert.deepEqual(out.verdicts, []);
  assert.match(out.claimSentence, /Chromium/);
  assert.deepEqual(
    out.specs.map((s) => s.id),
    ['browser-page-time'],
    'no harness loads in this run: no comparison chart',
  );
  assert.deepEqual(
    out.addenda?.map((a) => a.claim),
    ['C1', 'C5', 'C12'],
  );
  assert.equal(out.addenda?.[0]?.text, C1_LINE);
});

test('verdict rows: a section’s addenda go to the claim, whoever answers it, also when it was not run', () => {
  const section = (id: string, scenario: string, claims: string[], addenda = [] as { claim: string; text: string }[]) =>
    ({
      id,
      scenario,
      title: scenario,
      claims,
      output: { claimSentence: '', verdicts: [], specs: [], tables: [], caveats: [], addenda },
      notice: null,
    }) satisfies SectionResult;
  const rows = verdictRows([
    section(
      'scenario-browser',
      'browser',
      [],
      [
        { claim: 'C5', text: 'a browser: h2 456 ms vs h1 keep-alive 612 ms' },
        { claim: 'C12', text: 'a browser opened 6 connections' },
      ],
    ),
    section('scenario-other', 'other', [], [{ claim: 'C12', text: 'and another line' }]),
  ]);
  const c5 = rows.find((r) => r.claim.id === 'C5')!;
  assert.equal(c5.kind, 'not_run');
  assert.deepEqual(c5.addenda, ['a browser: h2 456 ms vs h1 keep-alive 612 ms']);
  assert.deepEqual(rows.find((r) => r.claim.id === 'C12')!.addenda, [
    'a browser opened 6 connections',
    'and another line',
  ]);
  assert.equal(rows.find((r) => r.claim.id === 'C1')!.addenda, undefined, 'no addenda: no field');
});

test('a run with the browser scenario: C1’s verdict (handshake) carries the browser line, in the model and summary.md', (t) => {
  const dir = copyFixture(t, 'report-normal');
  addBrowserRun(dir);
  const model = buildModel(loadRun(dir), new Date('2026-11-20T12:00:00Z'));
  const c1 = model.verdicts.find((r) => r.claim.id === 'C1')!;
  assert.equal(c1.kind, 'confirmed');
  assert.deepEqual(c1.addenda, [C1_LINE]);
  const c5 = model.verdicts.find((r) => r.claim.id === 'C5')!;
  assert.equal(c5.kind, 'not_run');
  assert.match(c5.addenda?.[0] ?? '', /^a browser \(wan, TLS\): h2 456 ms vs h1 keep-alive 612 ms at 0 % loss/);
  const md = renderSummaryMd(model, '/x/report.html');
  assert.ok(md.includes(`· *${C1_LINE}* |`), md);
  assert.match(md, /\| C5 HTTP\/2 [^\n]*· \*a browser \(wan, TLS\): h2 456 ms/);
});
