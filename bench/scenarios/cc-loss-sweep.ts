/**
 * The sweep hol's page loads and the browser scenario share: each congestion control the host allows (set on the
 * server side, the sender of the pages) × each loss rate the link can apply. The link and the server side's
 * congestion control are put back on every way out.
 */
import { hostAllowedCongestionControls } from '../../netem/topology.ts';
import type { ScenarioContext } from './types.ts';

export const CC_SYSCTL = 'net.ipv4.tcp_congestion_control';
/** Congestion controls worth comparing; those the host does not allow are recorded as skipped. */
export const CC_CANDIDATES = ['bbr', 'cubic', 'reno'] as const;

/** The host's net.ipv4.tcp_allowed_congestion_control (empty where unreadable). */
export function allowedCcs(): string[] {
  try {
    return hostAllowedCongestionControls();
  } catch {
    return [];
  }
}

/**
 * The planned congestion controls this run can set: those the host allows, where the link has namespaces to set
 * them in (else, and when none is allowed, only the one in force). `skip` hears of each one left out, and why.
 */
export function ccsToRun(
  ctx: Pick<ScenarioContext, 'link' | 'congestion_control'>,
  planned: readonly string[] | null,
  skip: (cc: string, reason: string) => void,
  allowed: readonly string[] = allowedCcs(),
): string[] {
  if (planned === null || ctx.link.tuning === null) return [ctx.congestion_control];
  for (const c of planned.filter((x) => !allowed.includes(x)))
    skip(
      c,
      `${c} is not in the host's net.ipv4.tcp_allowed_congestion_control (${allowed.join(' ')}); run with --allow-host-cc ${c} to add it for the run`,
    );
  const ccs = planned.filter((c) => allowed.includes(c));
  return ccs.length ? ccs : [ctx.congestion_control];
}

export interface SweepPoint {
  cc: string;
  loss_pct: number;
  cc_index: number;
  loss_index: number;
}

/**
 * Calls `body` under each congestion control × loss rate, in order, until the run is aborted. The congestion
 * control is set whenever it differs from the one in force (not from the one before the sweep: on a host whose
 * default is in the list, that one must be set back when its turn comes).
 */
export async function sweepCcAndLoss(
  ctx: Pick<ScenarioContext, 'link' | 'signal'>,
  ccs: readonly string[],
  losses: readonly number[],
  body: (p: SweepPoint) => Promise<void>,
): Promise<void> {
  const tuning = ctx.link.tuning;
  const base = ctx.link.params();
  const before = tuning !== null ? ((await tuning.readSysctls('server'))[CC_SYSCTL] ?? null) : null;
  let current = before;
  try {
    for (const [cc_index, cc] of ccs.entries()) {
      if (tuning !== null && cc !== current) {
        await tuning.setSysctls('server', { [CC_SYSCTL]: cc });
        current = cc;
      }
      for (const [loss_index, loss_pct] of losses.entries()) {
        if (ctx.signal.aborted) return;
        await ctx.link.configure({ ...base, loss_pct });
        await body({ cc, loss_pct, cc_index, loss_index });
      }
    }
  } finally {
    await ctx.link.configure(base);
    if (tuning !== null && before !== null && current !== before)
      await tuning.setSysctls('server', { [CC_SYSCTL]: before });
  }
}
