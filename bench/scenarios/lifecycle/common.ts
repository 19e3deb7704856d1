/** What the parts of the lifecycle scenario share: time scaling, the lifecycle.csv columns, client specs. */
import type { LcClientSpec, LcResult } from '../../drivers/lifecycle-clients.ts';
import type { CsvAppender } from '../../../lib/csv-file.ts';
import type { Target } from '../../drivers/target.ts';
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

export function clientSpec(client_key: string, target: Target, over: Partial<LcClientSpec> = {}): LcClientSpec {
  return {
    client_key,
    protocol: 'h1',
    target,
    max_sockets: 1,
    idle_timeout_ms: null,
    honor_keepalive_hint: false,
    tcp_keepalive: null,
    tcp_user_timeout_ms: null,
    h2_ping_interval_ms: null,
    h2_ping_timeout_ms: null,
    ...over,
  };
}

/** Uniform draw in [lo, hi] from a seeded generator (mulberry32), so runs draw the same gaps. */
export function seededUniform(seed: number): (lo: number, hi: number) => number {
  let a = seed >>> 0;
  return (lo, hi) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + u * (hi - lo);
  };
}

/** The samples.csv columns a lifecycle request fills. */
export function sampleFields(r: LcResult): {
  status: number | null;
  error: string | null;
  total_ms: number | null;
  connect_ms: number | null;
  new_connection: boolean | null;
  server_conn_id: string | null;
  body_bytes: number | null;
  started_at: string;
} {
  return {
    status: r.status,
    error: r.error,
    total_ms: r.total_ms,
    connect_ms: r.connect_ms,
    new_connection: r.reused === null ? null : !r.reused,
    server_conn_id: r.kab_headers['x-kab-conn'] ?? null,
    body_bytes: r.body_bytes,
    started_at: new Date(r.started_epoch_ms).toISOString(),
  };
}
