/**
 * The not-comparable rules. A comparison whose two sides ran on different links answers a different
 * question than "did the change make it slower", so these are answers of their own, listed apart:
 * - a case present in only one side (never overridable: there is nothing to compare);
 * - a different link backend, different profile parameters (meta.profiles[].key), a different TCP congestion
 *   control, a calibrated RTT that differs by more than the threshold, or a link RTT during the runs that
 *   does — all overridable with --force-comparable (the A/B check of an injected RTT does exactly that).
 * Between two runs of the same code on one machine the link drifts: on this project's 2-core machines the
 * lan profile's connect time moved by 4–7 % between identical runs, and every case with it (A/A pairs in the
 * README). With one run per side that drift is corrected, not refused (see linkDrift): only a drift beyond
 * DRIFT_LIMIT × the threshold — a different link, not a drifting one — makes the runs not comparable. The
 * calibrated RTT (a median of 30 connects before the run) counts only beyond that limit AND when the two
 * calibrations' 95 % CIs do not overlap, and with one run per side only when a side has no in-run witness: a
 * calibration is a moment before the samples, and the first run on a cold machine calibrated 1.518 ms against
 * its twin's 1.272 ms (−16 %, CIs apart) while their in-run links agreed to 0.4 % and their medians to 0.6 %.
 * A head whose change slows the TCP handshake itself (not the HTTP exchange) is therefore corrected as link
 * drift, and beyond the limit not comparable rather than regressed: the listing says what moved.
 */
import { medianSorted, sortAsc } from '../../lib/stats.ts';
import { formatMs, formatPct } from './format.ts';
import { testShift } from './test.ts';
import type { CaseRun, Incomparability, JoinedCase, ReplicationUnit } from './types.ts';

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `rtt=1ms;loss=0%` vs `rtt=2ms;loss=0%` → `rtt=1ms (base) vs rtt=2ms (head)`; whole keys when they do not split alike. */
export function describeKeyDifference(baseKey: string, headKey: string): string {
  const split = (k: string): Map<string, string> => new Map(k.split(';').map((f) => [f.split('=')[0] ?? f, f]));
  const b = split(baseKey);
  const h = split(headKey);
  if (!sameSet([...b.keys()].sort(), [...h.keys()].sort())) return `base ${baseKey}, head ${headKey}`;
  const diffs = [...b.keys()]
    .filter((k) => b.get(k) !== h.get(k))
    .map((k) => `${b.get(k)} (base) vs ${h.get(k)} (head)`);
  return diffs.join(', ');
}

function profileRule(base: readonly CaseRun[], head: readonly CaseRun[]): Incomparability | null {
  const bKeys = base.map((c) => c.profile_key);
  const hKeys = head.map((c) => c.profile_key);
  const bNames = distinct(base.map((c) => c.profile));
  const hNames = distinct(head.map((c) => c.profile));
  if ([...bKeys, ...hKeys].every((k) => k === null)) {
    if (sameSet(bNames, hNames)) return null;
    return {
      rule: 'profile_params',
      forceable: true,
      detail: `profile parameters not recorded; profiles ${bNames.join(',')} (base) vs ${hNames.join(',')} (head)`,
    };
  }
  const missing = bKeys.includes(null) ? 'base' : hKeys.includes(null) ? 'head' : null;
  if (missing)
    return {
      rule: 'profile_params',
      forceable: true,
      detail: `profile parameters not recorded in the ${missing} run (meta.json has no profiles[].key)`,
    };
  const b = distinct(bKeys as string[]);
  const h = distinct(hKeys as string[]);
  if (sameSet(b, h) && b.length === 1) return null;
  const [bk] = b;
  const [hk] = h;
  const detail =
    b.length === 1 && h.length === 1 && bk !== undefined && hk !== undefined
      ? `profile parameters: ${describeKeyDifference(bk, hk)}`
      : `profile parameters differ between runs: base ${b.join(' | ')}, head ${h.join(' | ')}`;
  return { rule: 'profile_params', forceable: true, detail };
}

interface SideRtt {
  median: number;
  /** Hull of the runs' calibration CIs; null when any run lacks one. */
  low: number | null;
  high: number | null;
}

function sideRtt(runs: readonly CaseRun[]): SideRtt | null {
  const values = runs.map((c) => c.rtt_ms_calibrated).filter((v): v is number => v !== null);
  if (values.length === 0) return null;
  const cis = runs.map((c) => c.rtt_ci_ms);
  const known = cis.every((c) => c !== null);
  return {
    median: medianSorted(sortAsc(values)),
    low: known ? Math.min(...cis.map((c) => c?.low ?? Infinity)) : null,
    high: known ? Math.max(...cis.map((c) => c?.high ?? -Infinity)) : null,
  };
}

/**
 * How far the link may drift between the sides, in multiples of the threshold, before the runs count as run
 * on different links. The correction leaves the case-to-case noise of a run (±4 % at lan in A/A pairs), so it
 * is trusted for drifts a few times the threshold, not for a link that is another link.
 */
export const DRIFT_LIMIT = 3;

/**
 * Below this, a round trip is the endpoints' own time (kernel, event loops: 0.3–0.4 ms on the loopback profile),
 * not a link's: two sides that both measured less ran on no link at all, and a profile whose link adds less has no
 * link delay to drift — dividing its samples by a ratio of endpoint times would correct away the CPU cost a
 * change added. (Measured: an A/A pair of standard runs had loopback connects of 0.267 vs 0.412 ms, +54.8 %.)
 */
export const MIN_LINK_DELAY_MS = 0.5;

export function calibratedRttRule(
  base: readonly CaseRun[],
  head: readonly CaseRun[],
  threshold_pct: number,
): Incomparability | null {
  const b = sideRtt(base);
  const h = sideRtt(head);
  if (!b || !h) return null;
  const limit = DRIFT_LIMIT * threshold_pct;
  const change = b.median > 0 ? ((h.median - b.median) / b.median) * 100 : h.median > 0 ? Infinity : 0;
  if (!(Math.abs(change) > limit) || Math.max(b.median, h.median) < MIN_LINK_DELAY_MS) return null;
  const cisKnown = b.low !== null && b.high !== null && h.low !== null && h.high !== null;
  if (cisKnown && !((h.low ?? 0) > (b.high ?? 0) || (h.high ?? 0) < (b.low ?? 0))) return null;
  const pct = Number.isFinite(change) ? `${formatPct(change)}, ` : '';
  const beyond = cisKnown
    ? `beyond ±${limit} % (${DRIFT_LIMIT} × the threshold) and outside each other's 95 % CI`
    : `beyond ±${limit} % (${DRIFT_LIMIT} × the threshold)`;
  return {
    rule: 'calibrated_rtt',
    forceable: true,
    detail: `calibrated RTT: ${formatMs(b.median)} (base) vs ${formatMs(h.median)} (head) (${pct}${beyond})`,
  };
}

/** Fewer connects than this per run and the in-run RTT is too rough to judge a run by. */
export const MIN_IN_RUN_CONNECTS = 20;

export interface RuleSettings {
  threshold_pct: number;
  alpha: number;
  unit: ReplicationUnit;
}

/**
 * Connects a run needs before its in-run RTT corrects the other side: the ratio of two medians of n connects
 * with a ~20 % spread has a standard error near 20 %·√(π/2n)·√2 — 4 % at 20 connects, under 2 % from 100.
 */
export const MIN_DRIFT_CONNECTS = 100;

function inRunRtts(runs: readonly CaseRun[], min = MIN_IN_RUN_CONNECTS): number[] | null {
  if (runs.length === 0 || !runs.every((r) => r.rtt_ms_in_run !== null && r.rtt_in_run_n >= min)) return null;
  return runs.map((r) => r.rtt_ms_in_run ?? 0);
}

/**
 * One run per side: how much slower (> 1) or faster the head's link was while it measured, as the ratio of
 * the two runs' in-run RTTs (median TCP connect of every new connection on the profile — a round trip through
 * the link and both kernels that the server's HTTP code does not take part in); null when either run had fewer
 * than MIN_DRIFT_CONNECTS connects on the profile. On a shared or busy machine the userspace delay line and both event loops get less
 * CPU and every case moves with the link; the head's samples are divided by this ratio before the test.
 */
/** The profile key says the link adds no delay (rtt=0ms, no jitter); null when the run did not record it. */
function configuredNoDelay(key: string | null): boolean {
  return key !== null && /(^|;)rtt=0ms;/.test(key) && /(^|;)jitter=0ms(;|$)/.test(key);
}

export function linkDrift(base: readonly CaseRun[], head: readonly CaseRun[]): number | null {
  const b = inRunRtts(base, MIN_DRIFT_CONNECTS);
  const h = inRunRtts(head, MIN_DRIFT_CONNECTS);
  if (!b || !h || b.length !== 1 || h.length !== 1) return null;
  // A profile configured without delay (loopback) has no link to drift, whatever its connects measured.
  if ([...base, ...head].some((r) => configuredNoDelay(r.profile_key))) return null;
  const [rb] = b;
  const [rh] = h;
  // Both sides on a link: a side under MIN_LINK_DELAY_MS measured endpoint time, and dividing by it would
  // correct away CPU the change added.
  return rb !== undefined && rh !== undefined && rb >= MIN_LINK_DELAY_MS && rh >= MIN_LINK_DELAY_MS ? rh / rb : null;
}

/**
 * The link as each run saw it while it measured (see linkDrift). With one run per side a drift is corrected;
 * beyond DRIFT_LIMIT × the threshold the runs had different links and are not comparable. With several runs
 * per side, run-to-run wobble is part of the test, so the runs' in-run RTTs must differ the way a regression
 * would (significant, whole CI beyond the threshold) to count.
 */
export function inRunRttRule(
  base: readonly CaseRun[],
  head: readonly CaseRun[],
  s: RuleSettings,
): Incomparability | null {
  const b = inRunRtts(base);
  const h = inRunRtts(head);
  if (!b || !h) return null;
  const bMedian = medianSorted(sortAsc(b));
  const hMedian = medianSorted(sortAsc(h));
  if (!(bMedian > 0)) return null;
  const change = ((hMedian - bMedian) / bMedian) * 100;
  const n = (runs: readonly CaseRun[]): number => runs.reduce((a, r) => a + r.rtt_in_run_n, 0);
  const what = `link RTT during the runs (median TCP connect of ${n(base)} and ${n(head)} new connections): ${formatMs(bMedian)} (base) vs ${formatMs(hMedian)} (head)`;
  if (s.unit === 'request') {
    const limit = DRIFT_LIMIT * s.threshold_pct;
    if (!(Math.abs(change) > limit) || Math.max(bMedian, hMedian) < MIN_LINK_DELAY_MS) return null;
    return {
      rule: 'in_run_rtt',
      forceable: true,
      detail: `${what} (${formatPct(change)}, beyond the ±${limit} % (${DRIFT_LIMIT} × the threshold) a drift correction is trusted for)`,
    };
  }
  const t = testShift(b, h, { threshold_pct: s.threshold_pct, alpha: s.alpha });
  if (t.verdict === 'no_change') return null;
  return {
    rule: 'in_run_rtt',
    forceable: true,
    detail: `${what} (${formatPct(change)} over the runs' medians; ${t.why})`,
  };
}

function setRule(
  rule: 'link_backend' | 'congestion_control',
  label: string,
  base: readonly string[],
  head: readonly string[],
): Incomparability | null {
  const b = distinct(base);
  const h = distinct(head);
  if (sameSet(b, h) && b.length === 1) return null;
  return {
    rule,
    forceable: true,
    detail: `${label}: ${b.join(',') || '(none)'} (base) vs ${h.join(',') || '(none)'} (head)`,
  };
}

/** Every reason the case cannot be compared as is; empty when it can. */
export function incomparabilities(c: JoinedCase, s: RuleSettings): Incomparability[] {
  const threshold_pct = s.threshold_pct;
  if (c.head.length === 0) return [{ rule: 'only_in_base', forceable: false, detail: 'case only in base' }];
  if (c.base.length === 0) return [{ rule: 'only_in_head', forceable: false, detail: 'case only in head' }];
  const out: Incomparability[] = [];
  const push = (x: Incomparability | null): void => {
    if (x) out.push(x);
  };
  push(
    setRule(
      'link_backend',
      'link backend',
      c.base.map((r) => r.link_backend),
      c.head.map((r) => r.link_backend),
    ),
  );
  push(profileRule(c.base, c.head));
  // With one run per side the in-run rule is a plain limit on two witnesses and overrules the calibration; over
  // several runs it is a test that few runs cannot pass, so the calibrations (their CIs' hull) still count.
  const witnessed = s.unit === 'request' && inRunRtts(c.base) !== null && inRunRtts(c.head) !== null;
  if (!witnessed) push(calibratedRttRule(c.base, c.head, threshold_pct));
  push(inRunRttRule(c.base, c.head, s));
  push(
    setRule(
      'congestion_control',
      'congestion control',
      c.base.map((r) => r.congestion_control),
      c.head.map((r) => r.congestion_control),
    ),
  );
  return out;
}
