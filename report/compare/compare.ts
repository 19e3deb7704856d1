/** Compares base run(s) with head run(s): join, comparability, one test per case × metric. Pure over loaded runs. */
import { UserError } from '../../bench/lib/errors.ts';
import type { RunFolder } from '../load-run.ts';
import { incomparabilities } from './comparability.ts';
import { joinCases } from './join.ts';
import { runCases } from './run-cases.ts';
import { assignVerdicts, compareCaseMetric, minReachableP } from './test.ts';
import type { CompareOptions, CompareResult, MetricComparison, NotComparableCase, ReplicationUnit } from './types.ts';

export function replicationUnit(baseRuns: number, headRuns: number): ReplicationUnit {
  return baseRuns === 1 && headRuns === 1 ? 'request' : 'run';
}

export function compareRuns(base: readonly RunFolder[], head: readonly RunFolder[], options: CompareOptions): CompareResult {
  if (base.length === 0 || head.length === 0) throw new UserError('give at least one base and one head run folder');
  const seen = new Map<string, string>();
  for (const r of [...base, ...head]) {
    const id = String(r.meta.run_id);
    const before = seen.get(id);
    if (before !== undefined) throw new UserError(`run ${id} is given twice (${before} and ${r.dir}); each run may appear once`);
    seen.set(id, r.dir);
  }
  const baseCases = base.map((r) => runCases(r, options.metrics));
  const headCases = head.map((r) => runCases(r, options.metrics));
  const unit = replicationUnit(base.length, head.length);
  const { cases, profile_pairs } = joinCases(baseCases, headCases);

  const rows: MetricComparison[] = [];
  const not_comparable: NotComparableCase[] = [];
  const forced: NotComparableCase[] = [];
  for (const c of cases) {
    const reasons = incomparabilities(c, { threshold_pct: options.threshold_pct, alpha: options.alpha, unit });
    const blocking = options.force_comparable ? reasons.filter((r) => !r.forceable) : reasons;
    if (blocking.length > 0) not_comparable.push({ key: c.key, reasons: blocking });
    else if (reasons.length > 0) forced.push({ key: c.key, reasons });
    const why = blocking.length > 0 ? blocking.map((r) => r.detail).join('; ') : null;
    for (const metric of options.metrics) {
      rows.push(compareCaseMetric(c, metric, unit, why));
    }
  }
  assignVerdicts(rows, options);
  return {
    options,
    unit,
    base_runs: baseCases.map((r) => r.info),
    head_runs: headCases.map((r) => r.info),
    profile_pairs,
    rows,
    not_comparable,
    forced,
    min_p_reachable: unit === 'run' ? minReachableP(base.length, head.length) : null,
  };
}

/** 1 when at least one significant regression exceeds the threshold, else 0. */
export function exitCodeOf(result: CompareResult): 0 | 1 {
  return result.rows.some((r) => r.verdict === 'regressed') ? 1 : 0;
}
