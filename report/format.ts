/** Number and label formatting shared by the page and summary.md: every figure carries its unit. */

/** Milliseconds with precision that fits the size: 107.6 ms, 5.43 ms, 0.421 ms. */
export function fmtMs(v: number | null): string {
  if (v === null) return '—';
  const a = Math.abs(v);
  const digits = a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return `${v.toFixed(digits)} ms`;
}

export function fmtRtt(v: number | null): string {
  return v === null ? '—' : `${v.toFixed(2)} RTT`;
}

/** "[102.5–104.3] ms", or "CI n/a" when the sample was too small for an interval. */
export function fmtCi(low: number | null, high: number | null, unit = 'ms'): string {
  if (low === null || high === null) return 'CI n/a';
  const digits = Math.max(Math.abs(low), Math.abs(high)) >= 10 ? 1 : 2;
  return `[${low.toFixed(digits)}–${high.toFixed(digits)}]${unit ? ` ${unit}` : ''}`;
}

export function fmtBytes(v: number | null): string {
  if (v === null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${x} B` : `${x.toFixed(1)} ${units[i]}`;
}

/** Rounds for machine-readable numbers (tables, spec data): 4 decimals is below measurement noise. */
export function round4(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4;
}

const PROTOCOL: Record<string, string> = { h1: 'HTTP/1.1', h2: 'HTTP/2' };
const SECURITY: Record<string, string> = { none: 'cleartext', tls12: 'TLS 1.2', tls13: 'TLS 1.3' };

export function protocolLabel(p: string): string {
  return PROTOCOL[p] ?? p;
}

export function securityLabel(s: string): string {
  return SECURITY[s] ?? s;
}

/** "HTTP/1.1 + TLS 1.3", "HTTP/2 cleartext". */
export function variantLabel(protocol: string, security: string): string {
  return security === 'none'
    ? `${protocolLabel(protocol)} cleartext`
    : `${protocolLabel(protocol)} + ${securityLabel(security)}`;
}

export const CONN_MODE_LABEL: Record<string, string> = {
  new: 'new connection',
  server_close: 'server closes (Connection: close)',
  resumed: 'new, TLS resumed',
  reused: 'kept alive (reused)',
};
