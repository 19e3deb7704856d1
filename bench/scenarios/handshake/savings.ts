/**
 * What keep-alive saves per handshake case: the reused connection's median against every other mode's, with a
 * conservative CI of the difference, the model's saving and the processing measured at zero RTT. Pure, over
 * summarised figures; the report's C1/C3 verdicts and the bench's terminal headline both read it.
 */
import type { Figure } from '../../../lib/figures.ts';

/** Below this RTT a saving is given in ms only: dividing by a near-zero RTT says nothing. */
export const MIN_RTT_FOR_RTT_UNITS_MS = 1;

/** The modes keep-alive (reused) is compared against, in the report's order. */
const VERSUS_MODES = ['new', 'server_close', 'resumed'] as const;

export interface Saving {
  profile: string;
  link_backend: string;
  rtt_ms: number | null;
  protocol: string;
  security: string;
  /** The mode keep-alive is compared against: new, server_close or resumed. */
  versus: string;
  saving_ms: number;
  /** Conservative CI of the difference of medians: [lo(versus) − hi(reused), hi(versus) − lo(reused)]. */
  ci_low_ms: number | null;
  ci_high_ms: number | null;
  /** Round trips the model says keep-alive saves, in ms. */
  model_ms: number | null;
  /** Processing the new connection costs beyond the reused one, measured on the run's zero-RTT profile. */
  cpu_ms: number | null;
  /** What the saving should be: model_ms + cpu_ms (cpu_ms when known). */
  expected_ms: number | null;
  /** Requests behind the smaller of the two medians (the versus mode's or the kept-alive one's). */
  n: number;
  /** Null when the link's RTT is below MIN_RTT_FOR_RTT_UNITS_MS. */
  saving_rtt: number | null;
  model_rtt: number | null;
  expected_rtt: number | null;
}

export function variantKey(f: { protocol: string; security: string }): string {
  return `${f.protocol}/${f.security}`;
}

export function rttOf(f: Figure): number | null {
  return f.rtt_ms_calibrated ?? f.rtt_ms_configured;
}

export function diff(a: number | null, b: number | null): number | null {
  return a !== null && b !== null ? a - b : null;
}

/** Savings of the reused connection over every other mode, per profile and protocol/security. */
export function handshakeSavings(totals: readonly Figure[]): Saving[] {
  const byKey = new Map<string, Figure>();
  for (const f of totals) byKey.set(`${f.profile}|${variantKey(f)}|${f.conn_mode}`, f);
  const out: Saving[] = [];
  for (const reused of totals) {
    if (reused.conn_mode !== 'reused' || reused.median === null) continue;
    for (const versus of VERSUS_MODES) {
      const other = byKey.get(`${reused.profile}|${variantKey(reused)}|${versus}`);
      if (!other || other.median === null) continue;
      const rtt = rttOf(other);
      const saving_ms = other.median - reused.median;
      const model_ms = diff(other.model_ms, reused.model_ms);
      const cpu_ms = diff(other.cpu_baseline_ms, reused.cpu_baseline_ms);
      const expected_ms = model_ms === null ? null : model_ms + (cpu_ms ?? 0);
      const perRtt = (v: number | null): number | null =>
        v !== null && rtt !== null && rtt >= MIN_RTT_FOR_RTT_UNITS_MS ? v / rtt : null;
      out.push({
        profile: reused.profile,
        link_backend: reused.link_backend,
        rtt_ms: rtt,
        protocol: reused.protocol,
        security: reused.security,
        versus,
        saving_ms,
        ci_low_ms: diff(other.ci95_low, reused.ci95_high),
        ci_high_ms: diff(other.ci95_high, reused.ci95_low),
        model_ms,
        cpu_ms,
        expected_ms,
        n: Math.min(other.n, reused.n),
        saving_rtt: perRtt(saving_ms),
        model_rtt: perRtt(model_ms),
        expected_rtt: perRtt(expected_ms),
      });
    }
  }
  return out;
}
