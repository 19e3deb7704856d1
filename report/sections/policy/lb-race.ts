/**
 * The policy scenario's load-balancer race (C8 for the server under test), from the `lb_race` rows of policy.csv:
 * the harness's LB with the user's idle timeout X in front of the server, whose own idle close Y was measured
 * just before. Pure: rows in, figures, advice and the verdict out.
 */
import { quantileOf, wilson } from '../../../lib/stats.ts';
import type { CsvRow } from '../../load-run.ts';
import { num } from '../../rows.ts';
import type { Evidence, Verdict } from '../types.ts';

export interface LbRaceFigures {
  profile: string;
  x_ms: number;
  /** The server's idle close as measured; null: it kept idle connections to the cap. */
  y_ms: number | null;
  n: number;
  http_502: number;
  resets: number;
  other_errors: number;
  failures: number;
  per_1000: number;
  ci_low_per_1000: number;
  ci_high_per_1000: number;
  /** 5th–95th percentile of (idle gap − first timeout) among failed trials, ms: where the race bites. */
  window_low_ms: number | null;
  window_high_ms: number | null;
  /** Largest |gap − first timeout| drawn, ms. */
  spread_ms: number | null;
}

export function lbRaceFigures(rows: readonly CsvRow[]): LbRaceFigures | null {
  const race = rows.filter((r) => r.part === 'lb_race');
  const first = race[0];
  const x_ms = num(first?.x_ms);
  if (first === undefined || x_ms === null) return null;
  const count = (o: string): number => race.filter((r) => r.outcome === o).length;
  const failed = race.filter((r) => r.outcome !== 'ok');
  const failedGaps = failed.map((r) => num(r.gap_ms)).filter((x): x is number => x !== null);
  const gaps = race.map((r) => Math.abs(num(r.gap_ms) ?? 0));
  const ci = wilson(failed.length, race.length);
  const round1 = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);
  return {
    profile: first.profile ?? '',
    x_ms,
    y_ms: num(first.y_ms),
    n: race.length,
    http_502: count('http_502'),
    resets: count('reset'),
    other_errors: count('error'),
    failures: failed.length,
    per_1000: (1000 * failed.length) / race.length,
    ci_low_per_1000: 1000 * ci.low,
    ci_high_per_1000: 1000 * ci.high,
    window_low_ms: round1(quantileOf(failedGaps, 0.05)),
    window_high_ms: round1(quantileOf(failedGaps, 0.95)),
    spread_ms: gaps.length ? Math.round(Math.max(...gaps)) : null,
  };
}

const s = (ms: number): string => `${+(ms / 1000).toFixed(2)} s`;

/** Whose idle timeout fires first on the LB → server connection. */
export function serverClosesFirst(f: Pick<LbRaceFigures, 'x_ms' | 'y_ms'>): boolean {
  return f.y_ms !== null && f.y_ms < f.x_ms;
}

/** "LB 8 s, server 6 s: 150 per 1 000 failed (95 % CI 52–360, n = 20: 3 × 502)". */
export function lbRaceWords(f: LbRaceFigures): string {
  const kinds = [
    f.http_502 ? `${f.http_502} × 502` : '',
    f.resets ? `${f.resets} resets` : '',
    f.other_errors ? `${f.other_errors} other errors` : '',
  ].filter(Boolean);
  const server = f.y_ms === null ? 'server: no idle close seen' : `server ${s(f.y_ms)}`;
  return `LB ${s(f.x_ms)}, ${server}: ${f.per_1000.toFixed(0)} per 1 000 requests failed (95 % CI ${f.ci_low_per_1000.toFixed(0)}–${f.ci_high_per_1000.toFixed(0)}, n = ${f.n}${kinds.length ? `: ${kinds.join(', ')}` : ''})`;
}

/** What to change, in one sentence. */
export function lbAdvice(f: LbRaceFigures): string {
  if (!serverClosesFirst(f))
    return f.y_ms === null
      ? `The LB's idle timeout (${s(f.x_ms)}) fires first: the server did not close idle connections within the watch, so the LB never reuses one the server has closed.`
      : `The LB's idle timeout (${s(f.x_ms)}) is shorter than the server's (${s(f.y_ms)}): the LB drops idle connections first and never sends on one the server is closing. Keep it that way.`;
  return `The server closes idle connections (${s(f.y_ms ?? 0)}) before the LB does (${s(f.x_ms)}): a request the LB sends on a pooled connection while the server's FIN is on its way fails. Raise the server's idle timeout above ${s(f.x_ms)} (e.g. nginx keepalive_timeout, Node server.keepAliveTimeout), or lower the LB's below ${s(f.y_ms ?? 0)}.`;
}

/**
 * C8 for the server under test. The claim's advice is "server timeout a little below the LB's": refuted when the
 * server closes first and the LB's failures have a 95 % CI above 0; "depends" otherwise (one pairing measures
 * one side of the claim, and a race the trials did not hit proves nothing).
 */
export function verdictPolicyC8(f: LbRaceFigures): Verdict {
  const rule =
    "the harness's LB (idle timeout X, --lb-idle-timeout) in front of the server under test (idle close Y, measured), requests sent after idle gaps drawn around min(X, Y): refuted when Y < X and the failure rate's 95 % Wilson CI excludes 0 (the server-below-LB advice gives 502s); depends otherwise";
  const numbers = {
    x_ms: f.x_ms,
    y_ms: f.y_ms,
    n: f.n,
    failures: f.failures,
    per_1000: Math.round(f.per_1000 * 10) / 10,
    ci_low_per_1000: Math.round(f.ci_low_per_1000 * 10) / 10,
    ci_high_per_1000: Math.round(f.ci_high_per_1000 * 10) / 10,
  };
  const window =
    f.window_low_ms !== null && f.window_high_ms !== null
      ? `; the failures at idle gaps ${f.window_low_ms}…${f.window_high_ms} ms from the server's close`
      : '';
  const figure = `${lbRaceWords(f)}${window}. ${lbAdvice(f)}`;
  const evidence: Evidence = {
    n: `n = ${f.n} lanes`,
    strength: f.ci_low_per_1000 > 0 ? 'strong' : 'inconclusive',
  };
  const base = { claim: 'C8', figure, numbers, rule, evidence } as const;
  if (serverClosesFirst(f) && f.failures > 0 && f.ci_low_per_1000 > 0) return { ...base, kind: 'refuted' };
  const reason = serverClosesFirst(f)
    ? `the server closes first, but none of ${f.n} requests hit the race window (about one RTT of the LB → server hop wide): more trials (--full) or a longer RTT make it visible`
    : f.failures > 0
      ? `the LB closes first, yet ${f.failures} of ${f.n} requests failed: see policy.csv`
      : "the LB closes first here, so this pairing measures only the safe side of the claim; give an --lb-idle-timeout above the server's to race the other";
  return { ...base, kind: 'depends', reason };
}
