/**
 * The lifecycle section's figures and verdicts (C7, C8, C9, C10, C12): pure, lifecycle.csv rows in (one per trial),
 * figures and verdicts out. Times in that file are scaled 1:time_scale; every figure states what it stands for.
 * C8 lives here; C7, C9, C10 and C12 in ./c7.ts, ./c9.ts, ./c10.ts and ./c12.ts (C9 and C10 share ./strategies.ts).
 */
import { quantileOf, wilson } from '../../../lib/stats.ts';
import { numberOrNull } from '../../../lib/numbers.ts';
import type { CsvRow } from '../../load-run.ts';
import { round4 } from '../../format.ts';
import type { Evidence, Verdict } from '../types.ts';
import { c7Trials, verdictC7, type C7Trial } from './c7.ts';
import { c9Trials, verdictC9, type C9Trial } from './c9.ts';
import { verdictC10 } from './c10.ts';
import { poolFigures, verdictC12, type PoolFigure } from './c12.ts';
import { strategyFigures, type StrategyFigure } from './strategies.ts';

export type { C7Trial, C9Trial, PoolFigure, StrategyFigure };
export { c7Trials, c9Trials, poolFigures, strategyFigures, verdictC7, verdictC9, verdictC10, verdictC12 };

const num = numberOrNull;

const quantile = quantileOf;

// ---------------------------------------------------------------- C8

export interface C8Rate {
  case_key: string;
  profile: string;
  strategy: string;
  x_ms: number | null;
  y_ms: number | null;
  label: string;
  n: number;
  failures: number;
  per_1000: number;
  ci_low_per_1000: number;
  ci_high_per_1000: number;
  reused: number;
  /** 5th–95th percentile of idle gap − edge (ms) among failed trials: the race window, blurred by timer lag. */
  window_low_ms: number | null;
  window_high_ms: number | null;
  spread_ms: number | null;
}

export function c8Rates(rows: readonly CsvRow[]): C8Rate[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows) if (r.part === 'c8') by.set(r.case_key ?? '', [...(by.get(r.case_key ?? '') ?? []), r]);
  const out: C8Rate[] = [];
  for (const [key, rs] of by) {
    const first = rs[0]!;
    const done = rs.filter((r) => r.outcome !== 'skipped');
    const failed = done.filter((r) => r.outcome !== 'ok');
    const gapsFailed = failed.map((r) => num(r.gap_ms)).filter((x): x is number => x !== null);
    const gaps = done.map((r) => Math.abs(num(r.gap_ms) ?? 0));
    const ci = wilson(failed.length, done.length);
    out.push({
      case_key: key,
      profile: first.profile ?? '',
      strategy: first.strategy ?? '',
      x_ms: num(first.x_ms),
      y_ms: num(first.y_ms),
      label: first.note ?? key,
      n: done.length,
      failures: failed.length,
      per_1000: done.length ? (1000 * failed.length) / done.length : 0,
      ci_low_per_1000: 1000 * ci.low,
      ci_high_per_1000: 1000 * ci.high,
      reused: done.filter((r) => r.reused === '1').length,
      window_low_ms: gapsFailed.length ? Math.round((quantile(gapsFailed, 0.05) ?? 0) * 10) / 10 : null,
      window_high_ms: gapsFailed.length ? Math.round((quantile(gapsFailed, 0.95) ?? 0) * 10) / 10 : null,
      spread_ms: gaps.length ? Math.round(Math.max(...gaps)) : null,
    });
  }
  return out;
}

const per1000 = (r: C8Rate): string =>
  `${r.per_1000.toFixed(0)} per 1 000 (95 % CI ${r.ci_low_per_1000.toFixed(0)}–${r.ci_high_per_1000.toFixed(0)}, n=${r.n})`;

export function verdictC8(rates: readonly C8Rate[], scale: number): Verdict {
  // The claim is the advice "server idle timeout a little below the LB's": it holds if Y < X is the safe side.
  const rule =
    "refuted when, behind the LB, the server timeout below the LB's (Y < X) gives 502s whose 95 % CI excludes 0 while Y > X gives none (the advice is backwards); confirmed when Y > X fails and Y < X does not; depends otherwise";
  const lb = rates.filter((r) => r.strategy === 'lb' && r.x_ms !== null && r.y_ms !== null);
  const below = lb.find((r) => (r.y_ms ?? 0) < (r.x_ms ?? 0));
  const above = lb.find((r) => (r.y_ms ?? 0) > (r.x_ms ?? 0));
  if (!below || !above)
    return {
      claim: 'C8',
      kind: 'depends',
      reason: 'the run lacks one of the two LB cases',
      figure: 'no figure',
      numbers: {},
      rule,
    };
  const direct = rates.filter((r) => r.strategy !== 'lb');
  const d = (s: string): C8Rate | undefined => direct.find((r) => r.strategy === s);
  const window =
    below.window_low_ms !== null && below.window_high_ms !== null
      ? `; 90 % of the failures at idle gaps ${below.window_low_ms}…${below.window_high_ms} ms from Y`
      : '';
  let figure =
    `Y < X (server ${(below.y_ms ?? 0) / 1000} s < LB ${(below.x_ms ?? 0) / 1000} s, ≙ ${((below.y_ms ?? 0) * scale) / 1000} s < ${((below.x_ms ?? 0) * scale) / 1000} s): ` +
    `${per1000(below)} 502s; Y > X: ${per1000(above)}${window}`;
  const noTimeout = d('no_idle_timeout');
  const below2 = d('idle_below_server');
  const nodeDefault = d('node_default');
  if (noTimeout && below2)
    figure += `. One hop closer: a Node client without idle timeout ${noTimeout.per_1000.toFixed(0)} resets per 1 000, with its idle timeout below the server's ${below2.per_1000.toFixed(0)}`;
  if (nodeDefault)
    figure += `, Node 20's default Agent (honours Keep-Alive: timeout) ${nodeDefault.per_1000.toFixed(0)}`;
  const numbers: Record<string, number | null> = {
    y_below_x_per_1000: round4(below.per_1000),
    y_below_x_n: below.n,
    y_above_x_per_1000: round4(above.per_1000),
    y_above_x_n: above.n,
    window_low_ms: below.window_low_ms,
    window_high_ms: below.window_high_ms,
    direct_no_timeout_per_1000: noTimeout ? round4(noTimeout.per_1000) : null,
    direct_timeout_below_per_1000: below2 ? round4(below2.per_1000) : null,
    node_default_per_1000: nodeDefault ? round4(nodeDefault.per_1000) : null,
  };
  // Strong when the failing side's Wilson CI excludes 0 (and, for the safe side, its upper bound is what it is).
  const evidence: Evidence = {
    n: `n = ${below.n} + ${above.n} trials (Y < X, Y > X)`,
    strength: below.ci_low_per_1000 > 0 || above.ci_low_per_1000 > 0 ? 'strong' : 'inconclusive',
  };
  if (above.failures > 0 && below.failures === 0)
    return { claim: 'C8', kind: 'confirmed', figure, numbers, rule, evidence };
  if (above.failures > 0)
    return {
      claim: 'C8',
      kind: 'depends',
      reason: 'failures on both sides of the LB timeout',
      figure,
      numbers,
      rule,
      evidence,
    };
  if (below.failures === 0 || below.ci_low_per_1000 <= 0)
    return {
      claim: 'C8',
      kind: 'depends',
      reason: 'no significant failure rate with Y < X in this run',
      figure,
      numbers,
      rule,
      evidence,
    };
  return {
    claim: 'C8',
    evidence,
    kind: 'refuted',
    reason:
      "the advice is backwards: the server closing first (Y < X) is what makes the LB send 502s; keep the server's idle timeout above the LB's (LB 60 s → server 65 s or more), as AWS documents for ALB targets",
    figure,
    numbers,
    rule,
  };
}

/** One C8 request: its idle gap relative to the first timeout of the pair, and whether it failed. */
export interface C8Trial {
  label: string | undefined;
  gap_ms: number | null;
  failed: boolean;
}

export function c8Trials(rows: readonly CsvRow[]): C8Trial[] {
  return rows
    .filter((r) => r.part === 'c8')
    .map((r) => ({ label: r.note ?? r.case_key, gap_ms: num(r.gap_ms), failed: r.outcome !== 'ok' }));
}

// ---------------------------------------------------------------- the whole section

export interface LifecycleAnalysis {
  /** 1:scale — one second in lifecycle.csv stands for `scale` seconds in production. */
  scale: number;
  /** In the order C7, C8, C9, C10, C12; a part the run lacks has none. */
  verdicts: Verdict[];
  /** null when the run has no C7 part. */
  c7_trials: C7Trial[] | null;
  c8_rates: C8Rate[];
  c8_trials: C8Trial[];
  c9: StrategyFigure[];
  c9_trials: C9Trial[];
  c10: StrategyFigure[];
  pools: PoolFigure[];
  /** Trials that errored in the harness, and up to three of their distinct messages. */
  harness_errors: number;
  harness_error_messages: string[];
}

export function analyseLifecycle(rows: readonly CsvRow[], scale: number, linkBackend = ''): LifecycleAnalysis {
  const verdicts: Verdict[] = [];
  const hasC7 = rows.some((r) => r.part === 'c7');
  if (hasC7) verdicts.push(verdictC7(rows, scale, linkBackend));
  const rates = c8Rates(rows);
  if (rates.length) verdicts.push(verdictC8(rates, scale));
  const c9 = strategyFigures(rows, 'c9');
  if (c9.length) verdicts.push(verdictC9(c9));
  const c10 = strategyFigures(rows, 'c10');
  if (c10.length) verdicts.push(verdictC10(c10));
  const pools = poolFigures(rows);
  if (pools.length) verdicts.push(verdictC12(pools));
  const errors = rows.filter((r) => r.outcome === 'error');
  return {
    scale,
    verdicts,
    c7_trials: hasC7 ? c7Trials(rows) : null,
    c8_rates: rates,
    c8_trials: c8Trials(rows),
    c9,
    c9_trials: c9Trials(rows),
    c10,
    pools,
    harness_errors: errors.length,
    harness_error_messages: [...new Set(errors.map((r) => r.error))].slice(0, 3).map((e) => e ?? ''),
  };
}
