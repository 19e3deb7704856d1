/**
 * C4's evidence (n and strength, issue #21): how sure the run is that pipelined fast responses are held back behind
 * the slow one (Wilson CI of that share), that h1 × 6 and h2 are not (the CI of their median blocked time), and
 * that the server answers pipelined requests in turn (Wilson CI of the pipelining check). Pure.
 */
import { wilson } from '../../../lib/stats.ts';
import { round4 } from '../../format.ts';
import type { Evidence } from '../types.ts';
import type { AppFigures } from './app-figures.ts';
import type { PipeliningFigures } from './pipelining.ts';

/**
 * Without head-of-line blocking a pipelined fast response would be held back by the slow one only by accident (a
 * share near 0); with it, each one is (a share of 1). A Wilson 95 % CI (over batches) wholly above one half says that most are:
 * blocking is the rule, not noise. Wholly below one half, that most are not (a refutation). Across it: inconclusive.
 * The same bound stands for the pipelining check: most pipelined requests answered in turn.
 */
export const C4_SHARE_THRESHOLD = 0.5;

/** Which branch of C4's rule decided the verdict (see verdictC4). */
export type C4Outcome =
  | 'all_held' // every pipelined fast response held back, h1 × 6 and h2 not: confirmed
  | 'others_blocked' // every one held back, but h1 × 6 or h2 blocked too: depends
  | 'not_all_held' // some pipelined fast response was not held back
  | 'unanswered' // the server did not answer some pipelined requests in turn: depends
  | 'no_blocking_measured'; // the pipelining check alone, or nothing: depends

export function c4Outcome(unanswered: boolean, allHeld: boolean, othersFree: boolean): C4Outcome {
  if (unanswered) return 'unanswered';
  if (!allHeld) return 'not_all_held';
  return othersFree ? 'all_held' : 'others_blocked';
}

export interface ShareCi {
  k: number;
  n: number;
  low: number;
  high: number;
}

export function shareCi(k: number, n: number): ShareCi {
  return { k, n, ...wilson(k, n) };
}

/**
 * The Wilson CI of the share of batches whose pipelined fast responses were all held back by ≥ D − tolerance. The
 * batch is the unit: its responses all sit behind the same slow one, so they are not independent of each other
 * (27 responses in 3 batches are 3 observations, not 27).
 */
export function heldBackCi(f: AppFigures): ShareCi {
  return shareCi(f.pipelined_batches_held.ok, f.pipelined_batches_held.n);
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;

/**
 * The reason for "not every one was held back" when the share's CI does not lie below one half: neither the rule's
 * "every one" nor a refutation is shown.
 */
export function notAllHeldWords(held: ShareCi): string {
  return `not every pipelined fast response was held back (every one in ${held.k} of ${held.n} batches), but the 95 % CI of that share (${pct(held.low)}–${pct(held.high)}) does not lie below half: inconclusive at n = ${held.n} batches`;
}

/** The failures that make C4 "depends" for want of answers in turn: from the check, else from the app part. */
function unansweredCi(check: PipeliningFigures | null, refused: { failed: number; n: number } | null): ShareCi | null {
  if (check !== null && check.in_turn < check.sent) return shareCi(check.sent - check.in_turn, check.sent);
  return refused ? shareCi(refused.failed, refused.n) : null;
}

/**
 * Strong when the CI of every figure the verdict rests on excludes the alternative (all must hold). Confirmed: the
 * held-back share above one half, h1 × 6's (and h2's, when measured) median blocked time below D/4 with its CI,
 * and the check's in-turn share above one half. Others blocked: the held-back share above one half and h1 × 6's or
 * h2's median blocked time at D/4 or more with its CI. Not all held back: the held-back share below one half.
 * Unanswered pipelined requests: their share's CI excludes 0. Blocking not measured: inconclusive.
 */
export function c4Evidence(
  f: AppFigures | undefined,
  check: PipeliningFigures | null,
  refused: { failed: number; n: number } | null,
  outcome: C4Outcome,
): { evidence: Evidence; numbers: Record<string, number | null> } {
  const numbers: Record<string, number | null> = {};
  const parts: string[] = [];
  let strong = false;
  const held = f ? heldBackCi(f) : null;
  const inTurn = check ? shareCi(check.in_turn, check.sent) : null;
  if (f && held) {
    const modes = ['h1_pipelined', 'h1_6conn', ...(f.batch.has('h2_streams') ? ['h2_streams'] : [])];
    const fastN = Math.min(...modes.map((m) => f.fast_blocked.get(m)?.n ?? 0));
    const batches = f.batch.get('h1_pipelined')?.n ?? 0;
    parts.push(
      `n = ${held.n} batch${held.n === 1 ? '' : 'es'} (≥ ${fastN} fast responses a mode in ${batches} batch${batches === 1 ? '' : 'es'})`,
    );
    const quarter = f.delay_ms / 4;
    const others = modes.slice(1).map((m) => f.fast_blocked.get(m));
    numbers.pipelined_held_ci_low_ratio = round4(held.low);
    numbers.pipelined_held_ci_high_ratio = round4(held.high);
    numbers.h1_6conn_blocked_ci_high_ms = others[0]?.ci_high ?? null;
    numbers.h2_blocked_ci_high_ms = others[1]?.ci_high ?? null;
    if (outcome === 'all_held')
      strong =
        held.low > C4_SHARE_THRESHOLD &&
        others.every((q) => q?.ci_high !== null && q?.ci_high !== undefined && q.ci_high < quarter) &&
        (inTurn === null || inTurn.low > C4_SHARE_THRESHOLD);
    else if (outcome === 'others_blocked')
      strong =
        held.low > C4_SHARE_THRESHOLD &&
        others.some((q) => q?.ci_low !== null && q?.ci_low !== undefined && q.ci_low >= quarter);
    else if (outcome === 'not_all_held') strong = held.high < C4_SHARE_THRESHOLD;
  }
  if (check) {
    parts.push(`${check.sent} pipelined requests in the check`);
    numbers.check_in_turn_ci_low_ratio = round4(inTurn?.low ?? null);
  }
  if (outcome === 'unanswered') {
    // A server that fails to answer any pipelined request in turn does not support pipelining: C8's rule, a
    // failure share whose Wilson CI excludes 0.
    const failed = unansweredCi(check, refused);
    strong = failed !== null && failed.low > 0;
    numbers.unanswered_ci_low_ratio = round4(failed?.low ?? null);
    if (!check && refused) parts.push(`${refused.n} pipelined requests`);
  }
  return {
    evidence: { n: parts.join('; ') || 'n = 0 pipelined requests', strength: strong ? 'strong' : 'inconclusive' },
    numbers,
  };
}
