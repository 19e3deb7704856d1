/** The pipelining check's figures (hol-pipelining.csv): did the server answer pipelined requests, in turn? Pure. */
import type { CsvRow } from '../../load-run.ts';
import type { Table } from '../types.ts';

export interface PipeliningFigures {
  profile: string;
  batches: number;
  sent: number;
  in_turn: number;
  wrong_size: number;
  failed: number;
  first_error: string | null;
  /** Responses in turn before the first failure, per batch (a server that closes after k answers k). */
  answered_before_failure: number[];
}

export function pipeliningFigures(rows: readonly CsvRow[]): PipeliningFigures | null {
  const first = rows[0];
  if (first === undefined) return null;
  const count = (a: string): number => rows.filter((r) => r.answer === a).length;
  const batches = [...new Set(rows.map((r) => r.rep ?? ''))];
  return {
    profile: first.profile ?? '',
    batches: batches.length,
    sent: rows.length,
    in_turn: count('in_turn'),
    wrong_size: count('wrong_size'),
    failed: count('failed'),
    first_error: rows.find((r) => r.answer === 'failed')?.error || null,
    answered_before_failure: batches.map((b) => {
      const inBatch = rows.filter((r) => (r.rep ?? '') === b).sort((x, y) => Number(x.pos) - Number(y.pos));
      const k = inBatch.findIndex((r) => r.answer !== 'in_turn');
      return k === -1 ? inBatch.length : k;
    }),
  };
}

/** "30 of 30 pipelined requests answered in turn (3 batches of 10)", or what went wrong. */
export function pipeliningWords(f: PipeliningFigures): string {
  const per = f.sent / Math.max(1, f.batches);
  const head = `${f.in_turn} of ${f.sent} pipelined requests answered in turn (${f.batches} batch${f.batches === 1 ? '' : 'es'} of ${per})`;
  if (f.in_turn === f.sent) return head;
  const wrong = f.wrong_size ? `; ${f.wrong_size} answered with the size of another request (out of turn)` : '';
  const failed = f.failed
    ? `; ${f.failed} got no answer (${f.first_error}), after ${f.answered_before_failure.join(', ')} answered`
    : '';
  return `${head}${wrong}${failed}`;
}

export function pipeliningTable(f: PipeliningFigures): Table {
  return {
    title: `Does the server answer pipelined HTTP/1.1 requests? (${f.profile})`,
    columns: [{ label: 'what' }, { label: 'measured' }],
    rows: [
      ['requests written at once on one connection, each answered in its turn', pipeliningWords(f)],
      [
        'responses in turn per batch before the first failure',
        f.answered_before_failure.length ? f.answered_before_failure.join(', ') : '—',
      ],
    ],
  };
}
