/** Compares base run(s) with head run(s): join, comparability, one test per case × metric. Pure over loaded runs. */
import { UserError } from '../../lib/errors.ts';
import type { RunFolder } from '../load-run.ts';
import { incomparabilities, linkDrift } from './comparability.ts';
import { joinCases } from './join.ts';
import { runCases } from './run-cases.ts';
import { gateOf } from './gate.ts';
import { minDetectableChangePct, seedOf } from './power.ts';
import { assignVerdicts, compareCaseMetric, minReachableP, sideValues } from './test.ts';
import type {
  CaseFailures,
  CaseRun,
  CompareOptions,
  CompareResult,
  JoinedCase,
  MetricComparison,
  NotComparableCase,
  ReplicationUnit,
} from './types.ts';

export function replicationUnit(baseRuns: number, headRuns: number): ReplicationUnit {
  return baseRuns === 1 && headRuns === 1 ? 'request' : 'run';
}

export function compareRuns(
  base: readonly RunFolder[],
  head: readonly RunFolder[],
  options: CompareOptions,
): CompareResult {
  if (base.length === 0 || head.length === 0) throw new UserError('give at least one base and one head run folder');
  const seen = new Map<string, string>();
  for (const r of [...base, ...head]) {
    const id = String(r.meta.run_id);
    const before = seen.get(id);
    if (before !== undefined)
      throw new UserError(`run ${id} is given twice (${before} and ${r.dir}); each run may appear once`);
    seen.set(id, r.dir);
  }
  const baseCases = base.map((r) => runCases(r, options.metrics));
  if (baseCases.every((r) => r.cases.size === 0)) {
    throw new UserError(
      `the base run${base.length === 1 ? '' : 's'} ${base.map((r) => r.dir).join(', ')} ha${base.length === 1 ? 's' : 've'} no samples (samples.csv missing or empty): nothing to compare against`,
    );
  }
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
    // --force-comparable asks for the raw samples: a link made different on purpose is not drift.
    const drift = unit === 'request' && !options.force_comparable ? linkDrift(c.base, c.head) : null;
    for (const metric of options.metrics) {
      rows.push(compareCaseMetric(c, metric, unit, why, drift));
    }
  }
  assignVerdicts(rows, options);
  assignPower(rows, cases, unit, options);
  const case_failures = cases.map(caseFailures);
  const headIds = headCases.map((r) => r.info.run_id);
  const lost_cases = cases
    .filter((c) => c.base.length > 0)
    .map((c) => ({ key: c.key, missing_from: headIds.filter((id) => !c.head.some((r) => r.run_id === id)) }))
    .filter((l) => l.missing_from.length > 0);
  const base_runs = baseCases.map((r) => r.info);
  const head_runs = headCases.map((r) => r.info);
  return {
    options,
    unit,
    base_runs,
    head_runs,
    profile_pairs,
    rows,
    not_comparable,
    forced,
    min_p_reachable: unit === 'run' ? minReachableP(base.length, head.length) : null,
    case_failures,
    lost_cases,
    gate: gateOf({ options, base_runs, head_runs, rows, not_comparable, case_failures, lost_cases }),
  };
}

/**
 * Each tested row's smallest detectable change, at the level a change confined to that one case needs after
 * the Benjamini–Hochberg correction over every test (α / tests), from the base's own spread.
 */
function assignPower(
  rows: MetricComparison[],
  cases: readonly JoinedCase[],
  unit: ReplicationUnit,
  o: CompareOptions,
): void {
  const byKey = new Map(cases.map((c) => [c.key, c]));
  const tested = rows.filter((r) => r.p_value !== null);
  for (const r of tested) {
    const c = byKey.get(r.key);
    if (!c) continue;
    r.detectable_change_pct = minDetectableChangePct(sideValues(c.base, r.metric, unit), r.n_head, {
      threshold_pct: o.threshold_pct,
      test_alpha: o.alpha / tested.length,
      seed: seedOf(`${r.key} ${r.metric}`),
    });
  }
}

function caseFailures(c: JoinedCase): CaseFailures {
  const sum = (runs: readonly CaseRun[], f: (r: CaseRun) => number): number => runs.reduce((a, r) => a + f(r), 0);
  return {
    key: c.key,
    scenario: c.scenario,
    in_base: c.base.length > 0,
    in_head: c.head.length > 0,
    requests_base: sum(c.base, (r) => r.rows.length + r.errors),
    errors_base: sum(c.base, (r) => r.errors),
    requests_head: sum(c.head, (r) => r.rows.length + r.errors),
    errors_head: sum(c.head, (r) => r.errors),
    first_error_head: c.head.find((r) => r.first_error !== '')?.first_error ?? '',
    // The base defines what the case measures: a head cannot exempt itself from the failure rule.
    failure_is_outcome: c.base.length > 0 && c.base.every((r) => r.failure_is_outcome),
  };
}

/** The gate's exit code: 1 a blocking finding (regression, failures, lost cases, a run that did not complete, not comparable), 2 underpowered, else 0. */
export function exitCodeOf(result: CompareResult): 0 | 1 | 2 {
  return result.gate.exit_code;
}
