/** Normal and binomial distributions, for the statistics modules (conventions: lib/stats.ts). */

/**
 * Complementary error function, Numerical Recipes' erfcc (Chebyshev fit): fractional error below
 * 1.2e-7 everywhere, plenty for p-values and critical values.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal quantile Φ⁻¹(p), by bisection on normalCdf (monotone, so this always converges). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Binomial(n, p) lower and upper tails: cdf[k] = P(B ≤ k), sf[k] = P(B ≥ k), k = 0..n.
 * The pmf is built in log space (p^n underflows for n in the hundreds) and each tail is summed
 * from its own end, so small tail probabilities keep their precision.
 */
export function binomialTails(n: number, p: number): { cdf: Float64Array; sf: Float64Array } {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomialTails: n must be a non-negative integer, got ${n}`);
  if (!(p > 0 && p < 1)) throw new RangeError(`binomialTails: p must be in (0, 1), got ${p}`);
  const pmf = new Float64Array(n + 1);
  const logRatio = Math.log(p) - Math.log1p(-p);
  let logPmf = n * Math.log1p(-p);
  for (let k = 0; k <= n; k++) {
    pmf[k] = Math.exp(logPmf);
    logPmf += Math.log(n - k) - Math.log(k + 1) + logRatio;
  }
  const cdf = new Float64Array(n + 1);
  const sf = new Float64Array(n + 1);
  let acc = 0;
  for (let k = 0; k <= n; k++) cdf[k] = acc += pmf[k] ?? 0;
  acc = 0;
  for (let k = n; k >= 0; k--) sf[k] = acc += pmf[k] ?? 0;
  return { cdf, sf };
}
