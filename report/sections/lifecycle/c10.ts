/**
 * C10 from lifecycle.csv: when does a client learn that its server crashed — at once, or only on its next send?
 * Three faults (process killed, host gone silent, host rebooted), each watched by clients with different
 * strategies side by side; the verdict reads the client without one.
 */
import { round4 } from '../../format.ts';
import type { Evidence, Verdict } from '../types.ts';
import { cellsN, detectText, rate, side, type StrategyFigure } from './strategies.ts';

/** Learned within this long of the fault (well before the next send, 4 s later): "noticed at once". */
export const C10_AT_ONCE_MS = 1000;

/** How many of the figure's trials learned within C10_AT_ONCE_MS of the fault. */
const atOnce = (f: StrategyFigure): number => f.detects_ms.filter((x) => x < C10_AT_ONCE_MS).length;

/**
 * The rates of "noticed at once" for the client without a strategy (the cells the verdict reads). Strong for
 * 'depends' when the killed process's rate lies above one half and each host fault's below, each by its Wilson
 * 95 % interval (all must hold); strong for 'confirmed' when every fault's lies below. The other strategies' trials
 * are not pooled in: each is a different client (for a vanished host its probes and timers are the point), and they
 * watch the very fault event the client without a strategy watches, side by side — not independent repeats of it.
 */
function c10Evidence(
  killed: StrategyFigure,
  gone: StrategyFigure | undefined,
  reboot: StrategyFigure | undefined,
  killedFast: boolean,
): { evidence: Evidence; numbers: Record<string, number | null> } {
  const k = rate(atOnce(killed), killed.done);
  const hosts = [gone, reboot].map((f) => rate(f ? atOnce(f) : 0, f?.done ?? 0));
  const hostsLate = hosts.every((r) => side(r) === 'few');
  const strong = hostsLate && side(k) === (killedFast ? 'most' : 'few');
  const cells = [
    { label: 'process killed', n: killed.done },
    { label: 'host gone', n: gone?.done ?? 0 },
    { label: 'host rebooted', n: reboot?.done ?? 0 },
  ];
  return {
    evidence: {
      n: `${cellsN(cells, 'a fault')}, client without a strategy`,
      strength: strong ? 'strong' : 'inconclusive',
    },
    numbers: {
      killed_at_once_ci_low: round4(k.low),
      killed_at_once_ci_high: round4(k.high),
      host_gone_at_once_ci_high: gone ? round4(hosts[0]!.high) : null,
      host_rebooted_at_once_ci_high: reboot ? round4(hosts[1]!.high) : null,
      min_trials_per_fault: Math.min(...cells.map((c) => c.n)),
    },
  };
}

export function verdictC10(figs: readonly StrategyFigure[]): Verdict {
  const rule = `confirmed when every fault is noticed only at the next send; depends when a killed process is noticed at once (within ${C10_AT_ONCE_MS / 1000} s: its kernel sends FIN) while a vanished host is noticed only by a send, a timer or a probe. Strong evidence when, for the client without a strategy, the share of trials noticed at once has its 95 % Wilson interval on the verdict's side of one half for every fault (killed above and hosts below for "depends", all below for "confirmed"; with all-or-none outcomes that needs ≥ 4 trials a fault), inconclusive otherwise`;
  const g = (fault: string, s: string): StrategyFigure | undefined =>
    figs.find((f) => f.fault === fault && f.strategy === s);
  const killed = g('process_killed', 'none');
  const gone = figs.filter((f) => f.fault === 'host_gone');
  const reboot = g('host_rebooted', 'none');
  const retry = g('host_rebooted', 'retry_once');
  if (!killed)
    return {
      claim: 'C10',
      kind: 'depends',
      reason: 'crash cases missing',
      figure: 'no figure',
      numbers: {},
      rule,
      evidence: { n: 'n = 0 trials of a killed process', strength: 'inconclusive' },
    };
  const goneText = gone.map((f) => `${f.strategy} ${detectText(f)}`).join('; ');
  const figure =
    `process killed: noticed after ${detectText(killed)} by every strategy (its kernel closes the socket: FIN, no send needed); ` +
    `host gone (silence): ${goneText || 'not run'}; host rebooted: without a strategy noticed after ${detectText(reboot)} (RST on the next send)` +
    (retry ? `, retry-once-on-reset recovered ${retry.outcomes}` : '');
  const numbers: Record<string, number | null> = { killed_detect_ms: killed.detect_ms };
  for (const f of gone) numbers[`host_gone_${f.strategy}_detect_ms`] = f.detect_ms;
  if (reboot) numbers.rebooted_none_detect_ms = reboot.detect_ms;
  const killedFast = killed.detect_ms !== null && killed.detect_ms < C10_AT_ONCE_MS;
  const ev = c10Evidence(killed, g('host_gone', 'none'), reboot, killedFast);
  Object.assign(numbers, ev.numbers);
  return killedFast
    ? {
        claim: 'C10',
        kind: 'depends',
        reason:
          'a crashed process is noticed at once (FIN); a vanished or rebooted host only on the next send, a timeout or a probe',
        figure,
        numbers,
        rule,
        evidence: ev.evidence,
      }
    : { claim: 'C10', kind: 'confirmed', figure, numbers, rule, evidence: ev.evidence };
}
