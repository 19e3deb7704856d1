import type { Figure } from '../../../../lib/figures.ts';

/** A total_ms summary figure; `spread` is the half-width of its CI (null: no CI). */
export function fig(
  profile: string,
  rtt: number,
  protocol: string,
  security: string,
  conn_mode: string,
  median: number | null,
  model: number,
  spread: number | null = 0.5,
): Figure {
  return {
    scenario: 'handshake',
    case_key: `handshake/protocol=${protocol}/security=${security}/conn_mode=${conn_mode}/size_bytes=100/profile=${profile}`,
    profile,
    link_backend: 'tun',
    link_caveat: '',
    rtt_ms_configured: rtt,
    rtt_ms_calibrated: rtt,
    protocol,
    security,
    conn_mode,
    size_bytes: 100,
    metric: 'total_ms',
    n: median === null ? 0 : 10,
    errors: median === null ? 10 : 0,
    median,
    ci95_low: median === null || spread === null ? null : median - spread,
    ci95_high: median === null || spread === null ? null : median + spread,
    p90: median,
    p99: median,
    model_ms: model,
    cpu_baseline_ms: null,
  };
}
