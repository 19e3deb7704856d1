/**
 * C7 from lifecycle.csv: the harness's Node server closes an idle kept-alive connection long before TCP keepalive
 * would send its first probe. Times in the file are scaled 1:time_scale; the verdict compares in real seconds.
 */
import { quantileOf } from '../../../lib/stats.ts';
import { numberOrNull as num } from '../../../lib/numbers.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs, round4 } from '../../format.ts';
import type { Evidence, Verdict } from '../types.ts';
import { CLOSE_EVIDENCE_RULE, closeStrength, probeOverClose, type CloseSpread } from './close-evidence.ts';

/** One C7 trial: the server's configured timeout, when it closed the idle connection, what a write on it got. */
export interface C7Trial {
  trial: string;
  y_ms: number | null;
  idle_ms: number | null;
  outcome: string;
  detect_ms: number | null;
  tcp_keepalive: string;
}

/** C7's rows, less the trials that errored in the harness. */
function c7Rows(rows: readonly CsvRow[]): CsvRow[] {
  return rows.filter((r) => r.part === 'c7' && r.outcome !== 'error');
}

export function c7Trials(rows: readonly CsvRow[]): C7Trial[] {
  return c7Rows(rows).map((r) => ({
    trial: r.trial ?? '',
    y_ms: num(r.y_ms),
    idle_ms: num(r.idle_ms),
    outcome: r.outcome ?? '',
    detect_ms: num(r.detect_ms),
    tcp_keepalive: r.tcp_keepalive ?? '',
  }));
}

const trials = (n: number): string => `${n} trial${n === 1 ? '' : 's'}`;

export function verdictC7(rows: readonly CsvRow[], scale: number, linkBackend = ''): Verdict {
  const rs = c7Rows(rows);
  const closes = rs.map((r) => num(r.idle_ms)).filter((x): x is number => x !== null);
  const y = num(rs[0]?.y_ms);
  const ka = rs[0]?.tcp_keepalive ?? '';
  const kaTime = Number(/client (\d+)/.exec(ka)?.[1] ?? NaN);
  const close = quantileOf(closes, 0.5);
  const outcomes = [...new Set(rs.map((r) => r.outcome))].join(', ');
  const reuseMs = quantileOf(
    rs.map((r) => num(r.detect_ms)).filter((x): x is number => x !== null),
    0.5,
  );
  const rule = `confirmed when the server closes idle connections before the first TCP keepalive probe would go out (time scaled back to real seconds); ${CLOSE_EVIDENCE_RULE}`;
  if (close === null || !Number.isFinite(kaTime)) {
    if (linkBackend === 'proxy') {
      // The proxy keeps its own client-side connection open when the server closes upstream: no FIN reaches the client.
      return {
        claim: 'C7',
        kind: 'not_run',
        figure: "the proxy link hides the server's close from the client; needs the tun or tc link (root)",
        numbers: {},
        rule,
      };
    }
    const what = close === null ? 'no close measured' : 'TCP keepalive time unknown';
    return {
      claim: 'C7',
      kind: 'depends',
      reason: 'no server close measured',
      figure: 'no figure',
      numbers: {},
      rule,
      evidence: { n: `n = ${trials(rs.length)}, ${what}`, strength: 'inconclusive' },
    };
  }
  const figure =
    `the server (keepAliveTimeout ${y} ms, ≙ ${((y ?? 0) * scale) / 1000} s) closed idle connections after ${fmtMs(close)} (≙ ${((close * scale) / 1000).toFixed(0)} s; Node 20 pads the timeout by 1 s); ` +
    `TCP keepalive would first probe after ${kaTime} s (net.ipv4.tcp_keepalive_time, unscaled). A raw client writing on the closed connection: ${outcomes}${reuseMs !== null ? ` after ${fmtMs(reuseMs)}` : ''} (the first write is accepted; the peer's RST surfaces on a later write)`;
  const real_s = closes.map((c) => (c * scale) / 1000);
  const spread: CloseSpread = { count: real_s.length, min_s: Math.min(...real_s), max_s: Math.max(...real_s) };
  const confirmed = (close * scale) / 1000 < kaTime;
  const evidence: Evidence = {
    n: `n = ${trials(closes.length)}`,
    strength: closeStrength(spread, kaTime, confirmed ? 'below' : 'above'),
  };
  return {
    claim: 'C7',
    kind: confirmed ? 'confirmed' : 'refuted',
    figure,
    numbers: {
      server_close_ms: round4(close),
      server_close_real_s: round4((close * scale) / 1000),
      server_close_max_real_s: round4(spread.max_s),
      tcp_keepalive_time_s: kaTime,
      probe_over_close_ratio: probeOverClose(spread, kaTime),
      n_trials: closes.length,
    },
    rule,
    evidence,
  };
}
