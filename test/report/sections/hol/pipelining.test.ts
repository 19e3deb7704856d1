import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeliningFigures, pipeliningTable, pipeliningWords } from '../../../../report/sections/hol/pipelining.ts';
import { verdictC4, verdictC5, type PagePoint } from '../../../../report/sections/hol/analysis.ts';
import { quantileSummary } from '../../../../lib/stats-summary.ts';
import type { CsvRow } from '../../../../report/load-run.ts';

const row = (rep: number, pos: number, answer: string, error = ''): CsvRow => ({
  profile: 'wan',
  rep: String(rep),
  pos: String(pos),
  answer,
  error,
});
/** A server that closes after each response (HTTP/1.0): the first of each batch answered, the rest not. */
const closes: CsvRow[] = [1, 2].flatMap((rep) =>
  Array.from({ length: 10 }, (_, i) =>
    i === 0 ? row(rep, 1, 'in_turn') : row(rep, i + 1, 'failed', 'connection closed by server'),
  ),
);
const answers: CsvRow[] = Array.from({ length: 10 }, (_, i) => row(1, i + 1, 'in_turn'));

test('pipelining figures: answered in turn, out of turn, and how many before the first failure', () => {
  const f = pipeliningFigures(closes)!;
  assert.deepEqual([f.batches, f.sent, f.in_turn, f.failed, f.wrong_size], [2, 20, 2, 18, 0]);
  assert.deepEqual(f.answered_before_failure, [1, 1]);
  assert.equal(
    pipeliningWords(f),
    '2 of 20 pipelined requests answered in turn (2 batches of 10); 18 got no answer (connection closed by server), after 1, 1 answered',
  );
  const swapped = pipeliningFigures([row(1, 1, 'in_turn'), row(1, 2, 'wrong_size'), row(1, 3, 'in_turn')])!;
  assert.deepEqual(swapped.answered_before_failure, [1]);
  assert.match(pipeliningWords(swapped), /1 answered with the size of another request \(out of turn\)/);
  assert.equal(
    pipeliningTable(pipeliningFigures(answers)!).rows[0]?.[1],
    '10 of 10 pipelined requests answered in turn (1 batch of 10)',
  );
  assert.equal(pipeliningFigures([]), null);
});

test('C4 from the pipelining check alone: "depends", saying whether the server answers pipelining', () => {
  const refused = verdictC4([], pipeliningFigures(closes));
  assert.equal(refused.kind, 'depends');
  assert.equal(refused.reason, 'the server under test does not answer pipelined requests in turn');
  assert.match(refused.figure, /^pipelining check: 2 of 20/);
  // 18 of 20 unanswered: the Wilson CI of that share excludes 0, so the "depends" is shown.
  assert.deepEqual(refused.evidence, { n: '20 pipelined requests in the check', strength: 'strong' });
  const answered = verdictC4([], pipeliningFigures(answers));
  assert.equal(answered.kind, 'depends');
  assert.match(answered.reason ?? '', /without a slow route \(--slow-path\)/);
  assert.deepEqual(answered.numbers, { pipelined_in_turn: 10, pipelined_sent: 10, check_in_turn_ci_low_ratio: 0.7225 });
  // Without a slow route the blocking was not measured: inconclusive, with the check's n.
  assert.deepEqual(answered.evidence, { n: '10 pipelined requests in the check', strength: 'inconclusive' });
  const none = verdictC4([], null);
  assert.match(none.reason ?? '', /speaks only HTTP\/2/);
  assert.deepEqual(none.evidence, { n: 'n = 0 pipelined requests', strength: 'inconclusive' });
});

test('C5 needs both protocols: pages of h1 × 6 alone are "depends", not a comparison', () => {
  const page = (mode: string, loss_pct: number): PagePoint => ({
    profile: 'wan',
    rtt_ms: 50,
    cc: 'bbr',
    conn: 'fresh',
    loss_pct,
    mode,
    page: quantileSummary([480, 500, 520]),
    samples_ms: [480, 500, 520],
    retrans_median: null,
    errors: 0,
  });
  const v = verdictC5([], [page('h1_6conn', 0), page('h1_6conn', 2)]);
  assert.equal(v.kind, 'depends');
  assert.match(v.reason ?? '', /needs HTTP\/2 and HTTP\/1.1 × 6 both; this run has no HTTP\/2 cases/);
});
