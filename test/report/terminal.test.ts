import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLAIMS, benchCommand } from '../../report/claims.ts';
import {
  DEFAULT_TERMINAL_WIDTH,
  notRunLines,
  shorten,
  terminalWidth,
  verdictCell,
  verdictTableLines,
} from '../../report/terminal.ts';
import type { VerdictRow } from '../../report/verdicts.ts';

const claim = (id: string) => CLAIMS.find((c) => c.id === id)!;

const C1_FIGURE =
  'keep-alive saves 1.01 RTT = 50.6 ms per request over HTTP/1.1 cleartext at 50.3 ms RTT (wan; model 1.00 RTT + 0.096 ms processing measured at zero RTT); 2.06 RTT = 103.6 ms over HTTP/1.1 + TLS 1.3 (model 2.00 RTT + 1.90 ms processing measured at zero RTT) — 10 of 10 cases agree with the model';
const C8_FIGURE =
  'Y < X (server 5 s < LB 6 s, ≙ 50 s < 60 s): 225 per 1 000 (95 % CI 123–375, n=40) 502s; Y > X: 0 per 1 000 (95 % CI 0–88, n=40); 90 % of the failures at idle gaps -49.1…-3.9 ms from Y';

function measured(id: string, kind: VerdictRow['kind'], figure: string, strength?: 'strong' | 'inconclusive') {
  const row: VerdictRow = { claim: claim(id), kind, figure, scenarioAvailable: true, sectionId: 'scenario-x' };
  if (strength) row.evidence = { n: 'n = 40 trials', strength };
  return row;
}

function notRun(id: string, figure = 'not measured in this run'): VerdictRow {
  return { claim: claim(id), kind: 'not_run', figure, command: benchCommand(claim(id)), scenarioAvailable: true };
}

test('shorten: a text that fits is left alone (whitespace runs made one space)', () => {
  assert.equal(shorten('saves  1 RTT\nper request', 40), 'saves 1 RTT per request');
  assert.equal(shorten('exactly ten', 11), 'exactly ten');
});

test('shorten: cuts after a clause outside parentheses, keeping the number that matters', () => {
  const s = shorten(C8_FIGURE, 90);
  assert.equal(s, 'Y < X (server 5 s < LB 6 s, ≙ 50 s < 60 s): 225 per 1 000 (95 % CI 123–375, n=40) 502s…');
  assert.ok(s.length <= 90);
});

test('shorten: with no clause in reach, between words outside parentheses, never inside one', () => {
  const s = shorten(C1_FIGURE, 90);
  assert.equal(s, 'keep-alive saves 1.01 RTT = 50.6 ms per request over HTTP/1.1 cleartext at 50.3 ms RTT…');
  // At 100 columns the "(wan; …" parenthesis would be open at the cut: the cut stays before it.
  assert.doesNotMatch(shorten(C1_FIGURE, 100), /\(wan/);
});

test('shorten: when outside the brackets little would be left, after a comma inside, the brackets closed', () => {
  const c12 =
    "8 concurrent requests: maxSockets 2 queues them (median 76.8 ms waiting, p90 153.2 ms, total p90 204.1 ms; wait − maxSockets 8's +76.5 ms [95 % CI +51.0 ms…+101.9 ms]); maxSockets 8: warm median 51.4 ms";
  assert.equal(
    shorten(c12, 94),
    '8 concurrent requests: maxSockets 2 queues them (median 76.8 ms waiting, p90 153.2 ms…)',
  );
  assert.ok(shorten(c12, 94).length <= 94);
  assert.equal(
    shorten('behind it 27/27 fast responses arrived ≥ 195 ms late', 40),
    'behind it 27/27 fast responses arrived…',
  );
});

test('shorten: a decimal point is not a sentence end; a dash clause is', () => {
  assert.equal(shorten('median 1.5 ms a request and then a long tail of words', 30), 'median 1.5 ms a request and…');
  assert.equal(shorten('all of them agree — which nobody expected at all', 30), 'all of them agree…');
});

test('shorten: one long word is cut hard; every result fits', () => {
  assert.equal(shorten('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
  for (const max of [5, 17, 33, 64, 101])
    for (const t of [C1_FIGURE, C8_FIGURE]) assert.ok(shorten(t, max).length <= max, `${max}: ${shorten(t, max)}`);
});

test('verdictCell: the verdict with its evidence in short', () => {
  assert.equal(verdictCell(measured('C1', 'confirmed', 'x', 'strong')), 'confirmed · strong');
  assert.equal(verdictCell(measured('C5', 'depends', 'x', 'inconclusive')), 'depends · inconclusive');
  assert.equal(verdictCell(measured('C8', 'refuted', 'x')), 'refuted');
  assert.equal(verdictCell(notRun('C2')), 'not run');
});

test('notRunLines: one line per command, the claims it would measure listed; a reason kept, shortened', () => {
  const rows = [
    notRun('C2', 'not measured in this run: skipped: needs a link that carries real packets (this run: none)'),
    notRun('C6'),
    notRun('C11'),
    measured('C1', 'confirmed', 'x'),
    { ...notRun('C12'), scenarioAvailable: false, figure: 'no scenario of this version measures it yet' },
  ];
  assert.deepEqual(notRunLines(rows, 80), [
    'not run: C2 (npm run bench -- --scenario slowstart): skipped: needs a link that…',
    'not run: C6, C11 (npm run bench -- --scenario cost)',
    'not run: C12: no scenario of this version measures it yet',
  ]);
});

test('verdictTableLines: header, a line per measured claim within the width, then the not-run lines', () => {
  const rows = [
    measured('C1', 'confirmed', C1_FIGURE, 'inconclusive'),
    measured('C8', 'refuted', C8_FIGURE, 'strong'),
    notRun('C2'),
    notRun('C6'),
  ];
  for (const width of [80, 100, 120]) {
    const lines = verdictTableLines(rows, { width });
    assert.match(lines[0]!, /^claim {2}verdict {19}key figure$/);
    assert.match(lines[1]!, /^C1 {5}confirmed · inconclusive {2}keep-alive saves 1\.01 RTT = 50\.6 ms/);
    assert.match(lines[2]!, /^C8 {5}refuted · strong {10}Y < X/);
    assert.deepEqual(lines.slice(3), [
      'not run: C2 (npm run bench -- --scenario slowstart)',
      'not run: C6 (npm run bench -- --scenario cost)',
    ]);
    for (const l of lines) assert.ok(l.length <= width, `${width}: ${l.length} > width: ${l}`);
  }
});

test('verdictTableLines: nothing measured says so; a run that did not complete gets its note', () => {
  const lines = verdictTableLines([notRun('C1')], {
    status: { kind: 'aborted', text: 'This run was interrupted (SIGINT).' },
  });
  assert.deepEqual(lines, [
    'verdicts: no claim was measured in this run',
    'not run: C1 (npm run bench -- --scenario handshake)',
    'note: This run was interrupted (SIGINT).',
  ]);
  assert.equal(verdictTableLines([], { status: { kind: 'completed', text: '' } }).length, 1);
});

test('verdictTableLines: what other sections add, indented under the figure; for a claim not run after its line', () => {
  const c1 = {
    ...measured('C1', 'confirmed', 'keep-alive saves 1 RTT', 'strong'),
    addenda: [`a browser: ${'x'.repeat(200)}`],
  };
  const c5 = { ...notRun('C5'), addenda: ['a browser: h2 456 ms vs h1 keep-alive 619 ms at 0 % loss'] };
  const lines = verdictTableLines([c1, c5], { width: 80 });
  assert.equal(lines[1], 'C1     confirmed · strong  keep-alive saves 1 RTT');
  assert.match(lines[2]!, /^ {27}a browser: x+…$/);
  assert.ok(lines[2]!.length <= 80, lines[2]);
  assert.deepEqual(lines.slice(3), [
    'not run: C5 (npm run bench -- --scenario hol)',
    '  C5: a browser: h2 456 ms vs h1 keep-alive 619 ms at 0 % loss',
  ]);
});

test('terminalWidth: a terminal its own columns (60–160), anything else 120', () => {
  assert.equal(terminalWidth({ isTTY: true, columns: 100 }), 100);
  assert.equal(terminalWidth({ isTTY: true, columns: 20 }), 60);
  assert.equal(terminalWidth({ isTTY: true, columns: 400 }), 160);
  assert.equal(terminalWidth({ isTTY: false, columns: 100 }), DEFAULT_TERMINAL_WIDTH);
  assert.equal(terminalWidth({}), 120);
});
