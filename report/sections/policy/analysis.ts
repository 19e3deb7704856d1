/**
 * The policy scenario's figures and its C7 verdict, from policy.csv: the server's idle timeout (the FIN seen on
 * connections left idle), its keep-alive headers, whether it honours `Connection: close`, and how many requests
 * it serves on one connection. Pure: rows in, figures and the verdict out.
 */
import { quantileSummary, type QuantileSummary } from '../../../lib/stats-summary.ts';
import type { CsvRow } from '../../load-run.ts';
import { num } from '../../rows.ts';
import type { Evidence, Verdict } from '../types.ts';
import { CLOSE_EVIDENCE_RULE, closeStrength, probeOverClose, type CloseSpread } from '../lifecycle/close-evidence.ts';

/** Linux's default net.ipv4.tcp_keepalive_time: the first keepalive probe after 2 h idle. */
export const TCP_KEEPALIVE_DEFAULT_S = 7_200;

export interface PolicyFigures {
  profile: string;
  /** What the probes spoke: "HTTP/1.1", "HTTP/2 over TLS", … ("HTTP/1.1" for runs from before the column). */
  protocol: string;
  /** Idle connections watched, how many the server closed, and the time to its close (ms). */
  idle: {
    watched: number;
    closed: number;
    errors: number;
    close_ms: QuantileSummary;
    min_ms: number | null;
    max_ms: number | null;
  };
  /** How long the connections were watched (ms). */
  idle_cap_ms: number | null;
  keep_alive_header: string | null;
  connection_header: string | null;
  /** null: not measured (or the probe failed). */
  honours_connection_close: boolean | null;
  /** Requests served on one connection before the server closed it; at_cap: still open after `cap`. */
  max_requests: { served: number; cap: number; at_cap: boolean } | null;
}

export function policyFigures(rows: readonly CsvRow[]): PolicyFigures | null {
  const idle = rows.filter((r) => r.part === 'idle');
  if (idle.length === 0) return null;
  const closes = idle.filter((r) => r.outcome === 'closed').map((r) => num(r.idle_close_ms) ?? Number.NaN);
  const finite = closes.filter(Number.isFinite);
  const close = rows.find((r) => r.part === 'connection_close');
  const max = rows.find((r) => r.part === 'max_requests' && r.outcome !== 'error');
  const first = idle.find((r) => r.outcome !== 'error');
  const p = idle[0]?.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1';
  return {
    profile: idle[0]?.profile ?? '',
    protocol: idle[0]?.tls === '1' ? `${p} over TLS` : p,
    idle: {
      watched: idle.length,
      closed: finite.length,
      errors: idle.filter((r) => r.outcome === 'error').length,
      close_ms: quantileSummary(finite),
      min_ms: finite.length ? Math.min(...finite) : null,
      max_ms: finite.length ? Math.max(...finite) : null,
    },
    idle_cap_ms: num(idle[0]?.cap),
    keep_alive_header: first?.keep_alive_header || null,
    connection_header: first?.connection_header || null,
    honours_connection_close: close === undefined || close.outcome === 'error' ? null : close.outcome === 'honoured',
    max_requests: max
      ? { served: num(max.requests) ?? 0, cap: num(max.cap) ?? 0, at_cap: max.outcome === 'open_at_cap' }
      : null,
  };
}

function seconds(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`;
}

/** "3.01 s (3.01–3.01 s, n = 3)". */
export function idleWords(f: PolicyFigures): string {
  const { idle } = f;
  if (idle.closed === 0) return `no close within ${seconds(f.idle_cap_ms)} (n = ${idle.watched})`;
  return `${seconds(idle.close_ms.median)} (${seconds(idle.min_ms)}–${seconds(idle.max_ms)}, n = ${idle.closed} of ${idle.watched})`;
}

/** "n = 3 idle connections, all closed": free of parentheses, as summary.md puts the evidence in a pair of them. */
function idleN(f: PolicyFigures): string {
  const { watched, closed } = f.idle;
  const conns = `${watched} idle connection${watched === 1 ? '' : 's'}`;
  return `n = ${conns}, ${closed === watched ? (watched === 1 ? 'closed' : 'all closed') : `${closed} closed`}`;
}

/**
 * C7: servers close idle connections sooner than TCP keepalive ever probes. Confirmed when the server closed
 * every watched connection and before the server side's tcp_keepalive_time; refuted when it kept them past it;
 * "depends" when it kept them to the cap (shorter than keepalive's 2 h: the probe cannot tell) or some failed.
 * Its evidence: ../lifecycle/close-evidence.ts (the closes' margin from the probe, or their number).
 */
export function verdictPolicyC7(f: PolicyFigures | null, keepalive_time_s: number = TCP_KEEPALIVE_DEFAULT_S): Verdict {
  const rule = `the server under test's idle close, watched on several idle connections at once for its FIN (up to a cap): confirmed when it closes every one before the first TCP keepalive probe (net.ipv4.tcp_keepalive_time, ${keepalive_time_s} s here), refuted when it keeps them past it, "depends" when none closed within the cap; ${CLOSE_EVIDENCE_RULE}`;
  if (f === null)
    return {
      claim: 'C7',
      kind: 'depends',
      reason: 'no idle connection was watched',
      figure: 'no figure',
      numbers: {},
      rule,
      evidence: { n: 'n = 0 idle connections', strength: 'inconclusive' },
    };
  const spread: CloseSpread = {
    count: f.idle.closed,
    min_s: f.idle.min_ms === null ? null : f.idle.min_ms / 1000,
    max_s: f.idle.max_ms === null ? null : f.idle.max_ms / 1000,
  };
  const numbers = {
    idle_close_median_ms: f.idle.close_ms.median,
    idle_close_n: f.idle.closed,
    watched: f.idle.watched,
    keepalive_time_s,
    probe_over_close_ratio: probeOverClose(spread, keepalive_time_s),
  };
  const figure = `the server closes idle connections after ${idleWords(f)}; TCP keepalive would first probe after ${keepalive_time_s} s`;
  const inconclusive: Evidence = { n: idleN(f), strength: 'inconclusive' };
  if (f.idle.closed === 0)
    return {
      claim: 'C7',
      kind: 'depends',
      reason: `the server kept every idle connection open for the whole watch (${seconds(f.idle_cap_ms)}); its timeout, if any, is longer`,
      figure,
      numbers,
      rule,
      evidence: inconclusive,
    };
  if ((f.idle.max_ms ?? 0) / 1000 >= keepalive_time_s)
    return {
      claim: 'C7',
      kind: 'refuted',
      reason: 'the server kept idle connections past the first keepalive probe',
      figure,
      numbers,
      rule,
      evidence: { n: idleN(f), strength: closeStrength(spread, keepalive_time_s, 'above') },
    };
  if (f.idle.closed < f.idle.watched)
    return {
      claim: 'C7',
      kind: 'depends',
      reason: `only ${f.idle.closed} of ${f.idle.watched} watched connections were closed by the server`,
      figure,
      numbers,
      rule,
      evidence: inconclusive,
    };
  const evidence: Evidence = { n: idleN(f), strength: closeStrength(spread, keepalive_time_s, 'below') };
  return { claim: 'C7', kind: 'confirmed', figure, numbers, rule, evidence };
}
