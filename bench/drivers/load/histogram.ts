/**
 * Latency histogram with microsecond resolution (HDR-style log-linear buckets: exact below 256 µs, then 128
 * sub-buckets per power of two, so every value is kept within 0.8 %). One type for every load driver.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS; // 128
const EXACT_BELOW = SUB_COUNT * 2; // 256 µs
/** Values above ~2^40 µs (12 days) are clamped into the last bucket. */
const MAX_EXP = 33;
const BUCKETS = EXACT_BELOW + MAX_EXP * SUB_COUNT;

function bucketOf(us: number): number {
  const v = Math.max(0, Math.floor(us));
  if (v < EXACT_BELOW) return v;
  const exp = Math.floor(Math.log2(v)) - SUB_BITS; // ≥ 1
  const mantissa = Math.floor(v / 2 ** exp); // 128..255
  return Math.min(BUCKETS - 1, EXACT_BELOW + (exp - 1) * SUB_COUNT + (mantissa - SUB_COUNT));
}

/** Midpoint of a bucket, µs. */
function valueOf(bucket: number): number {
  if (bucket < EXACT_BELOW) return bucket;
  const exp = Math.floor((bucket - EXACT_BELOW) / SUB_COUNT) + 1;
  const mantissa = ((bucket - EXACT_BELOW) % SUB_COUNT) + SUB_COUNT;
  return mantissa * 2 ** exp + (2 ** exp - 1) / 2;
}

export interface HistogramSummary {
  count: number;
  min_us: number | null;
  mean_us: number | null;
  p50_us: number | null;
  p90_us: number | null;
  p99_us: number | null;
  p999_us: number | null;
  max_us: number | null;
}

/** What crosses a process boundary: [bucket, count] pairs plus the exact extremes and sum. */
export interface HistogramJson {
  buckets: Array<[number, number]>;
  count: number;
  sum_us: number;
  min_us: number | null;
  max_us: number | null;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  private sum_us = 0;
  private min_us = Number.POSITIVE_INFINITY;
  private max_us = Number.NEGATIVE_INFINITY;

  recordUs(us: number): void {
    if (!Number.isFinite(us)) return;
    const v = Math.max(0, us);
    this.counts[bucketOf(v)]! += 1;
    this.count++;
    this.sum_us += v;
    if (v < this.min_us) this.min_us = v;
    if (v > this.max_us) this.max_us = v;
  }

  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  /** Value at quantile q (0..1), µs; exact at the extremes. */
  quantileUs(q: number): number | null {
    if (this.count === 0) return null;
    if (q <= 0) return this.min_us;
    if (q >= 1) return this.max_us;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return Math.min(this.max_us, Math.max(this.min_us, valueOf(b)));
    }
    return this.max_us;
  }

  merge(other: LatencyHistogram): void {
    for (let b = 0; b < BUCKETS; b++) this.counts[b]! += other.counts[b]!;
    this.count += other.count;
    this.sum_us += other.sum_us;
    this.min_us = Math.min(this.min_us, other.min_us);
    this.max_us = Math.max(this.max_us, other.max_us);
  }

  summary(): HistogramSummary {
    const r = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
    return {
      count: this.count,
      min_us: r(this.count ? this.min_us : null),
      mean_us: r(this.count ? this.sum_us / this.count : null),
      p50_us: r(this.quantileUs(0.5)),
      p90_us: r(this.quantileUs(0.9)),
      p99_us: r(this.quantileUs(0.99)),
      p999_us: r(this.quantileUs(0.999)),
      max_us: r(this.count ? this.max_us : null),
    };
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let b = 0; b < BUCKETS; b++) if (this.counts[b]! > 0) buckets.push([b, this.counts[b]!]);
    return {
      buckets,
      count: this.count,
      sum_us: this.sum_us,
      min_us: this.count ? this.min_us : null,
      max_us: this.count ? this.max_us : null,
    };
  }

  static fromJSON(j: HistogramJson): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [b, n] of j.buckets) if (b >= 0 && b < BUCKETS) h.counts[b] = n;
    h.count = j.count;
    h.sum_us = j.sum_us;
    h.min_us = j.min_us ?? Number.POSITIVE_INFINITY;
    h.max_us = j.max_us ?? Number.NEGATIVE_INFINITY;
    return h;
  }
}
