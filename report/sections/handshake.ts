/**
 * The handshake scenario's section: C1 (keep-alive removes the handshake round trips) and C3 (the saving grows
 * with RTT), from the medians of summary.csv against the analytic model written beside them — plus, when the run
 * had a zero-RTT profile, the processing time measured there (cpu_baseline_ms), which the model leaves out.
 */
import type { RunFolder } from '../load-run.ts';
import { CONN_MODE_LABEL, fmtCi, fmtMs, fmtRtt, round4, variantLabel } from '../format.ts';
import { failedCases, profileOrder } from '../rows.ts';
import { figuresOf, type Figure } from '../../lib/figures.ts';
import { diff, handshakeSavings, MIN_RTT_FOR_RTT_UNITS_MS, rttOf, variantKey, type Saving } from '../../bench/scenarios/handshake/savings.ts';
import { MODE_ORDER, PHASE_COLORS, PHASE_ORDER, modeColorScale } from '../theme.ts';
import type { ChartSpec, Cell, ReportSection, SectionOutput, Table, Verdict } from './types.ts';

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
export type C1Match = 'agrees' | 'larger' | 'smaller' | 'zero' | 'noisy' | 'no_ci';

function sortVariants(keys: Iterable<string>): string[] {
  const rank = (k: string): number => {
    const i = VARIANT_ORDER.indexOf(k);
    return i === -1 ? VARIANT_ORDER.length : i;
  };
  return [...new Set(keys)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function c1Match(s: Saving, tolerance_rtt = C1_TOLERANCE_RTT): C1Match {
  if (s.ci_low_ms === null || s.ci_high_ms === null || s.rtt_ms === null || s.expected_ms === null) return 'no_ci';
  const tol = tolerance_rtt * s.rtt_ms;
  const reaches = s.ci_low_ms - tol <= s.expected_ms && s.expected_ms <= s.ci_high_ms + tol;
  if (s.ci_low_ms <= 0) return reaches ? 'noisy' : 'zero';
  if (Math.abs(s.saving_ms - s.expected_ms) <= tol || reaches) return 'agrees';
  return s.saving_ms < s.expected_ms ? 'smaller' : 'larger';
}

const MATCH_TEXT: Record<C1Match, string> = {
  agrees: `within ±${C1_TOLERANCE_RTT} RTT of the model`,
  larger: 'more than the model',
  smaller: 'less than the model',
  zero: 'CI includes 0',
  noisy: 'too noisy: CI includes 0 and the model',
  no_ci: 'too few samples for a CI',
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
  if (second) text += `; ${savingWords(second)} over ${variantLabel(second.protocol, second.security)} (${modelWords(second)})`;
  return text;
}

function cases(n: number): string {
  return `${n} case${n === 1 ? '' : 's'}`;
}

export function verdictC1(savings: readonly Saving[]): Verdict {
  const vsNew = savings.filter((s) => s.versus === 'new');
  const rule = `judged on profiles with an RTT of at least ${MIN_RTT_FOR_RTT_UNITS_MS} ms, new connection vs kept alive: confirmed when no case contradicts the model and at least one agrees — within ±${C1_TOLERANCE_RTT} RTT of it (model + processing measured at zero RTT when the run has a zero-RTT profile) or its 95 % CI reaching it, the CI excluding 0; refuted when a CI excludes the model and lies below it or includes 0; cases whose CI spans both 0 and the model are too noisy to count; on the proxy link only profiles from ${PROXY_MIN_RTT_FOR_C1_MS} ms RTT count (its delays are ms-granular timers)`;
  // The proxy link delays with Node timers (1 ms granularity) and charges the handshake on the first bytes:
  // at a few ms of RTT that rounding, not the handshake, decides.
  const evaluable = vsNew.filter((s) => s.saving_rtt !== null && !(s.link_backend === 'proxy' && (s.rtt_ms ?? 0) < PROXY_MIN_RTT_FOR_C1_MS));
  if (evaluable.length === 0) {
    if (vsNew.length === 0) {
      return { claim: 'C1', kind: 'depends', reason: 'no successful new-vs-reused pair in this run', figure: 'no figure: every pair of cases lacks samples', numbers: {}, rule };
    }
    const pair = headlinePair(vsNew);
    const rtt = Math.max(...vsNew.map((s) => s.rtt_ms ?? 0));
    return {
      claim: 'C1',
      kind: 'depends',
      reason: `needs a link that adds delay: the calibrated RTT is ${fmtMs(rtt)}, so the saving is host CPU and kernel time, not round trips — run with --link tun --profile wan`,
      figure: headlineText(pair),
      numbers: { saving_ms: round4(pair[0]?.saving_ms ?? null), rtt_ms: round4(rtt) },
      rule,
    };
  }
  // The figure comes from the profile with the longest RTT: where the claim matters.
  const maxRtt = Math.max(...evaluable.map((s) => s.rtt_ms ?? 0));
  const pair = headlinePair(evaluable.filter((s) => s.rtt_ms === maxRtt));
  const matches = evaluable.map((s) => ({ s, m: c1Match(s) }));
  const count = (m: C1Match): number => matches.filter((x) => x.m === m).length;
  const agreeing = count('agrees');
  const [first, second] = pair;
  const numbers: Record<string, number | null> = {
    rtt_ms: round4(first?.rtt_ms ?? null),
    saving_ms: round4(first?.saving_ms ?? null),
    saving_rtt: round4(first?.saving_rtt ?? null),
    model_rtt: round4(first?.model_rtt ?? null),
    cpu_ms: round4(first?.cpu_ms ?? null),
    cases_agreeing: agreeing,
    cases: evaluable.length,
    tolerance_rtt: C1_TOLERANCE_RTT,
  };
  if (second) {
    numbers.tls_saving_ms = round4(second.saving_ms);
    numbers.tls_saving_rtt = round4(second.saving_rtt);
    numbers.tls_model_rtt = round4(second.model_rtt);
  }
  let figure = headlineText(pair);
  if (evaluable.length > 1) figure += ` — ${agreeing} of ${evaluable.length} cases agree with the model`;
  const list = (ms: readonly C1Match[], why = false): string =>
    matches
      .filter((x) => ms.includes(x.m))
      .map((x) => `${where(x.s)}: ${fmtRtt(x.s.saving_rtt)} vs ${fmtRtt(x.s.expected_rtt)} expected${why ? `, ${MATCH_TEXT[x.m]}` : ''}`)
      .join('; ');
  const bad = count('zero') + count('smaller');
  if (bad > 0) {
    return { claim: 'C1', kind: 'refuted', reason: `keep-alive saved less than the handshake it skips in ${cases(bad)} (${list(['zero', 'smaller'], true)})`, figure, numbers, rule };
  }
  const parts: string[] = [];
  if (count('larger') > 0) {
    const cpuKnown = matches.some((x) => x.m === 'larger' && x.s.cpu_ms !== null);
    const hint = cpuKnown ? '' : ': the handshake\'s processing time is saved too — add a zero-RTT profile (--profile loopback,…) to measure it';
    parts.push(`saving above the model by more than ${C1_TOLERANCE_RTT} RTT in ${cases(count('larger'))} (${list(['larger'])})${hint}`);
  }
  if (agreeing === 0) {
    if (count('noisy') > 0) parts.push(`too noisy to tell in ${cases(count('noisy'))} (${list(['noisy'])}) — run without --quick`);
    if (count('no_ci') > 0) parts.push(`too few successful samples for a 95 % CI in ${cases(count('no_ci'))} (${matches.filter((x) => x.m === 'no_ci').map((x) => where(x.s)).join('; ')})`);
  }
  if (parts.length > 0) return { claim: 'C1', kind: 'depends', reason: parts.join('; '), figure, numbers, rule };
  const unjudged = count('noisy') + count('no_ci');
  if (unjudged > 0) figure += ` (${cases(unjudged)} too noisy or too small to judge)`;
  return { claim: 'C1', kind: 'confirmed', figure, numbers, rule };
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

export function c3Trends(savings: readonly Saving[]): VariantTrend[] {
  const vsNew = savings.filter((s) => s.versus === 'new' && s.rtt_ms !== null);
  const out: VariantTrend[] = [];
  for (const variant of sortVariants(vsNew.map(variantKey))) {
    const list = vsNew.filter((s) => variantKey(s) === variant).sort((a, b) => (a.rtt_ms ?? 0) - (b.rtt_ms ?? 0));
    const low = list[0];
    const high = list[list.length - 1];
    if (!low || !high || (high.rtt_ms ?? 0) < (low.rtt_ms ?? 0) * C3_MIN_RTT_RATIO || (high.rtt_ms ?? 0) - (low.rtt_ms ?? 0) < MIN_RTT_FOR_RTT_UNITS_MS) continue;
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
      model_slope_rtt: withModel.length === list.length ? slope(withModel.map((s) => ({ x: s.rtt_ms ?? 0, y: s.model_ms ?? 0 }))) : null,
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
      figure: one ? `one RTT measured: ${fmtMs(one.saving_ms)} saved at ${fmtMs(one.rtt_ms)} RTT (${variantLabel(one.protocol, one.security)})` : 'no figure',
      numbers: {},
      rule,
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
    figure = `saving ${key.trend === 'grows' ? 'grows' : 'goes'} from ${fmtMs(key.low.saving_ms)} at ${fmtMs(key.low.rtt_ms)} RTT (${key.low.profile}) to ${fmtMs(key.high.saving_ms)} at ${fmtMs(key.high.rtt_ms)} RTT (${key.high.profile}) over ${name(key)}`;
    if (key.slope_rtt !== null) figure += `, ${key.slope_rtt.toFixed(2)} ms per ms of RTT${key.model_slope_rtt !== null ? ` (model ${key.model_slope_rtt.toFixed(2)})` : ''}`;
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
  const against = of(['shrinks', 'flat']);
  if (against.length > 0) {
    return { claim: 'C3', kind: 'refuted', reason: `the saving does not grow with RTT for ${against.map((t) => `${describe(t)}, ${TREND_TEXT[t.trend]}`).join('; ')}`, figure, numbers, rule };
  }
  if (growing === 0) {
    return { claim: 'C3', kind: 'depends', reason: `too noisy to tell for every protocol/security variant (${trends.map(name).join(', ')}) — run without --quick`, figure, numbers, rule };
  }
  const unclear = of(['unclear']);
  if (unclear.length > 0) figure += ` (${unclear.length} of ${trends.length} variants too noisy to tell: ${unclear.map(name).join(', ')})`;
  return { claim: 'C3', kind: 'confirmed', figure, numbers, rule };
}

// ---------------------------------------------------------------------------------------------
// Charts

interface ProfileInfo {
  name: string;
  rtt_ms: number | null;
  label: string;
}

function profileInfos(run: RunFolder, totals: readonly Figure[]): ProfileInfo[] {
  return profileOrder(run.meta, totals)
    .filter((name) => totals.some((f) => f.profile === name))
    .map((name) => {
      const f = totals.find((x) => x.profile === name);
      const rtt = f ? rttOf(f) : null;
      return { name, rtt_ms: rtt, label: rtt !== null ? `${name} · RTT ${fmtMs(rtt)}` : name };
    });
}

const TOOLTIP_NUM = (field: string, title: string): { field: string; type: 'quantitative'; title: string; format: string } => ({
  field,
  type: 'quantitative',
  title,
  format: '.3~f',
});

function latencyChart(totals: readonly Figure[], profiles: readonly ProfileInfo[], variants: readonly string[]): ChartSpec {
  const label = new Map(profiles.map((p) => [p.name, p.label]));
  const values = totals
    .filter((f) => f.median !== null)
    .map((f) => ({
      profile: label.get(f.profile) ?? f.profile,
      variant: variantLabel(f.protocol, f.security),
      conn_mode: f.conn_mode,
      mode_label: CONN_MODE_LABEL[f.conn_mode] ?? f.conn_mode,
      median_ms: round4(f.median),
      ci_low_ms: round4(f.ci95_low ?? f.median),
      ci_high_ms: round4(f.ci95_high ?? f.median),
      model_ms: round4(f.model_ms),
      n: f.n,
      errors: f.errors,
    }));
  const modes = [...new Set(totals.map((f) => f.conn_mode))];
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  const y = { field: 'variant', type: 'nominal' as const, sort: variantLabels, title: null };
  const yOffset = { field: 'conn_mode', type: 'nominal' as const, sort: [...MODE_ORDER] };
  const color = {
    field: 'conn_mode',
    type: 'nominal' as const,
    title: 'connection',
    scale: modeColorScale(modes),
    legend: { labelExpr: "{'new': 'new connection', 'server_close': 'server closes', 'resumed': 'new, TLS resumed', 'reused': 'kept alive (reused)'}[datum.label] || datum.label" },
  };
  return {
    id: 'handshake-latency',
    title: 'Time per request by connection mode',
    caption: 'Median total time per request (dot) with its 95 % CI (whiskers) and the analytic model (thin tick), per protocol, security and link profile.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { row: { field: 'profile', type: 'nominal', sort: profiles.map((p) => p.label), title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } } },
      spacing: 18,
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 620,
        height: { step: 9 },
        encoding: { y, yOffset },
        layer: [
          {
            mark: { type: 'errorbar', ticks: { size: 5 } },
            encoding: {
              x: { field: 'ci_low_ms', type: 'quantitative', title: 'total time per request (ms)', scale: { zero: false } },
              x2: { field: 'ci_high_ms' },
              color,
            },
          },
          {
            mark: { type: 'point', filled: true, size: 55, opacity: 1 },
            encoding: {
              x: { field: 'median_ms', type: 'quantitative', title: 'total time per request (ms)' },
              color,
              tooltip: [
                { field: 'profile', title: 'profile' },
                { field: 'variant', title: 'protocol' },
                { field: 'mode_label', title: 'connection' },
                TOOLTIP_NUM('median_ms', 'median (ms)'),
                TOOLTIP_NUM('ci_low_ms', 'CI low (ms)'),
                TOOLTIP_NUM('ci_high_ms', 'CI high (ms)'),
                TOOLTIP_NUM('model_ms', 'model (ms)'),
                { field: 'n', title: 'n' },
                { field: 'errors', title: 'errors' },
              ],
            },
          },
          {
            mark: { type: 'tick', size: 9, orient: 'vertical' },
            encoding: { x: { field: 'model_ms', type: 'quantitative', title: 'total time per request (ms)' } },
          },
        ],
      },
    },
  };
}

function savingChart(savings: readonly Saving[], profiles: readonly ProfileInfo[], variants: readonly string[]): ChartSpec {
  const label = new Map(profiles.map((p) => [p.name, p.label]));
  const inRtt = savings.some((s) => s.saving_rtt !== null);
  const list = inRtt ? savings.filter((s) => s.saving_rtt !== null) : [...savings];
  const unit = inRtt ? 'RTT' : 'ms';
  const values = list.map((s) => {
    const div = inRtt && s.rtt_ms ? s.rtt_ms : 1;
    return {
      profile: label.get(s.profile) ?? s.profile,
      variant: variantLabel(s.protocol, s.security),
      versus: s.versus,
      versus_label: `reused vs ${CONN_MODE_LABEL[s.versus] ?? s.versus}`,
      saving: round4(s.saving_ms / div),
      ci_low: round4((s.ci_low_ms ?? s.saving_ms) / div),
      ci_high: round4((s.ci_high_ms ?? s.saving_ms) / div),
      model: s.model_ms === null ? null : round4(s.model_ms / div),
      expected: s.cpu_ms === null || s.expected_ms === null ? null : round4(s.expected_ms / div),
      cpu_ms: round4(s.cpu_ms),
      saving_ms: round4(s.saving_ms),
      rtt_ms: round4(s.rtt_ms),
    };
  });
  const withCpu = list.some((s) => s.cpu_ms !== null);
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  const modes = [...new Set(list.map((s) => s.versus))];
  const color = {
    field: 'versus',
    type: 'nominal' as const,
    title: 'a kept-alive request compared with',
    scale: modeColorScale(modes),
    legend: { titleLimit: 400, labelExpr: "{'new': 'a new connection', 'server_close': 'a server-closed one', 'resumed': 'a TLS-resumed one'}[datum.label] || datum.label" },
  };
  return {
    id: 'handshake-saving',
    title: inRtt ? 'Saving of keep-alive in round trips, against the model' : 'Saving of keep-alive (ms) — the link adds no delay, so not in round trips',
    caption: inRtt
      ? `How many RTTs a kept-alive connection saves per request (bar, with 95 % CI), beside the model (thin tick): 1 RTT for the TCP handshake, +1 for TLS 1.3, +2 for TLS 1.2 (+1 resumed).${withCpu ? ' The hollow diamond adds the processing time the run measured at zero RTT.' : ''}`
      : 'Saving per request in ms with its 95 % CI; with no delay on the link this is CPU and kernel time.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { row: { field: 'profile', type: 'nominal', sort: profiles.map((p) => p.label), title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } } },
      spacing: 18,
      resolve: inRtt ? {} : { scale: { x: 'independent' } },
      spec: {
        width: 620,
        height: { step: 11 },
        encoding: {
          y: { field: 'variant', type: 'nominal', sort: variantLabels, title: null },
          yOffset: { field: 'versus', type: 'nominal', sort: [...MODE_ORDER] },
        },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.85 } },
            encoding: {
              x: { field: 'saving', type: 'quantitative', title: `saving per request (${unit})` },
              color,
              tooltip: [
                { field: 'profile', title: 'profile' },
                { field: 'variant', title: 'protocol' },
                { field: 'versus_label', title: 'comparison' },
                TOOLTIP_NUM('saving', `saving (${unit})`),
                TOOLTIP_NUM('ci_low', `CI low (${unit})`),
                TOOLTIP_NUM('ci_high', `CI high (${unit})`),
                TOOLTIP_NUM('model', `model (${unit})`),
                TOOLTIP_NUM('expected', `model + processing (${unit})`),
                TOOLTIP_NUM('cpu_ms', 'processing at zero RTT (ms)'),
                TOOLTIP_NUM('saving_ms', 'saving (ms)'),
                TOOLTIP_NUM('rtt_ms', 'calibrated RTT (ms)'),
              ],
            },
          },
          {
            mark: { type: 'errorbar', ticks: { size: 4 }, color: '#7F7F7F' },
            encoding: { x: { field: 'ci_low', type: 'quantitative', title: `saving per request (${unit})` }, x2: { field: 'ci_high' } },
          },
          {
            mark: { type: 'tick', size: 11, orient: 'vertical' },
            encoding: { x: { field: 'model', type: 'quantitative', title: `saving per request (${unit})` } },
          },
          ...(withCpu
            ? [
                {
                  mark: { type: 'point' as const, shape: 'diamond', filled: false, size: 40, strokeWidth: 1.5 },
                  encoding: { x: { field: 'expected', type: 'quantitative' as const, title: `saving per request (${unit})` } },
                },
              ]
            : []),
        ],
      },
    },
  };
}

function rttTrendChart(savings: readonly Saving[], variants: readonly string[]): ChartSpec {
  const list = savings.filter((s) => s.versus === 'new' && s.rtt_ms !== null && s.rtt_ms > 0);
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  const values = list.map((s) => ({
    profile: s.profile,
    variant: variantLabel(s.protocol, s.security),
    rtt_ms: round4(s.rtt_ms),
    saving_ms: round4(s.saving_ms),
    ci_low_ms: round4(s.ci_low_ms ?? s.saving_ms),
    ci_high_ms: round4(s.ci_high_ms ?? s.saving_ms),
    model_ms: round4(s.model_ms),
    versus: s.versus,
  }));
  // Linear on purpose, even when RTTs span decades: the model is a straight line through the origin whose slope
  // is the RTTs saved, which a log axis would bend.
  const x = { field: 'rtt_ms', type: 'quantitative' as const, title: 'calibrated RTT (ms)', scale: { zero: true } };
  return {
    id: 'handshake-rtt-trend',
    title: 'Saving against RTT: new connection vs kept alive',
    caption: 'Each point is one link profile: the saving per request (ms, with 95 % CI) against the calibrated RTT; the dashed line is the model. A slope of 1 means one RTT saved.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { column: { field: 'variant', type: 'nominal', sort: variantLabels, title: null } },
      spacing: 14,
      spec: {
        width: 160,
        height: 180,
        layer: [
          {
            mark: { type: 'line', strokeDash: [4, 3], strokeWidth: 1.5, point: false },
            encoding: { x, y: { field: 'model_ms', type: 'quantitative', title: 'saving per request (ms)' }, order: { field: 'rtt_ms', type: 'quantitative' } },
          },
          {
            mark: { type: 'errorbar', ticks: { size: 5 } },
            encoding: {
              x,
              y: { field: 'ci_low_ms', type: 'quantitative', title: 'saving per request (ms)' },
              y2: { field: 'ci_high_ms' },
              color: { field: 'versus', type: 'nominal', scale: modeColorScale(['new']), legend: null },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 60, opacity: 1 },
            encoding: {
              x,
              y: { field: 'saving_ms', type: 'quantitative', title: 'saving per request (ms)' },
              color: { field: 'versus', type: 'nominal', scale: modeColorScale(['new']), legend: null },
              tooltip: [
                { field: 'profile', title: 'profile' },
                { field: 'variant', title: 'protocol' },
                TOOLTIP_NUM('rtt_ms', 'calibrated RTT (ms)'),
                TOOLTIP_NUM('saving_ms', 'saving (ms)'),
                TOOLTIP_NUM('ci_low_ms', 'CI low (ms)'),
                TOOLTIP_NUM('ci_high_ms', 'CI high (ms)'),
                TOOLTIP_NUM('model_ms', 'model (ms)'),
              ],
            },
          },
        ],
      },
    },
  };
}

function phaseChart(figures: readonly Figure[], profiles: readonly ProfileInfo[], variants: readonly string[]): ChartSpec {
  const label = new Map(profiles.map((p) => [p.name, p.label]));
  const get = (f: Figure, metric: string): number | null =>
    figures.find((x) => x.case_key === f.case_key && x.metric === metric)?.median ?? null;
  const values: Array<Record<string, string | number | null>> = [];
  for (const total of figures) {
    if (total.metric !== 'total_ms' || total.median === null) continue;
    const connect = get(total, 'connect_ms') ?? 0;
    const tls = get(total, 'tls_ms') ?? 0;
    const base = {
      profile: label.get(total.profile) ?? total.profile,
      variant: variantLabel(total.protocol, total.security),
      conn_mode: total.conn_mode,
      mode_label: CONN_MODE_LABEL[total.conn_mode] ?? total.conn_mode,
      total_ms: round4(total.median),
    };
    // Medians of the parts need not add up to the median of the whole: the rest takes up the difference.
    const phases: Array<[string, number]> = [
      ['TCP connect', connect],
      ['TLS handshake', tls],
      ['request → response', Math.max(0, total.median - connect - tls)],
    ];
    phases.forEach(([phase, ms], i) => values.push({ ...base, phase, phase_order: i, ms: round4(ms) }));
  }
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  return {
    id: 'handshake-phases',
    title: 'Where the time goes: phases of one request',
    caption: 'Median TCP connect and TLS handshake times, and the rest of the request, per connection mode. A kept-alive request is only the last part.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: {
        row: { field: 'profile', type: 'nominal', sort: profiles.map((p) => p.label), title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } },
        column: { field: 'variant', type: 'nominal', sort: variantLabels, title: null },
      },
      spacing: { row: 14, column: 10 },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 150,
        height: { step: 14 },
        mark: { type: 'bar' },
        encoding: {
          y: {
            field: 'conn_mode',
            type: 'nominal',
            sort: [...MODE_ORDER],
            title: null,
            axis: { labelExpr: "{'new': 'new', 'server_close': 'server close', 'resumed': 'resumed', 'reused': 'reused'}[datum.label] || datum.label" },
          },
          x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'time (ms)' },
          color: { field: 'phase', type: 'nominal', title: 'phase', scale: { domain: [...PHASE_ORDER], range: [...PHASE_COLORS] } },
          order: { field: 'phase_order', type: 'quantitative' },
          tooltip: [
            { field: 'profile', title: 'profile' },
            { field: 'variant', title: 'protocol' },
            { field: 'mode_label', title: 'connection' },
            { field: 'phase', title: 'phase' },
            TOOLTIP_NUM('ms', 'phase median (ms)'),
            TOOLTIP_NUM('total_ms', 'total median (ms)'),
          ],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Tables and caveats

function latencyTable(figures: readonly Figure[], totals: readonly Figure[], profiles: readonly ProfileInfo[], variants: readonly string[]): Table {
  const metricOf = (f: Figure, metric: string): number | null =>
    figures.find((x) => x.case_key === f.case_key && x.metric === metric)?.median ?? null;
  const rows: Cell[][] = [];
  for (const p of profiles) {
    for (const v of variants) {
      for (const mode of MODE_ORDER) {
        const f = totals.find((x) => x.profile === p.name && variantKey(x) === v && x.conn_mode === mode);
        if (!f) continue;
        const rtt = rttOf(f);
        rows.push([
          p.name,
          round4(rtt),
          variantLabel(f.protocol, f.security),
          CONN_MODE_LABEL[mode] ?? mode,
          f.n,
          f.errors,
          round4(f.median),
          fmtCi(f.ci95_low, f.ci95_high, ''),
          round4(f.p90),
          round4(metricOf(f, 'connect_ms')),
          round4(metricOf(f, 'tls_ms')),
          round4(f.model_ms),
          f.median !== null && f.model_ms ? round4(f.median / f.model_ms) : null,
          f.median !== null && rtt !== null && rtt >= MIN_RTT_FOR_RTT_UNITS_MS ? round4(f.median / rtt) : null,
        ]);
      }
    }
  }
  return {
    title: 'Time per request (total, medians)',
    columns: [
      { label: 'profile' },
      { label: 'RTT', unit: 'ms', numeric: true },
      { label: 'protocol' },
      { label: 'connection' },
      { label: 'n', numeric: true },
      { label: 'errors', numeric: true },
      { label: 'median', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms', numeric: true },
      { label: 'p90', unit: 'ms', numeric: true },
      { label: 'TCP connect', unit: 'ms', numeric: true },
      { label: 'TLS', unit: 'ms', numeric: true },
      { label: 'model', unit: 'ms', numeric: true },
      { label: 'measured ÷ model', numeric: true },
      { label: 'median', unit: 'RTT', numeric: true },
    ],
    rows,
  };
}

function savingTable(savings: readonly Saving[], profiles: readonly ProfileInfo[], variants: readonly string[]): Table {
  const rows: Cell[][] = [];
  for (const p of profiles) {
    for (const v of variants) {
      for (const mode of MODE_ORDER) {
        const s = savings.find((x) => x.profile === p.name && variantKey(x) === v && x.versus === mode);
        if (!s) continue;
        rows.push([
          p.name,
          round4(s.rtt_ms),
          variantLabel(s.protocol, s.security),
          CONN_MODE_LABEL[mode] ?? mode,
          round4(s.saving_ms),
          fmtCi(s.ci_low_ms, s.ci_high_ms, ''),
          round4(s.saving_rtt),
          round4(s.model_rtt),
          round4(s.cpu_ms),
          s.versus === 'new' && s.saving_rtt !== null ? MATCH_TEXT[c1Match(s)] : '',
        ]);
      }
    }
  }
  return {
    title: 'Saving of a kept-alive connection',
    columns: [
      { label: 'profile' },
      { label: 'RTT', unit: 'ms', numeric: true },
      { label: 'protocol' },
      { label: 'compared with' },
      { label: 'saving', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms', numeric: true },
      { label: 'saving', unit: 'RTT', numeric: true },
      { label: 'model', unit: 'RTT', numeric: true },
      { label: '+ processing at zero RTT', unit: 'ms', numeric: true },
      { label: 'C1 check' },
    ],
    rows,
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function caveatsFor(run: RunFolder, figures: readonly Figure[], totals: readonly Figure[]): string[] {
  const out: string[] = [];
  const link = (run.meta.link ?? {}) as Record<string, unknown>;
  const backends = new Set(figures.map((f) => f.link_backend).filter((b) => b !== ''));
  if (typeof link.backend === 'string') backends.add(link.backend);
  if (backends.has('none')) {
    out.push('Measured on the none link (plain loopback): it adds no delay, so savings are host CPU and kernel time, not round trips. For RTT figures run with --link tun (or tc) and --profile wan.');
  }
  if (backends.has('proxy')) {
    out.push('Measured on the proxy link: it charges the TCP handshake RTT when a connection opens instead of carrying real packets, so the TCP part of the saving is the proxy\'s emulation; there is no slow start or loss recovery.');
  }
  const caveatTexts = new Set([...strings(link.caveats), ...figures.map((f) => f.link_caveat).filter((c) => c !== '')]);
  for (const c of caveatTexts) out.push(`Link: ${c}`);
  for (const fc of failedCases(run.samples, 'handshake')) {
    const reasons = fc.reasons.map(([r, n]) => `${r} ×${n}`).join(', ');
    const all = fc.failed === fc.measured;
    out.push(`${fc.failed} of ${fc.measured} requests failed in ${fc.case_key} (${reasons})${all ? ': the case has no figure' : '; its figures use the successful ones'}.`);
  }
  const noCi = totals.filter((f) => f.median !== null && (f.ci95_low === null || f.ci95_high === null));
  if (noCi.length > 0) out.push(`${noCi.length} case${noCi.length === 1 ? ' has' : 's have'} fewer than 6 successful samples: no 95 % CI, so no verdict can rest on ${noCi.length === 1 ? 'it' : 'them'}.`);
  const options = (run.meta.options ?? {}) as Record<string, unknown>;
  if (options.quick === true) out.push('Quick run (--quick): few samples per case, so confidence intervals are wide.');
  for (const p of Array.isArray(run.meta.profiles) ? run.meta.profiles : []) {
    const rec = (p ?? {}) as Record<string, unknown>;
    const cal = (rec.calibration ?? {}) as Record<string, unknown>;
    for (const w of strings(cal.warnings)) out.push(`Calibration of ${String(rec.name)}: ${w}`);
  }
  out.push('The model counts round trips only (TCP 1, TLS 1.3 1, TLS 1.2 2, resumed 1, request 1): server and crypto CPU time are not in it, which is why measured times sit a little above it.');
  return out;
}

export function buildHandshake(run: RunFolder): SectionOutput {
  const figures = figuresOf(run.summary, 'handshake');
  const totals = figures.filter((f) => f.metric === 'total_ms');
  const savings = handshakeSavings(totals);
  const profiles = profileInfos(run, totals);
  const variants = sortVariants(totals.map(variantKey));
  const specs: ChartSpec[] = [];
  if (totals.some((f) => f.median !== null)) specs.push(latencyChart(totals, profiles, variants));
  if (savings.length > 0) specs.push(savingChart(savings, profiles, variants));
  if (c3Trends(savings).length > 0) specs.push(rttTrendChart(savings, variants));
  if (totals.some((f) => f.median !== null)) specs.push(phaseChart(figures, profiles, variants));
  return {
    claimSentence:
      'Reusing a connection skips the TCP handshake (1 RTT) — and with TLS the TLS handshake (1 RTT for TLS 1.3, 2 for TLS 1.2) — on every request after the first, so the saving in milliseconds grows with the RTT.',
    verdicts: [verdictC1(savings), verdictC3(savings, profiles.length)],
    specs,
    tables: [savingTable(savings, profiles, variants), latencyTable(figures, totals, profiles, variants)].filter((t) => t.rows.length > 0),
    caveats: caveatsFor(run, figures, totals),
  };
}

export const handshakeSection: ReportSection = {
  scenario: 'handshake',
  build: buildHandshake,
};
