import { UserError } from './errors.ts';

/**
 * A whole-number flag: decimal digits only (Number() would take 0x10 and 1e3), from min to max, else one
 * UserError line naming the flag. Absent → fallback.
 */
export function wholeNumberFlag<F extends number | null>(
  name: string,
  v: string | undefined,
  fallback: F,
  range: { min: number; max: number },
): number | F {
  if (v === undefined) return fallback;
  const n = /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max)
    throw new UserError(`--${name} must be a whole number from ${range.min} to ${range.max}, got "${v}"`);
  return n;
}
