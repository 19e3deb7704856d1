/** Monotonic time in milliseconds with microsecond (sub-µs) resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Rounds a duration to microseconds for storage. */
export function roundUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
