/**
 * C9 from lifecycle.csv: a middlebox forgets a flow left idle past its timeout; TCP keepalive or h2 PING below
 * that timeout keep it. Each strategy's trials hold their own flow, side by side.
 */
import type { CsvRow } from '../../load-run.ts';
import { round4 } from '../../format.ts';
import type { Evidence, Verdict } from '../types.ts';
import { cellsN, detectText, rate, side, type Rate, type StrategyFigure } from './strategies.ts';

/** One C9 trial's outcome after idling past the middlebox flow timeout. */
export interface C9Trial {
  strategy: string | undefined;
  outcome: string | undefined;
}

export function c9Trials(rows: readonly CsvRow[]): C9Trial[] {
  return rows.filter((r) => r.part === 'c9').map((r) => ({ strategy: r.strategy, outcome: r.outcome }));
}

const survived = (f: StrategyFigure): number => Number(/survived (\d+)/.exec(f.outcomes)?.[1] ?? 0);
const survival = (f: StrategyFigure | undefined): Rate => rate(f ? survived(f) : 0, f?.done ?? 0);

/**
 * Strong for 'confirmed' when TCP keepalive's and PING's survival rates both lie above one half and their
 * controls' (no keepalive; h2 without PING, or no keepalive when the run lacks it) below, each by its Wilson
 * 95 % interval — all must hold; strong for 'refuted' when a rate that breaks the claim lies on the wrong side.
 */
function c9Evidence(
  cells: { none: StrategyFigure; ka: StrategyFigure; ping: StrategyFigure; h2None: StrategyFigure | undefined },
  confirmed: boolean,
): { evidence: Evidence; numbers: Record<string, number | null> } {
  const { none, ka, ping, h2None } = cells;
  const r = { none: survival(none), ka: survival(ka), ping: survival(ping), h2None: survival(h2None ?? none) };
  const strong = confirmed
    ? side(r.ka) === 'most' && side(r.ping) === 'most' && side(r.none) === 'few' && side(r.h2None) === 'few'
    : side(r.none) === 'most' || side(r.ka) === 'few' || side(r.ping) === 'few';
  const shown = [
    { label: 'no keepalive', n: none.done },
    { label: 'TCP keepalive', n: ka.done },
    ...(h2None ? [{ label: 'h2 without PING', n: h2None.done }] : []),
    { label: 'h2 PING', n: ping.done },
  ];
  return {
    evidence: { n: cellsN(shown, 'a strategy'), strength: strong ? 'strong' : 'inconclusive' },
    numbers: {
      keepalive_survival_ci_low: round4(r.ka.low),
      ping_survival_ci_low: round4(r.ping.low),
      none_survival_ci_high: round4(r.none.high),
      h2_none_survival_ci_high: h2None ? round4(r.h2None.high) : null,
      min_trials_per_strategy: Math.min(...shown.map((c) => c.n)),
    },
  };
}

export function verdictC9(figs: readonly StrategyFigure[]): Verdict {
  const rule =
    "confirmed when, past the middlebox idle timeout, the connection without keepalive hangs or fails and the ones with TCP keepalive or h2 PING below it survive; strong evidence when each of those survival rates' 95 % Wilson interval lies on its side of one half (keepalive and PING above, no keepalive and h2 without PING below — with all-or-none outcomes that needs ≥ 4 trials a strategy; the trials are flows side by side, each with its own conntrack entry and timer, taken as independent — they share the run and the machine, as every repeat in a run does), inconclusive otherwise";
  const g = (s: string): StrategyFigure | undefined => figs.find((f) => f.strategy === s);
  const none = g('none');
  const ka = g('tcp_keepalive');
  const ping = g('h2_ping');
  const ut = g('tcp_user_timeout');
  if (!none || !ka || !ping || none.outcomes.startsWith('skipped')) {
    const ran = [none, ka, ping].map((f) => f?.done ?? 0);
    return {
      claim: 'C9',
      kind: 'depends',
      reason: 'needs a link with a flow idle timeout (tun, or tc with iptables and conntrack)',
      figure: 'not measured on this link',
      numbers: {},
      rule,
      evidence: { n: `n = ${Math.min(...ran)} trials a strategy`, strength: 'inconclusive' },
    };
  }
  const figure =
    `after idling past the flow timeout: no keepalive → ${none.outcomes} (learned: ${detectText(none)}); TCP_USER_TIMEOUT → learned after ${detectText(ut)}; ` +
    `TCP keepalive ${ka.settings} → survived ${survived(ka)}/${ka.done}; h2 PING → survived ${survived(ping)}/${ping.done}`;
  // Skipped trials are not trials: every one that ran must have survived.
  const ok = survived(none) === 0 && survived(ka) === ka.done && survived(ping) === ping.done;
  const { evidence, numbers: ev } = c9Evidence({ none, ka, ping, h2None: g('h2_none') }, ok);
  const numbers = {
    none_survived: survived(none),
    keepalive_survived: survived(ka),
    ping_survived: survived(ping),
    n: none.n,
    user_timeout_detect_ms: ut?.detect_ms ?? null,
    ...ev,
  };
  return {
    claim: 'C9',
    kind: ok ? 'confirmed' : 'refuted',
    figure,
    numbers,
    rule,
    evidence,
    ...(ok ? {} : { reason: 'keepalive did not keep every flow, or the idle flow survived without it' }),
  };
}
