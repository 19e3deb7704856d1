import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CITATIONS } from '../../report/literature.ts';
import { literatureRows } from '../../report/literature-panel.ts';
import { CLAIMS } from '../../report/claims.ts';
import type { VerdictRow } from '../../report/verdicts.ts';
import type { VerdictKind } from '../../report/sections/types.ts';
import { buildReport } from '../../report/build.ts';
import { copyFixture } from './fixture-copy.ts';

test('every claim C1–C12 has at least one citation; quotes appear only where they were checked', () => {
  for (const claim of CLAIMS)
    assert.ok(
      CITATIONS.some((c) => c.claim === claim.id),
      `${claim.id} has no citation`,
    );
  const kinds: VerdictKind[] = ['confirmed', 'refuted', 'depends'];
  for (const c of CITATIONS) {
    assert.ok(
      CLAIMS.some((x) => x.id === c.claim),
      `${c.source}: unknown claim ${c.claim}`,
    );
    assert.ok(c.agrees_with.length > 0 && c.agrees_with.every((k) => kinds.includes(k)), c.source);
    assert.match(c.url, /^https:\/\//, c.source);
    assert.ok(c.states.length > 20 && c.where.length > 0, c.source);
    if (c.quote !== null) assert.ok(c.checked, `${c.source}: a quote must say how it was checked`);
  }
});

const row = (id: string, kind: VerdictKind): VerdictRow => ({
  claim: CLAIMS.find((c) => c.id === id)!,
  kind,
  figure: '',
  scenarioAvailable: true,
});

test('a verdict a source does not support is shown as disagreeing; a claim not measured is said so', () => {
  const rows = literatureRows([row('C5', 'depends'), row('C8', 'confirmed'), row('C1', 'not_run')]);
  const c5 = rows.filter((r) => r.claim === 'C5');
  assert.deepEqual(
    c5.map((r) => [r.citation.source.split(',')[0], r.agreement]),
    [
      ['Wang et al.', 'agrees'],
      ['Google', 'disagrees'],
    ],
  );
  // The claim says "server below the LB"; AWS says the opposite: a run confirming the claim disagrees with AWS.
  assert.deepEqual(
    rows.filter((r) => r.claim === 'C8').map((r) => r.agreement),
    ['disagrees'],
  );
  assert.ok(rows.filter((r) => r.claim === 'C1').every((r) => r.agreement === 'not measured'));
  // A verdict whose CI does not settle it (or a "depends" for want of data) neither agrees nor disagrees.
  const open = literatureRows([
    { ...row('C5', 'depends'), evidence: { n: '1 page a side', strength: 'inconclusive' } },
    { ...row('C8', 'depends'), figure: 'no figure' },
  ]);
  assert.ok(
    open.every((r) => r.agreement === 'not settled'),
    JSON.stringify(open.map((r) => r.agreement)),
  );
});

test('the report and summary.md carry the literature panel', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  await buildReport(dir);
  const md = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(
    md,
    /<details><summary>The published record beside each claim \(this run disagrees with \d+ of the \d+ sources it settles; \d+ in all\)/,
  );
  assert.match(
    md,
    /RFC 1122 \(Requirements for Internet Hosts\), §4\.2\.3\.6, TCP Keep-Alives: .*“This interval MUST be configurable/,
  );
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<details class="literature" id="literature"/);
});
