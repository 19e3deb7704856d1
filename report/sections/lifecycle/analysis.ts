/**
 * The lifecycle section's figures and verdicts (C7, C8, C9, C10, C12): pure, lifecycle.csv rows in (one per trial),
 * figures and verdicts out. Times in that file are scaled 1:time_scale; every figure states what it stands for.
 */
import { quantileOf, wilson } from '../../../lib/stats.ts';
import { numberOrNull } from '../../../lib/numbers.ts';
import type { CsvRow } from '../../load-run.ts';
import { fmtMs, round4 } from '../../format.ts';
import type { Evidence, Verdict } from '../types.ts';

const num = numberOrNull;

const median = (xs: readonly number[]): number | null => quantileOf(xs, 0.5);
const quantile = quantileOf;

// ---------------------------------------------------------------- C8

export interface C8Rate {
  case_key: string;
  profile: string;
  strategy: string;
  x_ms: number | null;
  y_ms: number | null;
  label: string;
  n: number;
  failures: number;
  per_1000: number;
  ci_low_per_1000: number;
  ci_high_per_1000: number;
  reused: number;
  /** 5th–95th percentile of idle gap − edge (ms) among failed trials: the race window, blurred by timer lag. */
  window_low_ms: number | null;
  window_high_ms: number | null;
  spread_ms: number | null;
}

export function c8Rates(rows: readonly CsvRow[]): C8Rate[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows) if (r.part === 'c8') by.set(r.case_key ?? '', [...(by.get(r.case_key ?? '') ?? []), r]);
  const out: C8Rate[] = [];
  for (const [key, rs] of by) {
    const first = rs[0]!;
    const done = rs.filter((r) => r.outcome !== 'skipped');
    const failed = done.filter((r) => r.outcome !== 'ok');
    const gapsFailed = failed.map((r) => num(r.gap_ms)).filter((x): x is number => x !== null);
    const gaps = done.map((r) => Math.abs(num(r.gap_ms) ?? 0));
    const ci = wilson(failed.length, done.length);
    out.push({
      case_key: key,
      profile: first.profile ?? '',
      strategy: first.strategy ?? '',
      x_ms: num(first.x_ms),
      y_ms: num(first.y_ms),
      label: first.note ?? key,
      n: done.length,
      failures: failed.length,
      per_1000: done.length ? (1000 * failed.length) / done.length : 0,
      ci_low_per_1000: 1000 * ci.low,
      ci_high_per_1000: 1000 * ci.high,
      reused: done.filter((r) => r.reused === '1').length,
      window_low_ms: gapsFailed.length ? Math.round((quantile(gapsFailed, 0.05) ?? 0) * 10) / 10 : null,
      window_high_ms: gapsFailed.length ? Math.round((quantile(gapsFailed, 0.95) ?? 0) * 10) / 10 : null,
      spread_ms: gaps.length ? Math.round(Math.max(...gaps)) : null,
    });
  }
  return out;
}

const per1000 = (r: C8Rate): string =>
  `${r.per_1000.toFixed(0)} per 1 000 (95 % CI ${r.ci_low_per_1000.toFixed(0)}–${r.ci_high_per_1000.toFixed(0)}, n=${r.n})`;

export function verdictC8(rates: readonly C8Rate[], scale: number): Verdict {
  // The claim is the advice "server idle timeout a little below the LB's": it holds if Y < X is the safe side.
  const rule =
    "refuted when, behind the LB, the server timeout below the LB's (Y < X) gives 502s whose 95 % CI excludes 0 while Y > X gives none (the advice is backwards); confirmed when Y > X fails and Y < X does not; depends otherwise";
  const lb = rates.filter((r) => r.strategy === 'lb' && r.x_ms !== null && r.y_ms !== null);
  const below = lb.find((r) => (r.y_ms ?? 0) < (r.x_ms ?? 0));
  const above = lb.find((r) => (r.y_ms ?? 0) > (r.x_ms ?? 0));
  if (!below || !above)
    return {
      claim: 'C8',
      kind: 'depends',
      reason: 'the run lacks one of the two LB cases',
      figure: 'no figure',
      numbers: {},
      rule,
    };
  const direct = rates.filter((r) => r.strategy !== 'lb');
  const d = (s: string): C8Rate | undefined => direct.find((r) => r.strategy === s);
  const window =
    below.window_low_ms !== null && below.window_high_ms !== null
      ? `; 90 % of the failures at idle gaps ${below.window_low_ms}…${below.window_high_ms} ms from Y`
      : '';
  let figure =
    `Y < X (server ${(below.y_ms ?? 0) / 1000} s < LB ${(below.x_ms ?? 0) / 1000} s, ≙ ${((below.y_ms ?? 0) * scale) / 1000} s < ${((below.x_ms ?? 0) * scale) / 1000} s): ` +
    `${per1000(below)} 502s; Y > X: ${per1000(above)}${window}`;
  const noTimeout = d('no_idle_timeout');
  const below2 = d('idle_below_server');
  const nodeDefault = d('node_default');
  if (noTimeout && below2)
    figure += `. One hop closer: a Node client without idle timeout ${noTimeout.per_1000.toFixed(0)} resets per 1 000, with its idle timeout below the server's ${below2.per_1000.toFixed(0)}`;
  if (nodeDefault)
    figure += `, Node 20's default Agent (honours Keep-Alive: timeout) ${nodeDefault.per_1000.toFixed(0)}`;
  const numbers: Record<string, number | null> = {
    y_below_x_per_1000: round4(below.per_1000),
    y_below_x_n: below.n,
    y_above_x_per_1000: round4(above.per_1000),
    y_above_x_n: above.n,
    window_low_ms: below.window_low_ms,
    window_high_ms: below.window_high_ms,
    direct_no_timeout_per_1000: noTimeout ? round4(noTimeout.per_1000) : null,
    direct_timeout_below_per_1000: below2 ? round4(below2.per_1000) : null,
    node_default_per_1000: nodeDefault ? round4(nodeDefault.per_1000) : null,
  };
  // Strong when the failing side's Wilson CI excludes 0 (and, for the safe side, its upper bound is what it is).
  const evidence: Evidence = {
    n: `n = ${below.n} + ${above.n} trials (Y < X, Y > X)`,
    strength: below.ci_low_per_1000 > 0 || above.ci_low_per_1000 > 0 ? 'strong' : 'inconclusive',
  };
  if (above.failures > 0 && below.failures === 0)
    return { claim: 'C8', kind: 'confirmed', figure, numbers, rule, evidence };
  if (above.failures > 0)
    return {
      claim: 'C8',
      kind: 'depends',
      reason: 'failures on both sides of the LB timeout',
      figure,
      numbers,
      rule,
      evidence,
    };
  if (below.failures === 0 || below.ci_low_per_1000 <= 0)
    return {
      claim: 'C8',
      kind: 'depends',
      reason: 'no significant failure rate with Y < X in this run',
      figure,
      numbers,
      rule,
      evidence,
    };
  return {
    claim: 'C8',
    evidence,
    kind: 'refuted',
    reason:
      "the advice is backwards: the server closing first (Y < X) is what makes the LB send 502s; keep the server's idle timeout above the LB's (LB 60 s → server 65 s or more), as AWS documents for ALB targets",
    figure,
    numbers,
    rule,
  };
}

/** One C8 request: its idle gap relative to the first timeout of the pair, and whether it failed. */
export interface C8Trial {
  label: string | undefined;
  gap_ms: number | null;
  failed: boolean;
}

export function c8Trials(rows: readonly CsvRow[]): C8Trial[] {
  return rows
    .filter((r) => r.part === 'c8')
    .map((r) => ({ label: r.note ?? r.case_key, gap_ms: num(r.gap_ms), failed: r.outcome !== 'ok' }));
}

// ---------------------------------------------------------------- C7

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

export function verdictC7(rows: readonly CsvRow[], scale: number, linkBackend = ''): Verdict {
  const rs = c7Rows(rows);
  const closes = rs.map((r) => num(r.idle_ms)).filter((x): x is number => x !== null);
  const y = num(rs[0]?.y_ms);
  const ka = rs[0]?.tcp_keepalive ?? '';
  const kaTime = Number(/client (\d+)/.exec(ka)?.[1] ?? NaN);
  const close = median(closes);
  const outcomes = [...new Set(rs.map((r) => r.outcome))].join(', ');
  const reuseMs = median(rs.map((r) => num(r.detect_ms)).filter((x): x is number => x !== null));
  const rule =
    'confirmed when the server closes idle connections before the first TCP keepalive probe would go out (time scaled back to real seconds)';
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
    return { claim: 'C7', kind: 'depends', reason: 'no server close measured', figure: 'no figure', numbers: {}, rule };
  }
  const figure =
    `the server (keepAliveTimeout ${y} ms, ≙ ${((y ?? 0) * scale) / 1000} s) closed idle connections after ${fmtMs(close)} (≙ ${((close * scale) / 1000).toFixed(0)} s; Node 20 pads the timeout by 1 s); ` +
    `TCP keepalive would first probe after ${kaTime} s (net.ipv4.tcp_keepalive_time, unscaled). A raw client writing on the closed connection: ${outcomes}${reuseMs !== null ? ` after ${fmtMs(reuseMs)}` : ''} (the first write is accepted; the peer's RST surfaces on a later write)`;
  return {
    claim: 'C7',
    kind: (close * scale) / 1000 < kaTime ? 'confirmed' : 'refuted',
    figure,
    numbers: {
      server_close_ms: round4(close),
      server_close_real_s: round4((close * scale) / 1000),
      tcp_keepalive_time_s: kaTime,
    },
    rule,
  };
}

// ---------------------------------------------------------------- C9 / C10

export interface StrategyFigure {
  part: string;
  fault: string;
  strategy: string;
  n: number;
  detect_ms: number | null;
  undetected: number;
  outcomes: string;
  retried: number;
  next_ok: number;
  settings: string;
}

export function strategyFigures(rows: readonly CsvRow[], part: 'c9' | 'c10'): StrategyFigure[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows)
    if (r.part === part && r.strategy)
      by.set(`${r.fault}|${r.strategy}`, [...(by.get(`${r.fault}|${r.strategy}`) ?? []), r]);
  return [...by.values()].map((rs) => {
    const f = rs[0]!;
    const counts = new Map<string, number>();
    for (const r of rs) counts.set(r.outcome ?? '', (counts.get(r.outcome ?? '') ?? 0) + 1);
    const detects = rs.map((r) => num(r.detect_ms)).filter((x): x is number => x !== null);
    const settings = [
      f.tcp_keepalive ? `keepalive ${f.tcp_keepalive} s` : '',
      f.tcp_user_timeout_ms ? `TCP_USER_TIMEOUT ${f.tcp_user_timeout_ms} ms` : '',
      f.h2_ping_ms ? `PING every ${f.h2_ping_ms} ms` : '',
      f.request_timeout_ms ? `request timeout ${f.request_timeout_ms} ms` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return {
      part,
      fault: f.fault ?? '',
      strategy: f.strategy ?? '',
      n: rs.length,
      detect_ms: median(detects),
      undetected: rs.length - detects.length,
      outcomes: [...counts].map(([k, v]) => `${k} ${v}`).join(', '),
      retried: rs.filter((r) => r.retried === '1').length,
      next_ok: rs.filter((r) => r.next_ok === '1').length,
      settings: settings || 'none',
    };
  });
}

/** One C9 trial's outcome after idling past the middlebox flow timeout. */
export interface C9Trial {
  strategy: string | undefined;
  outcome: string | undefined;
}

export function c9Trials(rows: readonly CsvRow[]): C9Trial[] {
  return rows.filter((r) => r.part === 'c9').map((r) => ({ strategy: r.strategy, outcome: r.outcome }));
}

const detectText = (f: StrategyFigure | undefined): string =>
  !f
    ? 'not run'
    : f.detect_ms === null
      ? 'not within the cap'
      : `${fmtMs(f.detect_ms)}${f.undetected ? ` (${f.undetected} of ${f.n} not within the cap)` : ''}`;

export function verdictC9(figs: readonly StrategyFigure[]): Verdict {
  const rule =
    'confirmed when, past the middlebox idle timeout, the connection without keepalive hangs or fails and the ones with TCP keepalive or h2 PING below it survive';
  const g = (s: string): StrategyFigure | undefined => figs.find((f) => f.strategy === s);
  const none = g('none');
  const ka = g('tcp_keepalive');
  const ping = g('h2_ping');
  const ut = g('tcp_user_timeout');
  if (!none || !ka || !ping || none.outcomes.startsWith('skipped')) {
    return {
      claim: 'C9',
      kind: 'depends',
      reason: 'needs a link with a flow idle timeout (tun, or tc with iptables and conntrack)',
      figure: 'not measured on this link',
      numbers: {},
      rule,
    };
  }
  const survived = (f: StrategyFigure): number => Number(/survived (\d+)/.exec(f.outcomes)?.[1] ?? 0);
  const figure =
    `after idling past the flow timeout: no keepalive → ${none.outcomes} (learned: ${detectText(none)}); TCP_USER_TIMEOUT → learned after ${detectText(ut)}; ` +
    `TCP keepalive ${ka.settings} → survived ${survived(ka)}/${ka.n}; h2 PING → survived ${survived(ping)}/${ping.n}`;
  const numbers = {
    none_survived: survived(none),
    keepalive_survived: survived(ka),
    ping_survived: survived(ping),
    n: none.n,
    user_timeout_detect_ms: ut?.detect_ms ?? null,
  };
  const ok = survived(none) === 0 && survived(ka) === ka.n && survived(ping) === ping.n;
  return {
    claim: 'C9',
    kind: ok ? 'confirmed' : 'refuted',
    figure,
    numbers,
    rule,
    ...(ok ? {} : { reason: 'keepalive did not keep every flow, or the idle flow survived without it' }),
  };
}

export function verdictC10(figs: readonly StrategyFigure[]): Verdict {
  const rule =
    'confirmed when every fault is noticed only at the next send; depends when a killed process is noticed at once (its kernel sends FIN) while a vanished host is noticed only by a send, a timer or a probe';
  const g = (fault: string, s: string): StrategyFigure | undefined =>
    figs.find((f) => f.fault === fault && f.strategy === s);
  const killed = g('process_killed', 'none');
  const gone = figs.filter((f) => f.fault === 'host_gone');
  const reboot = g('host_rebooted', 'none');
  const retry = g('host_rebooted', 'retry_once');
  if (!killed)
    return { claim: 'C10', kind: 'depends', reason: 'crash cases missing', figure: 'no figure', numbers: {}, rule };
  const goneText = gone.map((f) => `${f.strategy} ${detectText(f)}`).join('; ');
  const figure =
    `process killed: noticed after ${detectText(killed)} by every strategy (its kernel closes the socket: FIN, no send needed); ` +
    `host gone (silence): ${goneText || 'not run'}; host rebooted: without a strategy noticed after ${detectText(reboot)} (RST on the next send)` +
    (retry ? `, retry-once-on-reset recovered ${retry.outcomes}` : '');
  const numbers: Record<string, number | null> = { killed_detect_ms: killed.detect_ms };
  for (const f of gone) numbers[`host_gone_${f.strategy}_detect_ms`] = f.detect_ms;
  if (reboot) numbers.rebooted_none_detect_ms = reboot.detect_ms;
  const killedFast = killed.detect_ms !== null && killed.detect_ms < 1000;
  return killedFast
    ? {
        claim: 'C10',
        kind: 'depends',
        reason:
          'a crashed process is noticed at once (FIN); a vanished or rebooted host only on the next send, a timeout or a probe',
        figure,
        numbers,
        rule,
      }
    : { claim: 'C10', kind: 'confirmed', figure, numbers, rule };
}

// ---------------------------------------------------------------- C12

export interface PoolFigure {
  max_sockets: number;
  concurrency: number;
  round: string;
  n: number;
  queue_ms: number | null;
  queue_p90_ms: number | null;
  connect_ms: number | null;
  total_ms: number | null;
  total_p90_ms: number | null;
  errors: number;
}

export function poolFigures(rows: readonly CsvRow[]): PoolFigure[] {
  const by = new Map<string, CsvRow[]>();
  for (const r of rows)
    if (r.part === 'c12' && r.max_sockets)
      by.set(`${r.max_sockets}|${r.fault}`, [...(by.get(`${r.max_sockets}|${r.fault}`) ?? []), r]);
  const out: PoolFigure[] = [];
  for (const rs of by.values()) {
    const ok = rs.filter((r) => r.outcome === 'ok');
    const col = (c: string): number[] => ok.map((r) => num(r[c])).filter((x): x is number => x !== null);
    const newConn = ok
      .filter((r) => r.reused === '0')
      .map((r) => num(r.connect_ms))
      .filter((x): x is number => x !== null);
    out.push({
      max_sockets: Number(rs[0]!.max_sockets),
      concurrency: Number(rs[0]!.concurrency),
      round: rs[0]!.fault ?? '',
      n: ok.length,
      queue_ms: median(col('queue_ms')),
      queue_p90_ms: quantile(col('queue_ms'), 0.9),
      connect_ms: median(newConn),
      total_ms: median(col('total_ms')),
      total_p90_ms: quantile(col('total_ms'), 0.9),
      errors: rs.length - ok.length,
    });
  }
  return out.sort((a, b) => a.round.localeCompare(b.round) || a.max_sockets - b.max_sockets);
}

export function verdictC12(figs: readonly PoolFigure[]): Verdict {
  const rule =
    'confirmed when a warm pool with maxSockets ≥ concurrency beats its cold first round (reuse saves the handshake) and a pool smaller than the concurrency queues requests';
  const warm = figs.filter((f) => f.round === 'warm');
  const cold = figs.filter((f) => f.round === 'cold');
  const small = warm.filter((f) => f.max_sockets < f.concurrency).sort((a, b) => a.max_sockets - b.max_sockets)[0];
  const equal = warm.find((f) => f.max_sockets === f.concurrency);
  const coldEqual = cold.find((f) => f.max_sockets === f.concurrency);
  if (!small || !equal || !coldEqual)
    return { claim: 'C12', kind: 'depends', reason: 'pool cases missing', figure: 'no figure', numbers: {}, rule };
  const figure =
    `${equal.concurrency} concurrent requests: maxSockets ${small.max_sockets} queues them (median ${fmtMs(small.queue_ms)} waiting, p90 ${fmtMs(small.queue_p90_ms)}, total p90 ${fmtMs(small.total_p90_ms)}); ` +
    `maxSockets ${equal.max_sockets}: warm median ${fmtMs(equal.total_ms)} vs cold ${fmtMs(coldEqual.total_ms)} (a new connection's connect ${fmtMs(coldEqual.connect_ms)})`;
  const numbers = {
    small_max_sockets: small.max_sockets,
    small_queue_ms: round4(small.queue_ms),
    small_total_p90_ms: round4(small.total_p90_ms),
    equal_warm_total_ms: round4(equal.total_ms),
    equal_cold_total_ms: round4(coldEqual.total_ms),
    connect_ms: round4(coldEqual.connect_ms),
  };
  const ok =
    (equal.total_ms ?? Infinity) < (coldEqual.total_ms ?? 0) && (small.queue_p90_ms ?? 0) > (equal.queue_p90_ms ?? 0);
  return {
    claim: 'C12',
    kind: ok ? 'confirmed' : 'refuted',
    figure,
    numbers,
    rule,
    ...(ok ? {} : { reason: 'reuse did not beat the cold round, or the small pool did not queue' }),
  };
}

// ---------------------------------------------------------------- the whole section

export interface LifecycleAnalysis {
  /** 1:scale — one second in lifecycle.csv stands for `scale` seconds in production. */
  scale: number;
  /** In the order C7, C8, C9, C10, C12; a part the run lacks has none. */
  verdicts: Verdict[];
  /** null when the run has no C7 part. */
  c7_trials: C7Trial[] | null;
  c8_rates: C8Rate[];
  c8_trials: C8Trial[];
  c9: StrategyFigure[];
  c9_trials: C9Trial[];
  c10: StrategyFigure[];
  pools: PoolFigure[];
  /** Trials that errored in the harness, and up to three of their distinct messages. */
  harness_errors: number;
  harness_error_messages: string[];
}

export function analyseLifecycle(rows: readonly CsvRow[], scale: number, linkBackend = ''): LifecycleAnalysis {
  const verdicts: Verdict[] = [];
  const hasC7 = rows.some((r) => r.part === 'c7');
  if (hasC7) verdicts.push(verdictC7(rows, scale, linkBackend));
  const rates = c8Rates(rows);
  if (rates.length) verdicts.push(verdictC8(rates, scale));
  const c9 = strategyFigures(rows, 'c9');
  if (c9.length) verdicts.push(verdictC9(c9));
  const c10 = strategyFigures(rows, 'c10');
  if (c10.length) verdicts.push(verdictC10(c10));
  const pools = poolFigures(rows);
  if (pools.length) verdicts.push(verdictC12(pools));
  const errors = rows.filter((r) => r.outcome === 'error');
  return {
    scale,
    verdicts,
    c7_trials: hasC7 ? c7Trials(rows) : null,
    c8_rates: rates,
    c8_trials: c8Trials(rows),
    c9,
    c9_trials: c9Trials(rows),
    c10,
    pools,
    harness_errors: errors.length,
    harness_error_messages: [...new Set(errors.map((r) => r.error))].slice(0, 3).map((e) => e ?? ''),
  };
}
