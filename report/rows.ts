/**
 * The run's failed samples per case and its profiles in order (summary figures: lib/figures.ts).
 */
import type { CsvRow } from './load-run.ts';

import { numberOrNull } from '../lib/numbers.ts';

export const num = numberOrNull;

export interface FailedCase {
  case_key: string;
  profile: string;
  failed: number;
  measured: number;
  /** Error text → count, most frequent first. */
  reasons: Array<[string, number]>;
}

/** Cases of a scenario with failed (non-warm-up) requests, from samples.csv. */
export function failedCases(samples: readonly CsvRow[], scenario: string): FailedCase[] {
  const byCase = new Map<string, { profile: string; failed: number; measured: number; reasons: Map<string, number> }>();
  for (const r of samples) {
    if (r.scenario !== scenario || r.warmup === '1') continue;
    const key = r.case_key ?? '';
    let c = byCase.get(key);
    if (!c) byCase.set(key, (c = { profile: r.profile ?? '', failed: 0, measured: 0, reasons: new Map() }));
    c.measured++;
    const err = (r.error ?? '').trim();
    if (err !== '') {
      c.failed++;
      c.reasons.set(err, (c.reasons.get(err) ?? 0) + 1);
    }
  }
  const out: FailedCase[] = [];
  for (const [case_key, c] of byCase) {
    if (c.failed === 0) continue;
    out.push({
      case_key,
      profile: c.profile,
      failed: c.failed,
      measured: c.measured,
      reasons: [...c.reasons].sort((a, b) => b[1] - a[1]),
    });
  }
  return out;
}

/** Profiles in the order the run measured them (meta.profiles), then any others found in rows. */
export function profileOrder(meta: Record<string, unknown>, rows: readonly { profile: string }[]): string[] {
  const out: string[] = [];
  const listed = Array.isArray(meta.profiles) ? meta.profiles : [];
  for (const p of listed) {
    const name = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).name : undefined;
    if (typeof name === 'string' && !out.includes(name)) out.push(name);
  }
  for (const r of rows) if (!out.includes(r.profile)) out.push(r.profile);
  return out;
}

/** The items by key, in first-seen order of the keys. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}
