/** Number formatting shared by the Markdown, CSV-adjacent text and HTML of compare. */

/** ms with a precision that suits its size: 1.234 ms, 51.06 ms, 102.9 ms. */
export function formatMs(v: number): string {
  const a = Math.abs(v);
  const digits = a < 10 ? 3 : a < 100 ? 2 : 1;
  return `${v.toFixed(digits)} ms`;
}

/** A signed ms difference: +1.020 ms, −0.310 ms. */
export function formatDeltaMs(v: number): string {
  const s = formatMs(Math.abs(v));
  return v > 0 ? `+${s}` : v < 0 ? `−${s}` : s;
}

/** A signed percentage with one decimal: +12.3 %, −4.0 %, 0.0 %. */
export function formatPct(v: number): string {
  const r = Math.round(v * 10) / 10;
  const s = Math.abs(r).toFixed(1);
  return r > 0 ? `+${s} %` : r < 0 ? `−${s} %` : `${s} %`;
}

export function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** "p = 0.012" or "p < 0.001". */
export function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** Figures for the CSV: full precision trimmed to 0.1 µs (ms) or 4 decimals, empty when absent. */
export function csvNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  return String(Math.round(v * 1e4) / 1e4);
}
