/**
 * Holm–Bonferroni adjusted p-values (not in bench/stats.ts, so added here). A compare makes one test per
 * case × metric — 32 for the handshake scenario — and CI fails if any one is flagged, so what must stay below
 * α is the chance of ANY false alarm (family-wise error), not each test's. Holm controls it under any
 * dependence between the tests and is uniformly more powerful than plain Bonferroni:
 * with p(1) ≤ … ≤ p(m), adjusted p(i) = max over j ≤ i of min(1, (m − j + 1) · p(j)).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    if (Number.isNaN(p)) throw new RangeError('holmAdjust: NaN p-value');
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
