/**
 * Benjamini–Hochberg adjusted p-values (q-values); not in lib/stats.ts, so added here. A compare makes one
 * test per case × metric — 32 for the handshake scenario on one profile — and CI fails on any single flag.
 * When nothing changed (an A/A comparison: every null hypothesis true) the chance that any q is below α is at
 * most α, as with a family-wise correction; when a change moves many cases at once (a longer RTT, a slower
 * server) BH keeps nearly the power of the uncorrected tests, where Holm or Bonferroni would need each
 * p below α/32. Valid for independent or positively dependent tests (PRDS), which is what cases measured on
 * one link in one run are. With p(1) ≤ … ≤ p(m): q(i) = min over j ≥ i of min(1, m · p(j) / j).
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) if (Number.isNaN(p)) throw new RangeError('benjaminiHochberg: NaN p-value');
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m).fill(1);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const o = order[rank];
    if (!o) continue;
    running = Math.min(running, (m * o.p) / (rank + 1));
    out[o.i] = Math.min(1, running);
  }
  return out;
}
