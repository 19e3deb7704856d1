/**
 * The handshake section's analysis (pure): C1 (keep-alive removes the handshake round trips) and C3 (the saving
 * grows with RTT), judged from the savings of bench/scenarios/handshake/savings.ts against the analytic model —
 * plus, when the run had a zero-RTT profile, the processing time measured there, which the model leaves out.
 */
import type { CsvRow, RunFolder } from '../../load-run.ts';
import { fmtMs, fmtRtt, round4, variantLabel } from '../../format.ts';
import { profileOrder } from '../../rows.ts';
import { type Figure } from '../../../lib/figures.ts';
import {
  diff,
  MIN_RTT_FOR_RTT_UNITS_MS,
  rttOf,
  variantKey,
  type Saving,
} from '../../../bench/scenarios/handshake/savings.ts';
import type { Evidence, Verdict } from '../types.ts';
import {
  c3Evidence,
  c3EvidenceNumbers,
  c3EvidenceWithoutTrend,
  growthWords,
  type C3Trend,
  type VariantTrend,
} from './c3-evidence.ts';

export type { C3Trend, VariantTrend } from './c3-evidence.ts';

/** A measured saving counts as matching the model when within this many RTTs of it (or its CI reaches it). */
export const C1_TOLERANCE_RTT = 0.25;
/** On the proxy link C1 is judged only at RTTs where its ms-granular timers are small against the RTT. */
export const PROXY_MIN_RTT_FOR_C1_MS = 10;
/** C3 needs profiles whose RTTs differ by at least this factor. */
const C3_MIN_RTT_RATIO = 1.2;
/** C3 is refuted when the saving confidently grows by less than this share of what the model predicts. */
const C3_FLAT_SHARE = 0.5;

const VARIANT_ORDER = ['h1/none', 'h1/tls12', 'h1/tls13', 'h2/none', 'h2/tls13'];

/**
 * agrees: within tolerance of the expected saving (or its CI reaches it); larger/smaller: the whole CI beyond
 * the tolerance; zero: the CI includes 0 and not the expected saving; noisy: the CI includes both.
 */
/**
 * How a case's saving meets the model: 'agrees' when its median is within the tolerance; 'model_in_ci' when only
 * its 95 % CI (widened by the tolerance) reaches the model — agreement too, but a weaker one, and said as such.
 */
export type C1Match = 'agrees' | 'model_in_ci' | 'larger' | 'smaller' | 'zero' | 'noisy' | 'no_ci' | 'cpu_bound';

/**
 * C1 counts round trips. Where the handshake's processing (measured at zero RTT) is more than this share of the RTT,
 * its variation between the zero-RTT profile and this one (up to ~60 % seen on this machine: TLS on a 1 ms link)
 * exceeds the ±C1_TOLERANCE_RTT tolerance, and it, not the round trips, decides the case: shown, not judged.
 */
export const C1_MAX_PROCESSING_RTT = 0.5;

export function sortVariants(keys: Iterable<string>): string[] {
  const rank = (k: string): number => {
    const i = VARIANT_ORDER.indexOf(k);
    return i === -1 ? VARIANT_ORDER.length : i;
  };
  return [...new Set(keys)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function c1Match(s: Saving, tolerance_rtt = C1_TOLERANCE_RTT): C1Match {
  if (s.cpu_ms !== null && s.rtt_ms !== null && s.cpu_ms > C1_MAX_PROCESSING_RTT * s.rtt_ms) return 'cpu_bound';
  if (s.ci_low_ms === null || s.ci_high_ms === null || s.rtt_ms === null || s.expected_ms === null) return 'no_ci';
  const tol = tolerance_rtt * s.rtt_ms;
  const reaches = s.ci_low_ms - tol <= s.expected_ms && s.expected_ms <= s.ci_high_ms + tol;
  if (s.ci_low_ms <= 0) return reaches ? 'noisy' : 'zero';
  if (Math.abs(s.saving_ms - s.expected_ms) <= tol) return 'agrees';
  if (reaches) return 'model_in_ci';
  return s.saving_ms < s.expected_ms ? 'smaller' : 'larger';
}

export const MATCH_TEXT: Record<C1Match, string> = {
  agrees: `median within ±${C1_TOLERANCE_RTT} RTT of the model`,
  model_in_ci: `model inside the 95 % CI (±${C1_TOLERANCE_RTT} RTT), median not`,
  larger: 'more than the model',
  smaller: 'less than the model',
  zero: 'CI includes 0',
  noisy: 'too noisy: CI includes 0 and the model',
  no_ci: 'too few samples for a CI',
  cpu_bound: `not judged: its processing at zero RTT exceeds ${C1_MAX_PROCESSING_RTT} RTT`,
};

function where(s: Saving): string {
  return `${variantLabel(s.protocol, s.security)} on ${s.profile}`;
}

/** The saving in words: "2.11 RTT = 107.6 ms", or "0.963 ms" where RTTs mean nothing. */
function savingWords(s: Saving): string {
  return `${s.saving_rtt !== null ? `${fmtRtt(s.saving_rtt)} = ` : ''}${fmtMs(s.saving_ms)}`;
}

/** The two savings a reader looks for first: cleartext HTTP/1.1 (the TCP handshake alone) and TLS 1.3. */
function headlinePair(list: readonly Saving[]): Saving[] {
  const pick = (keys: string[]): Saving | undefined => {
    for (const k of keys) {
      const s = list.find((x) => variantKey(x) === k);
      if (s) return s;
    }
    return undefined;
  };
  const out: Saving[] = [];
  const clear = pick(['h1/none', 'h2/none']);
  const tls = pick(['h1/tls13', 'h2/tls13', 'h1/tls12']);
  if (clear) out.push(clear);
  if (tls) out.push(tls);
  if (out.length === 0 && list[0]) out.push(list[0]);
  return out;
}

function modelWords(s: Saving): string {
  const model = s.model_rtt !== null ? fmtRtt(s.model_rtt) : s.model_ms !== null ? fmtMs(s.model_ms) : null;
  if (model === null) return 'no model';
  return s.cpu_ms !== null ? `model ${model} + ${fmtMs(s.cpu_ms)} processing measured at zero RTT` : `model ${model}`;
}

/** "keep-alive saves 2.11 RTT = 107.6 ms per request over HTTP/1.1 + TLS 1.3 at 51.1 ms RTT (wan; model 2.00 RTT)". */
function headlineText(pair: readonly Saving[]): string {
  const [first, second] = pair;
  if (!first) return 'no figure';
  const at = first.rtt_ms !== null ? ` at ${fmtMs(first.rtt_ms)} RTT` : '';
  let text = `keep-alive saves ${savingWords(first)} per request over ${variantLabel(first.protocol, first.security)}${at} (${first.profile}; ${modelWords(first)})`;
  if (second)
    text += `; ${savingWords(second)} over ${variantLabel(second.protocol, second.security)} (${modelWords(second)})`;
  return text;
}

function cases(n: number): string {
  return `${n} case${n === 1 ? '' : 's'}`;
}

/** What the probe says when a kept-alive connection was closed by the server before it could be reused. */
const CLOSED_BY_SERVER = /not reusable: (connection closed by server|server sent Connection: close)/;

/** A server that does not keep connections alive: every attempt to reuse a connection found it closed. */
export interface NoReuse {
  /** Measured requests of the kept-alive cases, all of which found their connection closed by the server. */
  attempts: number;
  cases: string[];
}

/**
 * Kept-alive cases (conn_mode reused) in which every measured request found its connection closed by the server:
 * null when there are none, or when any reuse succeeded (a server that keeps some connections is measured as usual).
 */
export function noReuseOf(samples: readonly CsvRow[]): NoReuse | null {
  const reused = samples.filter((r) => r.scenario === 'handshake' && r.conn_mode === 'reused' && r.warmup !== '1');
  if (reused.length === 0 || !reused.every((r) => CLOSED_BY_SERVER.test(r.error ?? ''))) return null;
  return { attempts: reused.length, cases: [...new Set(reused.map((r) => r.case_key ?? ''))] };
}

/**
 * Strong when every case's CI settles it: a case that agrees has its whole CI within the model ± the tolerance;
 * one that differs (larger, smaller, zero) has its CI clear of it. A case that agrees only by its median or
 * only through its CI, or whose CI spans 0 and the model, leaves the verdict inconclusive.
 */
function c1Evidence(evaluable: readonly Saving[], matches: ReadonlyArray<{ s: Saving; m: C1Match }>): Evidence {
  const settled = (x: { s: Saving; m: C1Match }): boolean => {
    if (x.m === 'larger' || x.m === 'smaller' || x.m === 'zero') return true;
    if (x.m !== 'agrees') return false;
    const { ci_low_ms: lo, ci_high_ms: hi, expected_ms: e, rtt_ms: rtt } = x.s;
    if (lo === null || hi === null || e === null || rtt === null) return false;
    const tol = C1_TOLERANCE_RTT * rtt;
    return lo >= e - tol && hi <= e + tol;
  };
  return {
    n: `${evaluable.length} case${evaluable.length === 1 ? '' : 's'}, n ≥ ${Math.min(...evaluable.map((s) => s.n))} requests each`,
    strength: matches.every(settled) ? 'strong' : 'inconclusive',
  };
}

/** The cases C1 judges, and those left out because processing, not round trips, decides them (cpu_bound). */
function judgedCases(vsNew: readonly Saving[]): { evaluable: Saving[]; cpuBound: Saving[] } {
  // The proxy link delays with Node timers (1 ms granularity) and charges the handshake on the first bytes:
  // at a few ms of RTT that rounding, not the handshake, decides.
  const inRttUnits = vsNew.filter(
    (s) => s.saving_rtt !== null && !(s.link_backend === 'proxy' && (s.rtt_ms ?? 0) < PROXY_MIN_RTT_FOR_C1_MS),
  );
  return {
    evaluable: inRttUnits.filter((s) => c1Match(s) !== 'cpu_bound'),
    cpuBound: inRttUnits.filter((s) => c1Match(s) === 'cpu_bound'),
  };
}

/** "; 3 cases not judged, the processing at zero RTT above 0.5 RTT (…)", or '' when every case is judged. */
function notJudgedWords(cpuBound: readonly Saving[]): string {
  if (cpuBound.length === 0) return '';
  const each = cpuBound.map((s) => `${where(s)}: ${fmtMs(s.cpu_ms)} at ${fmtMs(s.rtt_ms)} RTT`).join('; ');
  return `; ${cases(cpuBound.length)} not judged, the processing at zero RTT above ${C1_MAX_PROCESSING_RTT} RTT (${each})`;
}

/** C1 when no case can be judged: no reuse, no pair, no delay, or processing above half the RTT everywhere. */
function c1WithoutJudgedCases(
  vsNew: readonly Saving[],
  cpuBound: readonly Saving[],
  noReuse: NoReuse | null,
  rule: string,
): Verdict {
  const evidence: Evidence = {
    n: `n = 0 judged cases${vsNew.length ? ` (${vsNew.length} measured)` : ''}`,
    strength: 'inconclusive',
  };
  if (noReuse !== null) {
    const n = noReuse.attempts;
    return {
      claim: 'C1',
      kind: 'depends',
      reason: `no reuse: the server under test closed the connection after every response, so every request paid a new connection (${n}/${n} attempts to reuse one found it closed)`,
      figure: `no reuse: 0/${n} requests could reuse a connection`,
      numbers: { reuse_attempts: n, reused: 0 },
      rule,
      evidence,
    };
  }
  if (vsNew.length === 0) {
    return {
      claim: 'C1',
      kind: 'depends',
      reason: 'no successful new-vs-reused pair in this run',
      figure: 'no figure: every pair of cases lacks samples',
      numbers: {},
      rule,
      evidence,
    };
  }
  const pair = headlinePair(vsNew);
  const rtt = Math.max(...vsNew.map((s) => s.rtt_ms ?? 0));
  const numbers = { saving_ms: round4(pair[0]?.saving_ms ?? null), rtt_ms: round4(rtt) };
  if (cpuBound.length > 0)
    return {
      claim: 'C1',
      kind: 'depends',
      reason: `the handshake's processing, not its round trips, decides every case here (above ${C1_MAX_PROCESSING_RTT} RTT at ${fmtMs(rtt)} RTT) — add a profile with a longer RTT (--profile wan)`,
      figure: `${headlineText(pair)}${notJudgedWords(cpuBound)}`,
      numbers: { ...numbers, cases_not_judged_cpu_bound: cpuBound.length },
      rule,
      evidence,
    };
  return {
    claim: 'C1',
    kind: 'depends',
    reason: `needs a link that adds delay: the calibrated RTT is ${fmtMs(rtt)}, so the saving is host CPU and kernel time, not round trips — run with --link tun --profile wan`,
    figure: headlineText(pair),
    numbers,
    rule,
    evidence,
  };
}

export function verdictC1(savings: readonly Saving[], noReuse: NoReuse | null = null): Verdict {
  const vsNew = savings.filter((s) => s.versus === 'new');
  const rule = `judged on profiles with an RTT of at least ${MIN_RTT_FOR_RTT_UNITS_MS} ms, new connection vs kept alive: confirmed when no case contradicts the model and at least one agrees — within ±${C1_TOLERANCE_RTT} RTT of it (model + processing measured at zero RTT when the run has a zero-RTT profile) or its 95 % CI reaching it, the CI excluding 0; refuted when a CI excludes the model and lies below it or includes 0; cases whose CI spans both 0 and the model are too noisy to count; cases whose processing at zero RTT exceeds ${C1_MAX_PROCESSING_RTT} RTT are shown but not judged (its variation, not the round trips, decides them); on the proxy link only profiles from ${PROXY_MIN_RTT_FOR_C1_MS} ms RTT count (its delays are ms-granular timers)`;
  const { evaluable, cpuBound } = judgedCases(vsNew);
  if (evaluable.length === 0) return c1WithoutJudgedCases(vsNew, cpuBound, noReuse, rule);
  // The figure comes from the profile with the longest RTT: where the claim matters.
  const maxRtt = Math.max(...evaluable.map((s) => s.rtt_ms ?? 0));
  const pair = headlinePair(evaluable.filter((s) => s.rtt_ms === maxRtt));
  const matches = evaluable.map((s) => ({ s, m: c1Match(s) }));
  const count = (m: C1Match): number => matches.filter((x) => x.m === m).length;
  const agreeing = count('agrees') + count('model_in_ci');
  const [first, second] = pair;
  const numbers: Record<string, number | null> = {
    rtt_ms: round4(first?.rtt_ms ?? null),
    saving_ms: round4(first?.saving_ms ?? null),
    saving_rtt: round4(first?.saving_rtt ?? null),
    model_rtt: round4(first?.model_rtt ?? null),
    cpu_ms: round4(first?.cpu_ms ?? null),
    cases_agreeing: agreeing,
    cases_agreeing_by_ci_only: count('model_in_ci'),
    cases: evaluable.length,
    tolerance_rtt: C1_TOLERANCE_RTT,
  };
  if (second) {
    numbers.tls_saving_ms = round4(second.saving_ms);
    numbers.tls_saving_rtt = round4(second.saving_rtt);
    numbers.tls_model_rtt = round4(second.model_rtt);
  }
  const list = (ms: readonly C1Match[], why = false): string =>
    matches
      .filter((x) => ms.includes(x.m))
      .map(
        (x) =>
          `${where(x.s)}: ${fmtRtt(x.s.saving_rtt)} vs ${fmtRtt(x.s.expected_rtt)} expected${why ? `, ${MATCH_TEXT[x.m]}` : ''}`,
      )
      .join('; ');
  let figure = headlineText(pair);
  if (evaluable.length > 1) {
    const weak = count('model_in_ci');
    figure += ` — ${agreeing} of ${evaluable.length} cases agree with the model${weak > 0 ? ` (${weak} only because the model is inside their 95 % CI: ${list(['model_in_ci'])})` : ''}`;
  }
  figure += notJudgedWords(cpuBound);
  numbers.cases_not_judged_cpu_bound = cpuBound.length;
  const evidence = c1Evidence(evaluable, matches);
  const bad = count('zero') + count('smaller');
  if (bad > 0) {
    return {
      claim: 'C1',
      kind: 'refuted',
      reason: `keep-alive saved less than the handshake it skips in ${cases(bad)} (${list(['zero', 'smaller'], true)})`,
      figure,
      numbers,
      rule,
      evidence,
    };
  }
  const parts: string[] = [];
  if (count('larger') > 0) {
    const cpuKnown = matches.some((x) => x.m === 'larger' && x.s.cpu_ms !== null);
    const hint = cpuKnown
      ? ''
      : ": the handshake's processing time is saved too — add a zero-RTT profile (--profile loopback,…) to measure it";
    parts.push(
      `saving above the model by more than ${C1_TOLERANCE_RTT} RTT in ${cases(count('larger'))} (${list(['larger'])})${hint}`,
    );
  }
  if (agreeing === 0) {
    if (count('noisy') > 0)
      parts.push(`too noisy to tell in ${cases(count('noisy'))} (${list(['noisy'])}) — run without --quick`);
    if (count('no_ci') > 0)
      parts.push(
        `too few successful samples for a 95 % CI in ${cases(count('no_ci'))} (${matches
          .filter((x) => x.m === 'no_ci')
          .map((x) => where(x.s))
          .join('; ')})`,
      );
  }
  if (parts.length > 0)
    return { claim: 'C1', kind: 'depends', reason: parts.join('; '), figure, numbers, rule, evidence };
  const unjudged = count('noisy') + count('no_ci');
  if (unjudged > 0) figure += ` (${cases(unjudged)} too noisy or too small to judge)`;
  return { claim: 'C1', kind: 'confirmed', figure, numbers, rule, evidence };
}

/** Least-squares slope of saving (ms) on RTT (ms): the RTTs saved per request, measured or modelled. */
function slope(points: ReadonlyArray<{ x: number; y: number }>): number | null {
  if (points.length < 2) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  if (sxx === 0) return null;
  return points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
}

export function c3Trends(savings: readonly Saving[]): VariantTrend[] {
  const vsNew = savings.filter((s) => s.versus === 'new' && s.rtt_ms !== null);
  const out: VariantTrend[] = [];
  for (const variant of sortVariants(vsNew.map(variantKey))) {
    const list = vsNew.filter((s) => variantKey(s) === variant).sort((a, b) => (a.rtt_ms ?? 0) - (b.rtt_ms ?? 0));
    const low = list[0];
    const high = list[list.length - 1];
    if (
      !low ||
      !high ||
      (high.rtt_ms ?? 0) < (low.rtt_ms ?? 0) * C3_MIN_RTT_RATIO ||
      (high.rtt_ms ?? 0) - (low.rtt_ms ?? 0) < MIN_RTT_FOR_RTT_UNITS_MS
    )
      continue;
    const minGrowth = diff(high.ci_low_ms, low.ci_high_ms);
    const maxGrowth = diff(high.ci_high_ms, low.ci_low_ms);
    const modelGrowth = diff(high.model_ms, low.model_ms);
    let trend: C3Trend = 'unclear';
    if (minGrowth !== null && maxGrowth !== null) {
      if (minGrowth > 0) trend = 'grows';
      else if (maxGrowth < 0) trend = 'shrinks';
      else if (modelGrowth !== null && modelGrowth > 0 && maxGrowth < C3_FLAT_SHARE * modelGrowth) trend = 'flat';
    }
    const withModel = list.filter((s) => s.model_ms !== null);
    out.push({
      variant,
      low,
      high,
      trend,
      slope_rtt: slope(list.map((s) => ({ x: s.rtt_ms ?? 0, y: s.saving_ms }))),
      model_slope_rtt:
        withModel.length === list.length
          ? slope(withModel.map((s) => ({ x: s.rtt_ms ?? 0, y: s.model_ms ?? 0 })))
          : null,
    });
  }
  return out;
}

const TREND_TEXT: Record<C3Trend, string> = {
  grows: 'grows',
  shrinks: 'shrinks',
  flat: `grows by less than ${C3_FLAT_SHARE * 100} % of the model`,
  unclear: 'too noisy to tell',
};

export function verdictC3(savings: readonly Saving[], profilesRun: number): Verdict {
  const rule = `for each protocol/security, new connection vs kept alive at the shortest and the longest RTT: confirmed when the saving grows (the two 95 % CIs apart) for at least one and shrinks or stays flat for none; refuted when one shrinks or grows by less than ${C3_FLAT_SHARE * 100} % of the model's growth with confidence`;
  const trends = c3Trends(savings);
  if (trends.length === 0) {
    const one = savings.find((s) => s.versus === 'new');
    return {
      claim: 'C3',
      kind: 'depends',
      reason: `needs ≥ 2 profiles with different RTT (this run: ${profilesRun}) — run with --profile lan,wan,intercontinental`,
      figure: one
        ? `one RTT measured: ${fmtMs(one.saving_ms)} saved at ${fmtMs(one.rtt_ms)} RTT (${variantLabel(one.protocol, one.security)})`
        : 'no figure',
      numbers: {},
      rule,
      evidence: c3EvidenceWithoutTrend(savings),
    };
  }
  const key = trends.find((t) => t.variant === 'h1/none') ?? trends[0];
  const tls = trends.find((t) => t.variant === 'h1/tls13') ?? trends.find((t) => t.variant === 'h2/tls13');
  const name = (t: VariantTrend): string => {
    const [protocol = '', security = ''] = t.variant.split('/');
    return variantLabel(protocol, security);
  };
  const describe = (t: VariantTrend): string => {
    const model = t.model_slope_rtt !== null ? ` (model ${t.model_slope_rtt.toFixed(2)})` : '';
    return `${name(t)}${t.slope_rtt !== null ? `: ${t.slope_rtt.toFixed(2)} ms more per ms of RTT${model}` : ''}`;
  };
  let figure = 'no figure';
  const numbers: Record<string, number | null> = {};
  if (key) {
    figure = `saving ${key.trend === 'grows' ? 'grows' : 'goes'} from ${fmtMs(key.low.saving_ms)} at ${fmtMs(key.low.rtt_ms)} RTT (${key.low.profile}) to ${fmtMs(key.high.saving_ms)} at ${fmtMs(key.high.rtt_ms)} RTT (${key.high.profile}) over ${name(key)} (${growthWords(key)})`;
    if (key.slope_rtt !== null)
      figure += `, ${key.slope_rtt.toFixed(2)} ms per ms of RTT${key.model_slope_rtt !== null ? ` (model ${key.model_slope_rtt.toFixed(2)})` : ''}`;
    if (tls && tls !== key) figure += `; ${describe(tls)}`;
    Object.assign(numbers, {
      rtt_low_ms: round4(key.low.rtt_ms),
      saving_low_ms: round4(key.low.saving_ms),
      rtt_high_ms: round4(key.high.rtt_ms),
      saving_high_ms: round4(key.high.saving_ms),
      slope_rtt: round4(key.slope_rtt),
      model_slope_rtt: round4(key.model_slope_rtt),
    });
  }
  const of = (ts: readonly C3Trend[]): VariantTrend[] => trends.filter((t) => ts.includes(t.trend));
  const growing = of(['grows']).length;
  numbers.variants_growing = growing;
  numbers.variants = trends.length;
  Object.assign(numbers, c3EvidenceNumbers(key, tls, trends));
  const against = of(['shrinks', 'flat']);
  if (against.length > 0) {
    return {
      claim: 'C3',
      kind: 'refuted',
      reason: `the saving does not grow with RTT for ${against.map((t) => `${describe(t)}, ${TREND_TEXT[t.trend]}`).join('; ')}`,
      figure,
      numbers,
      rule,
      evidence: c3Evidence('refuted', trends, C3_FLAT_SHARE),
    };
  }
  if (growing === 0) {
    return {
      claim: 'C3',
      kind: 'depends',
      reason: `too noisy to tell for every protocol/security variant (${trends.map(name).join(', ')}) — run without --quick`,
      figure,
      numbers,
      rule,
      evidence: c3Evidence('depends', trends, C3_FLAT_SHARE),
    };
  }
  const unclear = of(['unclear']);
  if (unclear.length > 0)
    figure += ` (${unclear.length} of ${trends.length} variants too noisy to tell: ${unclear.map(name).join(', ')})`;
  return {
    claim: 'C3',
    kind: 'confirmed',
    figure,
    numbers,
    rule,
    evidence: c3Evidence('confirmed', trends, C3_FLAT_SHARE),
  };
}

// ---------------------------------------------------------------------------------------------
// Charts

export interface ProfileInfo {
  name: string;
  rtt_ms: number | null;
  label: string;
}

export function profileInfos(run: RunFolder, totals: readonly Figure[]): ProfileInfo[] {
  return profileOrder(run.meta, totals)
    .filter((name) => totals.some((f) => f.profile === name))
    .map((name) => {
      const f = totals.find((x) => x.profile === name);
      const rtt = f ? rttOf(f) : null;
      return { name, rtt_ms: rtt, label: rtt !== null ? `${name} · RTT ${fmtMs(rtt)}` : name };
    });
}
