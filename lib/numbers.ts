/** A number from a CSV cell or a loose value: null for empty, blank or not a finite number (never NaN). */
export function numberOrNull(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' && v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
