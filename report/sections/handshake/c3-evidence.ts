/**
 * C3's evidence (issue #21): for each protocol/security variant the growth of the saving from the shortest to the
 * longest RTT, with a 95 % CI, and whether those CIs settle the verdict. Pure, over the trends of ./analysis.ts.
 *
 * The growth is saving(longest RTT) − saving(shortest RTT). The two savings come from different profiles, so
 * they are independent: the growth's half-width is their CI half-widths combined in quadrature (as the tun ⇄ tc
 * link-parity check combines two runs). Each saving's CI is already the conservative one of savings.ts (the two
 * medians' CIs added end to end), so the growth's CI is conservative too.
 */
import { fmtCi, fmtMs, round4 } from '../../format.ts';
import type { Saving } from '../../../bench/scenarios/handshake/savings.ts';
import type { Evidence, VerdictKind } from '../types.ts';

/** grows: the CIs at the shortest and longest RTT are apart; flat: confidently far below the model's growth. */
export type C3Trend = 'grows' | 'shrinks' | 'flat' | 'unclear';

export interface VariantTrend {
  variant: string;
  low: Saving;
  high: Saving;
  trend: C3Trend;
  slope_rtt: number | null;
  model_slope_rtt: number | null;
}

export interface C3Growth {
  variant: string;
  trend: C3Trend;
  /** saving at the longest RTT − saving at the shortest, ms. */
  growth_ms: number;
  /** 95 % CI of the growth; null when either saving has no CI. */
  ci_low_ms: number | null;
  ci_high_ms: number | null;
  /** What the model says the growth should be, ms (null: no model). */
  model_growth_ms: number | null;
  /** Requests behind the smaller of the four medians the growth rests on. */
  n: number;
}

function halfWidth(s: Saving): number | null {
  return s.ci_low_ms !== null && s.ci_high_ms !== null ? (s.ci_high_ms - s.ci_low_ms) / 2 : null;
}

export function c3Growth(t: VariantTrend): C3Growth {
  const growth_ms = t.high.saving_ms - t.low.saving_ms;
  const hHigh = halfWidth(t.high);
  const hLow = halfWidth(t.low);
  const hw = hHigh !== null && hLow !== null ? Math.hypot(hHigh, hLow) : null;
  return {
    variant: t.variant,
    trend: t.trend,
    growth_ms,
    ci_low_ms: hw === null ? null : growth_ms - hw,
    ci_high_ms: hw === null ? null : growth_ms + hw,
    model_growth_ms: t.high.model_ms !== null && t.low.model_ms !== null ? t.high.model_ms - t.low.model_ms : null,
    n: Math.min(t.low.n, t.high.n),
  };
}

/** The growth's CI excludes 0 from below: the saving does grow. */
export function growthShown(g: C3Growth): boolean {
  return g.ci_low_ms !== null && g.ci_low_ms > 0;
}

/**
 * A variant that counts against the claim, settled: shrinking with the CI below 0, or flat with the CI below
 * `flatShare` of the model's growth.
 */
export function againstShown(g: C3Growth, flatShare: number): boolean {
  if (g.ci_high_ms === null) return false;
  if (g.trend === 'shrinks') return g.ci_high_ms < 0;
  if (g.trend === 'flat') return g.model_growth_ms !== null && g.ci_high_ms < flatShare * g.model_growth_ms;
  return false;
}

/**
 * confirmed: strong when every variant's growth CI lies above 0 (all must hold: the claim is about each);
 * refuted: strong when a variant that does not grow has a CI that excludes growth (one such variant refutes);
 * depends (no variant grows confidently): inconclusive by nature.
 */
export function c3Evidence(kind: VerdictKind, trends: readonly VariantTrend[], flatShare: number): Evidence {
  const growths = trends.map(c3Growth);
  const rtts = (s: (t: VariantTrend) => Saving): number[] => trends.map((t) => s(t).rtt_ms ?? 0);
  const minN = Math.min(...growths.map((g) => g.n));
  const n = `${trends.length} protocol/security variant${trends.length === 1 ? '' : 's'} at ${fmtRtts(rtts((t) => t.low))} and ${fmtRtts(rtts((t) => t.high))} RTT, n ≥ ${minN} requests a case`;
  let strong = false;
  if (kind === 'confirmed') strong = growths.length > 0 && growths.every(growthShown);
  else if (kind === 'refuted') strong = growths.some((g) => againstShown(g, flatShare));
  return { n, strength: strong ? 'strong' : 'inconclusive' };
}

function fmtRtts(list: readonly number[]): string {
  const lo = Math.min(...list);
  const hi = Math.max(...list);
  const f = (x: number): string => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
  return lo === hi ? `${f(lo)} ms` : `${f(lo)}–${f(hi)} ms`;
}

/** Evidence when no variant has two RTTs far enough apart: inconclusive, with the n the run had. */
export function c3EvidenceWithoutTrend(savings: readonly Saving[]): Evidence {
  const vsNew = savings.filter((s) => s.versus === 'new');
  if (vsNew.length === 0) return { n: 'n = 0 new-vs-reused pairs', strength: 'inconclusive' };
  const rtts = new Set(vsNew.map((s) => s.rtt_ms));
  return {
    n: `${rtts.size} RTT${rtts.size === 1 ? '' : 's'} measured, n ≥ ${Math.min(...vsNew.map((s) => s.n))} requests a case`,
    strength: 'inconclusive',
  };
}

/** The growth and its CI of the headline variants, for Verdict.numbers. */
export function c3EvidenceNumbers(
  key: VariantTrend | undefined,
  tls: VariantTrend | undefined,
  trends: readonly VariantTrend[],
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const put = (prefix: string, t: VariantTrend): void => {
    const g = c3Growth(t);
    out[`${prefix}growth_ms`] = round4(g.growth_ms);
    out[`${prefix}growth_ci_low_ms`] = round4(g.ci_low_ms);
    out[`${prefix}growth_ci_high_ms`] = round4(g.ci_high_ms);
  };
  if (key) put('', key);
  if (tls && tls !== key) put('tls_', tls);
  out.variants_growth_ci_above_0 = trends.map(c3Growth).filter(growthShown).length;
  return out;
}

/** "+50.3 ms, 95 % CI [49.7–51.0] ms": the growth in words. */
export function growthWords(t: VariantTrend): string {
  const g = c3Growth(t);
  return `${g.growth_ms >= 0 ? '+' : '−'}${fmtMs(Math.abs(g.growth_ms))}, 95 % CI ${fmtCi(g.ci_low_ms, g.ci_high_ms)}`;
}
