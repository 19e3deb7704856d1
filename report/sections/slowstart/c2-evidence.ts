/**
 * C2's evidence (issue #21): the comparisons that decide its kind, each the Hodges–Lehmann difference of the
 * per-request times in samples.csv with its 95 % Moses CI, in RTTs of the profile — and whether those CIs settle
 * the verdict. Pure; the verdict itself (on medians) is ./analysis.ts's c2Verdict.
 *
 * - saved (size sweep, HTTP/1.1): cold − warm − 1 RTT (the handshake), against SAVED_ROUNDS_MIN;
 * - idle lost (ssai = 1 only: the verdict turns on those): idle − warm of the same size, against LOST_ROUNDS_MIN.
 */
import { hodgesLehmann } from '../../../lib/stats-rank-tests.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtRtt, round4 } from '../../format.ts';
import { num } from '../../rows.ts';
import type { Evidence, VerdictKind } from '../types.ts';
import type { C2Finding, SlowstartFigure } from './figures.ts';

export interface RoundsComparison {
  what: 'saved' | 'idle_lost';
  profile: string;
  cc: string;
  size_bytes: number;
  /** The idle case's gap and tcp_slow_start_after_idle; null for 'saved'. */
  idle_ms: number | null;
  ssai: number | null;
  /** Hodges–Lehmann shift in RTTs (saved: cold − warm − 1; idle_lost: idle − warm); null without samples. */
  rounds: number | null;
  /** Its 95 % Moses CI in RTTs; null when the samples are too few (fewer than 4 a side) or missing. */
  ci_low_rounds: number | null;
  ci_high_rounds: number | null;
  /** Successful measured requests of the two cases (cold or idle, then warm). */
  n_a: number;
  n_b: number;
}

/** Successful, measured (not warm-up) total_ms of each slowstart case, by case_key. */
export function slowstartSamples(samples: readonly CsvRow[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of samples) {
    if (r.scenario !== 'slowstart' || r.warmup === '1' || (r.error ?? '') !== '') continue;
    const t = num(r.total_ms);
    if (t === null) continue;
    const key = r.case_key ?? '';
    const list = out.get(key);
    if (list) list.push(t);
    else out.set(key, [t]);
  }
  return out;
}

function compare(
  a: SlowstartFigure,
  b: SlowstartFigure,
  bySample: ReadonlyMap<string, readonly number[]>,
  minusRounds: number,
): Pick<RoundsComparison, 'rounds' | 'ci_low_rounds' | 'ci_high_rounds' | 'n_a' | 'n_b'> {
  const xa = bySample.get(a.case_key) ?? [];
  const xb = bySample.get(b.case_key) ?? [];
  const rtt = a.rtt_ms;
  const none = { rounds: null, ci_low_rounds: null, ci_high_rounds: null, n_a: xa.length, n_b: xb.length };
  if (xa.length === 0 || xb.length === 0 || rtt === null || rtt < 1) return none;
  const hl = hodgesLehmann(xb, xa);
  const inRounds = (v: number | null): number | null => (v === null ? null : round4(v / rtt - minusRounds));
  return {
    rounds: inRounds(hl.shift),
    ci_low_rounds: inRounds(hl.low),
    ci_high_rounds: inRounds(hl.high),
    n_a: xa.length,
    n_b: xb.length,
  };
}

/** Every cold-vs-warm and idle (ssai = 1)-vs-warm comparison of the HTTP/1.1 size sweep, per profile and cc. */
export function c2Comparisons(figs: readonly SlowstartFigure[], samples: readonly CsvRow[]): RoundsComparison[] {
  const bySample = slowstartSamples(samples);
  const sweep = figs.filter((f) => f.part === 'size' && f.protocol === 'h1');
  const out: RoundsComparison[] = [];
  for (const warm of sweep.filter((f) => f.state === 'warm')) {
    const same = sweep.filter(
      (f) => f.profile === warm.profile && f.cc === warm.cc && f.size_bytes === warm.size_bytes,
    );
    const base = { profile: warm.profile, cc: warm.cc, size_bytes: warm.size_bytes };
    const cold = same.find((f) => f.state === 'cold');
    if (cold) out.push({ what: 'saved', ...base, idle_ms: null, ssai: null, ...compare(cold, warm, bySample, 1) });
    for (const idle of same.filter((f) => f.state === 'idle' && f.ssai === 1))
      out.push({ what: 'idle_lost', ...base, idle_ms: idle.idle_ms, ssai: 1, ...compare(idle, warm, bySample, 0) });
  }
  return out;
}

const above = (c: RoundsComparison, min: number): boolean => c.ci_low_rounds !== null && c.ci_low_rounds >= min;
const below = (c: RoundsComparison, min: number): boolean => c.ci_high_rounds !== null && c.ci_high_rounds < min;

/**
 * Strong when the CIs settle what decides the kind. refuted: every cold-vs-warm CI lies below minSaved. confirmed:
 * some cold-vs-warm CI lies at or above minSaved (one size suffices to show the saving) and every idle (ssai = 1)
 * CI lies below minLost (idling must lose it nowhere). depends: a saving shown so, and some idle CI at or above
 * minLost. No correction for multiplicity: "all must hold" for the universal parts.
 */
export function c2Evidence(
  kind: VerdictKind,
  comparisons: readonly RoundsComparison[],
  minSaved: number,
  minLost: number,
): Evidence {
  const saved = comparisons.filter((c) => c.what === 'saved');
  const lost = comparisons.filter((c) => c.what === 'idle_lost');
  const used = kind === 'refuted' ? saved : comparisons;
  if (used.length === 0) return { n: 'n = 0 cold-vs-warm comparisons with samples', strength: 'inconclusive' };
  const minN = Math.min(...used.map((c) => Math.min(c.n_a, c.n_b)));
  const plural = (k: number, what: string): string => `${k} ${what} comparison${k === 1 ? '' : 's'}`;
  const n =
    kind === 'refuted'
      ? `n ≥ ${minN} requests a case, ${plural(saved.length, 'cold-vs-warm')}`
      : `n ≥ ${minN} requests a case, ${saved.length} cold-vs-warm and ${plural(lost.length, 'idle-vs-warm')}`;
  const savingShown = saved.some((c) => above(c, minSaved));
  let strong: boolean;
  if (kind === 'refuted') strong = saved.every((c) => below(c, minSaved));
  else if (kind === 'confirmed') strong = savingShown && lost.every((c) => below(c, minLost));
  else strong = savingShown && lost.some((c) => above(c, minLost));
  return { n, strength: strong ? 'strong' : 'inconclusive' };
}

/** The comparison of a finding's profile and cc at one size (and, for idle, one gap); undefined: none. */
export function comparisonAt(
  comparisons: readonly RoundsComparison[],
  f: { profile: string; cc: string },
  what: RoundsComparison['what'],
  size_bytes: number | null,
  idle_ms: number | null = null,
): RoundsComparison | undefined {
  return comparisons.find(
    (c) =>
      c.what === what &&
      c.profile === f.profile &&
      c.cc === f.cc &&
      c.size_bytes === size_bytes &&
      (what === 'saved' || c.idle_ms === idle_ms),
  );
}

/**
 * For Verdict.numbers: the CI (RTTs) of the saving at each finding's largest size and of each ssai = 1 idle gap's
 * loss at its worst size — the figures c2Findings names — and the smallest n behind any comparison.
 */
export function c2EvidenceNumbers(
  findings: readonly C2Finding[],
  comparisons: readonly RoundsComparison[],
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const put = (name: string, c: RoundsComparison | undefined): void => {
    out[name.replace('%', 'ci_low')] = c?.ci_low_rounds ?? null;
    out[name.replace('%', 'ci_high')] = c?.ci_high_rounds ?? null;
  };
  for (const f of findings) {
    put(`saved_rounds_%_${f.profile}_${f.cc}`, comparisonAt(comparisons, f, 'saved', f.largest_bytes));
    for (const g of f.idle_lost_rounds.filter((x) => x.ssai === 1))
      put(
        `idle${g.idle_ms}ms_ssai1_lost_rounds_%_${f.profile}_${f.cc}`,
        comparisonAt(comparisons, f, 'idle_lost', g.size_bytes, g.idle_ms),
      );
  }
  const ns = comparisons.flatMap((c) => [c.n_a, c.n_b]);
  out.evidence_min_n_requests = ns.length > 0 ? Math.min(...ns) : null;
  return out;
}

/** " (95 % CI 5.60…5.95 RTT)", or '' without a CI. */
export function ciWords(c: RoundsComparison | undefined): string {
  if (c?.ci_low_rounds == null || c.ci_high_rounds == null) return '';
  return ` (95 % CI ${fmtRtt(c.ci_low_rounds).replace(' RTT', '')}…${fmtRtt(c.ci_high_rounds)})`;
}
