/**
 * Connection lifecycle (C7, C8, C9, C10, C12): connections one side thinks are alive and the other has dropped.
 * Times are scaled 1:10 (see lifecycle-common.ts); each part lives in its own file and cleans up after itself.
 */
import { startLifecycleAgent } from '../../drivers/lifecycle-agent.ts';
import { makePartContext } from './common.ts';
import { c8Units, runC8 } from './c8.ts';
import { C10_FAULTS, C10_STRATEGIES, C9_STRATEGIES, c10Reps, c9Reps, runC10, runC9 } from './faults.ts';
import { c7Reps, runC7 } from './idle.ts';
import { c12Units, runC12 } from './pools.ts';
import { runSize, type BenchOptions, type RunSize, type Scenario, type ScenarioContext } from '../types.ts';
import { LIFECYCLE_COLUMNS, lifecycleDefinition } from './definition.ts';

export const LIFECYCLE_PARTS = ['c7', 'c8', 'c9', 'c10', 'c12'] as const;
export type LifecyclePart = (typeof LIFECYCLE_PARTS)[number];

/** KAB_LIFECYCLE_PARTS=c8,c10 runs a subset (tests, debugging); default all. */
/** Parts a smoke run (--quick) leaves out: C9 and C10 wait on scaled timeouts and caps (~45 s at wan), C8's race needs many trials. */
export const SLOW_PARTS: readonly LifecyclePart[] = ['c8', 'c9', 'c10'];

export function selectedParts(
  env: string | undefined = process.env.KAB_LIFECYCLE_PARTS,
  size: RunSize = 'full',
): LifecyclePart[] {
  if (!env) return LIFECYCLE_PARTS.filter((p) => size !== 'quick' || !SLOW_PARTS.includes(p));
  const want = env.split(',').map((s) => s.trim());
  return LIFECYCLE_PARTS.filter((p) => want.includes(p));
}

export function lifecyclePlannedUnits(
  options: BenchOptions,
  parts: readonly LifecyclePart[] = selectedParts(undefined, runSize(options)),
): number {
  let n = 0;
  if (parts.includes('c7')) n += c7Reps(options);
  if (parts.includes('c8')) n += c8Units(options);
  if (parts.includes('c9')) n += c9Reps(options) * C9_STRATEGIES.length;
  if (parts.includes('c10')) n += c10Reps(options) * C10_FAULTS.length * C10_STRATEGIES.length;
  if (parts.includes('c12')) n += c12Units(options);
  return n;
}

export const lifecycleScenario: Scenario = {
  ...lifecycleDefinition,
  plannedUnits: (options) => lifecyclePlannedUnits(options),
  async run(ctx: ScenarioContext) {
    const agent = await startLifecycleAgent(ctx.link.clientNetns);
    const p = makePartContext(ctx, agent, ctx.csv('lifecycle', LIFECYCLE_COLUMNS));
    const parts = selectedParts(undefined, runSize(ctx.options));
    const left = LIFECYCLE_PARTS.filter((x) => !parts.includes(x));
    if (left.length > 0)
      ctx.progress.log(
        `[${ctx.profile.name}] lifecycle: ${left.join(', ').toUpperCase()} not in this run (${process.env.KAB_LIFECYCLE_PARTS ? 'KAB_LIFECYCLE_PARTS' : '--quick: they wait on scaled timeouts; run without --quick'})`,
      );
    try {
      // The fault parts go first and last around the long C8 race so a broken link control shows early.
      if (parts.includes('c7') && !ctx.signal.aborted) await runC7(p);
      if (parts.includes('c10') && !ctx.signal.aborted) await runC10(p);
      if (parts.includes('c9') && !ctx.signal.aborted) await runC9(p);
      if (parts.includes('c12') && !ctx.signal.aborted) await runC12(p);
      if (parts.includes('c8') && !ctx.signal.aborted) await runC8(p);
    } finally {
      await ctx.link.controls?.setBlackhole(false).catch(() => undefined);
      await ctx.link.controls?.setFlowIdleTimeout(null).catch(() => undefined);
      await agent.stop();
    }
  },
};
