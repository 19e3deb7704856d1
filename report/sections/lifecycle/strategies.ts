/**
 * C9's and C10's trials summed up per fault and client strategy (from lifecycle.csv), and the Wilson reading of
 * a per-strategy rate that both claims' evidence rests on.
 */
import { quantileOf, wilson } from '../../../lib/stats.ts';
import { numberOrNull as num } from '../../../lib/numbers.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs } from '../../format.ts';

export interface StrategyFigure {
  part: string;
  fault: string;
  strategy: string;
  n: number;
  /** Trials that ran (not skipped for want of a link control). */
  done: number;
  detect_ms: number | null;
  /** Each learning trial's time to learn (ms), in row order; trials that did not learn within the cap have none. */
  detects_ms: number[];
  undetected: number;
  outcomes: string;
  retried: number;
  next_ok: number;
  settings: string;
}

export function strategyFigures(rows: readonly CsvRow[], part: 'c9' | 'c10'): StrategyFigure[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows)
    if (r.part === part && r.strategy)
      by.set(`${r.fault}|${r.strategy}`, [...(by.get(`${r.fault}|${r.strategy}`) ?? []), r]);
  return [...by.values()].map((rs) => {
    const f = rs[0]!;
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(r.outcome ?? '', (counts.get(r.outcome ?? '') ?? 0) + 1);
    const detects = rs.map((r) => num(r.detect_ms)).filter((x): x is number => x !== null);
    const settings = [
      f.tcp_keepalive ? `keepalive ${f.tcp_keepalive} s` : '',
      f.tcp_user_timeout_ms ? `TCP_USER_TIMEOUT ${f.tcp_user_timeout_ms} ms` : '',
      f.h2_ping_ms ? `PING every ${f.h2_ping_ms} ms` : '',
      f.request_timeout_ms ? `request timeout ${f.request_timeout_ms} ms` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return {
      part,
      fault: f.fault ?? '',
      strategy: f.strategy ?? '',
      n: rs.length,
      done: rs.filter((r) => r.outcome !== 'skipped').length,
      detect_ms: quantileOf(detects, 0.5),
      detects_ms: detects,
      undetected: rs.length - detects.length,
      outcomes: [...counts].map(([k, v]) => `${k} ${v}`).join(', '),
      retried: rs.filter((r) => r.retried === '1').length,
      next_ok: rs.filter((r) => r.next_ok === '1').length,
      settings: settings || 'none',
    };
  });
}

export const detectText = (f: StrategyFigure | undefined): string =>
  !f
    ? 'not run'
    : f.detect_ms === null
      ? 'not within the cap'
      : `${fmtMs(f.detect_ms)}${f.undetected ? ` (${f.undetected} of ${f.n} not within the cap)` : ''}`;

/** A rate k/n and its Wilson 95 % interval. */
export interface Rate {
  k: number;
  n: number;
  low: number;
  high: number;
}

export function rate(k: number, n: number): Rate {
  return { k, n, ...wilson(k, n) };
}

/**
 * Which side of one half the rate's Wilson 95 % interval lies on: 'most' (low > ½), 'few' (high < ½), or
 * 'unsettled' (it spans ½). With all-or-none outcomes a side needs n ≥ 4 (4/4: low 0.51; 3/3: 0.44).
 */
export function side(r: Rate): 'most' | 'few' | 'unsettled' {
  return r.low > 0.5 ? 'most' : r.high < 0.5 ? 'few' : 'unsettled';
}

/** "n = 1 trial a strategy" when the cells agree, else "n = 3 + 2 trials (none, h2_ping)". */
export function cellsN(cells: ReadonlyArray<{ label: string; n: number }>, per: string): string {
  const ns = cells.map((c) => c.n);
  if (ns.length > 0 && ns.every((x) => x === ns[0])) return `n = ${ns[0]} trial${ns[0] === 1 ? '' : 's'} ${per}`;
  return `n = ${ns.join(' + ')} trials (${cells.map((c) => c.label).join(', ')})`;
}
