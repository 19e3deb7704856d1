/** What the parts of the lifecycle scenario share: time scaling, the lifecycle.csv columns. */
import type { CsvAppender } from '../../../lib/csv-file.ts';
import type { LifecycleAgent } from '../../drivers/lifecycle-agent.ts';
import type { ScenarioContext } from '../types.ts';
import { LIFECYCLE_COLUMNS } from './definition.ts';

/** Times in this scenario are scaled down: 1 s here stands for SCALE s in production. */
export const TIME_SCALE = 10;

/** Real-world value a scaled time stands for, in words ("6 s ≙ 60 s"). */
export function standsFor(scaled_ms: number): string {
  return `${scaled_ms / 1000} s ≙ ${(scaled_ms * TIME_SCALE) / 1000} s`;
}

export type LifecycleColumn = (typeof LIFECYCLE_COLUMNS)[number];
export type LifecycleRow = Record<LifecycleColumn, string | number | boolean | null>;

export interface PartContext {
  ctx: ScenarioContext;
  agent: LifecycleAgent;
  out: CsvAppender<LifecycleColumn>;
  /** Fills the run/profile/cc columns and nulls, then appends. */
  row(r: Partial<LifecycleRow> & Pick<LifecycleRow, 'part' | 'case_key' | 'outcome'>): void;
}

export function makePartContext(
  ctx: ScenarioContext,
  agent: LifecycleAgent,
  out: CsvAppender<LifecycleColumn>,
): PartContext {
  return {
    ctx,
    agent,
    out,
    row(r) {
      const base = Object.fromEntries(LIFECYCLE_COLUMNS.map((c) => [c, null])) as LifecycleRow;
      out.append({
        ...base,
        ...r,
        run_id: ctx.runId,
        profile: ctx.profile.name,
        congestion_control: ctx.congestion_control,
        time_scale: TIME_SCALE,
      });
    },
  };
}
