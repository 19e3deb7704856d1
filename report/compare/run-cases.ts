/** What compare needs from one loaded run folder: its cases (measured requests by case key) and profile facts. */
import { UserError } from '../../lib/errors.ts';
import { medianSorted, sortAsc } from '../../lib/stats.ts';
import type { RunFolder } from '../load-run.ts';
import type { CaseRun, RunInfo } from './types.ts';
import { numberOrNull } from '../../lib/numbers.ts';

export interface ProfileFacts {
  name: string;
  key: string | null;
  rtt_ms_calibrated: number | null;
  rtt_ci_ms: { low: number; high: number } | null;
}

export interface RunCases {
  info: RunInfo;
  /** Profile names in the order the run measured them. */
  profiles: string[];
  profile_facts: Map<string, ProfileFacts>;
  cases: Map<string, CaseRun>;
}

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const numCell = numberOrNull;

/** A measured time beyond this (about 2.8 hours) is a broken file, not a measurement. */
export const MAX_PLAUSIBLE_MS = 1e7;

/** meta.profiles[] → facts by profile name; tolerant of runs that recorded less. */
export function profileFactsOf(meta: Record<string, unknown>): Map<string, ProfileFacts> {
  const out = new Map<string, ProfileFacts>();
  const list = Array.isArray(meta.profiles) ? meta.profiles : [];
  for (const p of list) {
    const o = obj(p);
    if (!o || typeof o.name !== 'string') continue;
    const cal = obj(o.calibration);
    const connect = obj(cal?.connect);
    const low = finite(connect?.ci95_low_ms);
    const high = finite(connect?.ci95_high_ms);
    out.set(o.name, {
      name: o.name,
      key: typeof o.key === 'string' ? o.key : null,
      rtt_ms_calibrated: finite(cal?.rtt_ms_calibrated),
      rtt_ci_ms: low !== null && high !== null ? { low, high } : null,
    });
  }
  return out;
}

/**
 * Groups a run's samples by case key. Warm-ups are dropped, failed requests counted; a metric cell that is
 * present but not a number is malformed input (UserError naming the file, line and column).
 */
export function runCases(run: RunFolder, metrics: readonly string[]): RunCases {
  const runId = String(run.meta.run_id);
  const facts = profileFactsOf(run.meta);
  const link = obj(run.meta.link);
  const metaBackend = typeof link?.backend === 'string' ? link.backend : '';
  const metaCc = typeof run.meta.congestion_control === 'string' ? run.meta.congestion_control : '';
  const cases = new Map<string, CaseRun>();
  const profiles: string[] = [];
  const samplesPath = `${run.dir}/samples.csv`;
  run.samples.forEach((r, i) => {
    const key = r.case_key ?? '';
    if (key === '') throw new UserError(`${samplesPath} line ${i + 2}: empty case_key`);
    for (const m of metrics) {
      const cell = r[m] ?? '';
      if (cell.trim() === '') continue;
      const v = numCell(cell);
      if (v === null) throw new UserError(`${samplesPath} line ${i + 2}: ${m} "${cell}" is not a number`);
      if (v < 0 || v > MAX_PLAUSIBLE_MS)
        throw new UserError(
          `${samplesPath} line ${i + 2}: ${m} ${cell} is not a plausible time in ms (0 to ${MAX_PLAUSIBLE_MS})`,
        );
    }
    const profile = r.profile ?? '';
    if (!profiles.includes(profile)) profiles.push(profile);
    let c = cases.get(key);
    if (!c) {
      const f = facts.get(profile);
      c = {
        run_id: runId,
        case_key: key,
        scenario: r.scenario ?? '',
        profile,
        link_backend: r.link_backend || metaBackend,
        congestion_control: r.congestion_control || metaCc,
        profile_key: f?.key ?? null,
        rtt_ms_calibrated: f?.rtt_ms_calibrated ?? numCell(r.rtt_ms_calibrated),
        rtt_ci_ms: f?.rtt_ci_ms ?? null,
        rtt_ms_in_run: null,
        rtt_in_run_n: 0,
        rows: [],
        errors: 0,
        first_error: '',
        failure_is_outcome: false,
      };
      cases.set(key, c);
    }
    if (r.failure_is_outcome === '1') c.failure_is_outcome = true;
    if (r.warmup === '1') return;
    if ((r.error ?? '') !== '') {
      if (c.errors++ === 0) c.first_error = r.error ?? '';
    } else c.rows.push(r);
  });
  // load-run.ts fills columns an older run lacks with empty cells; a metric that no successful request has a
  // value for is a column this run does not have (or a broken file), not a measurement.
  const measured = [...cases.values()].flatMap((c) => c.rows);
  for (const m of metrics) {
    if (measured.length > 0 && measured.every((r) => (r[m] ?? '').trim() === '')) {
      throw new UserError(
        `${samplesPath}: no ${m} values in any successful request (column missing or empty); compare other metrics with --metric`,
      );
    }
  }
  const connects = new Map<string, number[]>();
  for (const r of run.samples) {
    if (r.warmup === '1' || (r.error ?? '') !== '' || r.new_connection !== '1') continue;
    const v = numCell(r.connect_ms);
    if (v === null || v <= 0) continue;
    const p = r.profile ?? '';
    let list = connects.get(p);
    if (!list) connects.set(p, (list = []));
    list.push(v);
  }
  for (const c of cases.values()) {
    const list = connects.get(c.profile) ?? [];
    c.rtt_in_run_n = list.length;
    c.rtt_ms_in_run = list.length > 0 ? medianSorted(sortAsc(list)) : null;
  }
  // meta's order is the order the run measured the profiles in; samples only know the ones that got requests.
  const ordered = [...facts.keys()].filter((p) => profiles.includes(p));
  for (const p of profiles) if (!ordered.includes(p)) ordered.push(p);
  const options = obj(run.meta.options);
  const status = obj(run.meta.status);
  const m = obj(run.meta.machine);
  const machine = m
    ? [m.kernel, m.cpu_model, typeof m.cpu_count === 'number' ? `${m.cpu_count} CPUs` : null]
        .filter((x) => typeof x === 'string' && x !== '')
        .join(', ')
    : '';
  const detail = status?.error ?? status?.signal;
  return {
    info: {
      run_id: runId,
      dir: run.dir,
      link_backend: metaBackend || [...new Set([...cases.values()].map((c) => c.link_backend))].join(','),
      profiles: ordered,
      quick: options?.quick === true,
      size: typeof options?.size === 'string' ? options.size : options?.quick === true ? 'quick' : '',
      status: typeof status?.kind === 'string' ? status.kind : 'unknown',
      status_detail: typeof detail === 'string' ? detail : '',
      torn_files: Object.keys(run.torn_rows),
      machine,
    },
    profiles: ordered,
    profile_facts: facts,
    cases,
  };
}

/**
 * The numbers of one metric of a case run (empty cells skipped: not applicable). Requests sent as one batch
 * (samples.csv batch_id: hol's pages and pipelined bursts) share their connections' fate — one loss recovery
 * delays them all — so they are not independent samples: a batch counts once, as its median.
 */
export function metricValues(c: CaseRun, metric: string): number[] {
  const single: number[] = [];
  const batches = new Map<string, number[]>();
  for (const r of c.rows) {
    const v = numCell(r[metric]);
    if (v === null) continue;
    const batch = (r.batch_id ?? '').trim();
    if (batch === '') {
      single.push(v);
      continue;
    }
    let list = batches.get(batch);
    if (!list) batches.set(batch, (list = []));
    list.push(v);
  }
  return [...single, ...[...batches.values()].map((list) => medianSorted(sortAsc(list)))];
}
