/**
 * The not-comparable rules. A comparison whose two sides ran on different links answers a different
 * question than "did the change make it slower", so these are answers of their own, listed apart:
 * - a case present in only one side (never overridable: there is nothing to compare);
 * - a different link backend, different profile parameters (meta.profiles[].key), a different TCP congestion
 *   control, or a calibrated RTT that differs by more than the threshold — all overridable with
 *   --force-comparable (the A/B check of an injected RTT does exactly that).
 * The calibrated RTT is a median of a few TCP connects, so on a sub-millisecond path it wobbles by tens of
 * percent between identical runs; it only counts as different when it is beyond the threshold AND the two
 * calibrations' 95 % CIs do not overlap (when the runs recorded them), i.e. when the link really changed.
 */
import { medianSorted, sortAsc } from '../../bench/stats.ts';
import { formatMs, formatPct } from './format.ts';
import type { CaseRun, Incomparability, JoinedCase } from './types.ts';

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `rtt=1ms;loss=0%` vs `rtt=2ms;loss=0%` → `rtt=1ms → rtt=2ms`; whole keys when they do not split alike. */
export function describeKeyDifference(baseKey: string, headKey: string): string {
  const split = (k: string): Map<string, string> => new Map(k.split(';').map((f) => [f.split('=')[0] ?? f, f]));
  const b = split(baseKey);
  const h = split(headKey);
  if (!sameSet([...b.keys()].sort(), [...h.keys()].sort())) return `base ${baseKey}, head ${headKey}`;
  const diffs = [...b.keys()].filter((k) => b.get(k) !== h.get(k)).map((k) => `${b.get(k)} (base) vs ${h.get(k)} (head)`);
  return diffs.join(', ');
}

function profileRule(base: readonly CaseRun[], head: readonly CaseRun[]): Incomparability | null {
  const bKeys = base.map((c) => c.profile_key);
  const hKeys = head.map((c) => c.profile_key);
  const bNames = distinct(base.map((c) => c.profile));
  const hNames = distinct(head.map((c) => c.profile));
  if ([...bKeys, ...hKeys].every((k) => k === null)) {
    if (sameSet(bNames, hNames)) return null;
    return { rule: 'profile_params', forceable: true, detail: `profile parameters not recorded; profiles ${bNames.join(',')} (base) vs ${hNames.join(',')} (head)` };
  }
  const missing = bKeys.includes(null) ? 'base' : hKeys.includes(null) ? 'head' : null;
  if (missing) return { rule: 'profile_params', forceable: true, detail: `profile parameters not recorded in the ${missing} run (meta.json has no profiles[].key)` };
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

export function calibratedRttRule(base: readonly CaseRun[], head: readonly CaseRun[], threshold_pct: number): Incomparability | null {
  const b = sideRtt(base);
  const h = sideRtt(head);
  if (!b || !h) return null;
  const change = b.median > 0 ? ((h.median - b.median) / b.median) * 100 : h.median > 0 ? Infinity : 0;
  if (!(Math.abs(change) > threshold_pct)) return null;
  const cisKnown = b.low !== null && b.high !== null && h.low !== null && h.high !== null;
  if (cisKnown && !((h.low ?? 0) > (b.high ?? 0) || (h.high ?? 0) < (b.low ?? 0))) return null;
  const pct = Number.isFinite(change) ? `${formatPct(change)}, ` : '';
  const beyond = cisKnown ? `beyond ±${threshold_pct} % and outside each other's 95 % CI` : `beyond ±${threshold_pct} %`;
  return {
    rule: 'calibrated_rtt',
    forceable: true,
    detail: `calibrated RTT: ${formatMs(b.median)} (base) vs ${formatMs(h.median)} (head) (${pct}${beyond})`,
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
  return { rule, forceable: true, detail: `${label}: ${b.join(',') || '(none)'} (base) vs ${h.join(',') || '(none)'} (head)` };
}

/** Every reason the case cannot be compared as is; empty when it can. */
export function incomparabilities(c: JoinedCase, threshold_pct: number): Incomparability[] {
  if (c.head.length === 0) return [{ rule: 'only_in_base', forceable: false, detail: 'case only in base' }];
  if (c.base.length === 0) return [{ rule: 'only_in_head', forceable: false, detail: 'case only in head' }];
  const out: Incomparability[] = [];
  const push = (x: Incomparability | null): void => {
    if (x) out.push(x);
  };
  push(setRule('link_backend', 'link backend', c.base.map((r) => r.link_backend), c.head.map((r) => r.link_backend)));
  push(profileRule(c.base, c.head));
  push(calibratedRttRule(c.base, c.head, threshold_pct));
  push(setRule('congestion_control', 'congestion control', c.base.map((r) => r.congestion_control), c.head.map((r) => r.congestion_control)));
  return out;
}
