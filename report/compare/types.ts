/** Types shared by the modules of `npm run compare` (base = the reference run(s), head = the new one(s)). */

export type Side = 'base' | 'head';

export interface CompareOptions {
  /** A change must exceed ±threshold_pct of the base median to count (the whole 95 % CI beyond it). */
  threshold_pct: number;
  /** Significance level of each Mann–Whitney test. */
  alpha: number;
  /** Sample columns compared, e.g. ttfb_ms, total_ms. */
  metrics: string[];
  /** Compare even when links/profiles/calibration/congestion control differ (cases in one run only still can't be). */
  force_comparable: boolean;
  /** Not-comparable cases are listed but do not fail the gate (a case the head lost still does). */
  allow_not_comparable: boolean;
  /** A compare whose samples cannot catch twice the threshold passes instead of exiting 2. */
  allow_underpowered: boolean;
  /** How much more often (percentage points of its requests) a case may fail in head than in base. */
  failure_tolerance_pct: number;
}

/** The unit of replication: requests of one run per side, or one median per run when runs were repeated. */
export type ReplicationUnit = 'request' | 'run';

/** What one run measured for one case: its successful, non-warm-up requests and their tags. */
export interface CaseRun {
  run_id: string;
  case_key: string;
  scenario: string;
  profile: string;
  link_backend: string;
  congestion_control: string;
  /** Parameters key of the profile (meta.profiles[].key); null when the run did not record it. */
  profile_key: string | null;
  rtt_ms_calibrated: number | null;
  /** 95 % CI of the calibrated RTT (median TCP connect), when recorded. */
  rtt_ci_ms: { low: number; high: number } | null;
  /** The link as the run saw it while measuring: median TCP connect of its new connections on this profile. */
  rtt_ms_in_run: number | null;
  /** How many connects that median is from. */
  rtt_in_run_n: number;
  /** Successful measured requests (warm-ups and failures excluded). */
  rows: Record<string, string>[];
  /** Measured requests that failed. */
  errors: number;
  /** The first failed request's error, e.g. "timeout" (empty when none failed). */
  first_error: string;
  /** The case measures failures on purpose (samples.csv failure_is_outcome): its errors are results, not faults. */
  failure_is_outcome: boolean;
}

export interface JoinedCase {
  /** The join key: base's case key (head's profile renamed to base's when profiles were paired). */
  key: string;
  scenario: string;
  base_case_key: string | null;
  head_case_key: string | null;
  /** One entry per run of that side that has the case. */
  base: CaseRun[];
  head: CaseRun[];
}

export interface ProfilePair {
  base: string;
  head: string;
  /** How they were paired: same name, same parameters, or the only ones left on each side. */
  by: 'name' | 'parameters' | 'only-remaining';
}

export type IncomparabilityRule =
  | 'only_in_base'
  | 'only_in_head'
  | 'link_backend'
  | 'profile_params'
  | 'calibrated_rtt'
  | 'in_run_rtt'
  | 'congestion_control';

export interface Incomparability {
  rule: IncomparabilityRule;
  /** One line saying what differs, e.g. "link backend: base tun, head none". */
  detail: string;
  /** --force-comparable overrides it (a case in one run only can never be compared). */
  forceable: boolean;
}

export type Verdict = 'regressed' | 'improved' | 'no_change' | 'not_comparable';

/** The statistics of one case × metric (null figures where they do not exist). */
export interface MetricComparison {
  key: string;
  scenario: string;
  metric: string;
  unit: ReplicationUnit;
  /** Samples (unit request) or runs (unit run) on each side. */
  n_base: number;
  n_head: number;
  errors_base: number;
  errors_head: number;
  base_median: number | null;
  head_median: number | null;
  /** Interval drawn around each median: 95 % CI of the median (request) or range of run medians (run). */
  base_low: number | null;
  base_high: number | null;
  head_low: number | null;
  head_high: number | null;
  /** Hodges–Lehmann shift head − base, ms, and its 95 % CI. */
  shift_ms: number | null;
  shift_low_ms: number | null;
  shift_high_ms: number | null;
  /** The shift and its CI relative to the base median, %. */
  change_pct: number | null;
  change_low_pct: number | null;
  change_high_pct: number | null;
  p_value: number | null;
  /** Benjamini–Hochberg q over every test of the compare: the p that decides significance. */
  p_adjusted: number | null;
  test_method: 'exact' | 'normal' | null;
  /**
   * Smallest change (% of the base median) this test catches with ≥ 90 % probability with the samples at hand,
   * for a change in this case alone; null when the row was not tested or no change can be caught.
   */
  detectable_change_pct: number | null;
  /**
   * One run per side: how much slower (+) the head's link was than the base's while they measured (in-run
   * connect times), %; the head's samples were divided by (1 + this/100) before the test. null: no correction.
   */
  link_drift_pct: number | null;
  verdict: Verdict;
  /** The branch of the rule that gave the verdict. */
  reason: VerdictReason;
  /** Why the verdict, one short phrase. */
  why: string;
}

export type VerdictReason =
  | 'beyond_threshold'
  | 'not_significant'
  | 'within_threshold'
  | 'ci_reaches_threshold'
  | 'too_few_samples'
  | 'incomparable'
  /** The head has no samples of a metric the base has: blocking. */
  | 'no_samples'
  /** The base has none: nothing was there to compare or lose (listed, not blocking). */
  | 'not_measured';

export interface RunInfo {
  run_id: string;
  dir: string;
  link_backend: string;
  profiles: string[];
  quick: boolean;
  /** The run size (quick, ci, standard, full) as meta.json records it; '' for runs before sizes. */
  size: string;
  /** meta.status.kind: completed, running (killed, or still going), errored, aborted; 'unknown' when absent. */
  status: string;
  /** The error or signal that ended a run that did not complete. */
  status_detail: string;
  /** Files whose torn last row was dropped on reading (the run was cut mid-write). */
  torn_files: string[];
  /** Where it ran: kernel, CPU model and count (from meta.machine), '' when not recorded. */
  machine: string;
}

/** Requests and failures of one joined case, per side (the failure gate's figures). */
export interface CaseFailures {
  key: string;
  scenario: string;
  in_base: boolean;
  in_head: boolean;
  requests_base: number;
  errors_base: number;
  requests_head: number;
  errors_head: number;
  /** The head's first error message, for the figure ("" when none). */
  first_error_head: string;
  failure_is_outcome: boolean;
}

export interface LostCase {
  key: string;
  missing_from: string[];
}

export type GateRule =
  | 'run_status'
  | 'lost_cases'
  | 'failures'
  | 'regression'
  | 'not_comparable'
  | 'nothing_compared'
  | 'underpowered'
  | 'link_drift';

/** One reason the gate gave, with the figure behind it. */
export interface GateFinding {
  rule: GateRule;
  /** Counts toward the exit code (false: listed, but allowed by a flag). */
  blocking: boolean;
  /** What it concerns: a case key, a run id, or a summary like "20 cases". */
  subject: string;
  /** The figure behind it, in words. */
  figure: string;
}

export interface PowerSummary {
  /** Tested case × metric rows. */
  tested: number;
  /** Of those, rows that cannot catch twice the threshold. */
  weak: number;
  /** Median samples per side per row. */
  median_n: number;
  /** Median smallest detectable change over the tested rows, %; null when most cannot catch any. */
  median_detectable_pct: number | null;
  /** Twice the threshold: the change every gate must be able to catch. */
  required_pct: number;
  /** Rows whose sample counts cannot reach significance at any shift (the rank test's smallest p ≥ α), by key. */
  untestable: string[];
  /** Most rows weak, or any row untestable: a gate that cannot flag a comparison cannot pass it. */
  underpowered: boolean;
  /** What to do about it, one line. */
  advice: string;
}

export interface Gate {
  /** pass: exit 0; fail: exit 1 (a blocking finding); underpowered: exit 2 (no blocking finding, but no power). */
  verdict: 'pass' | 'fail' | 'underpowered';
  exit_code: 0 | 1 | 2;
  findings: GateFinding[];
  power: PowerSummary;
}

export interface NotComparableCase {
  key: string;
  reasons: Incomparability[];
}

export interface CompareResult {
  options: CompareOptions;
  unit: ReplicationUnit;
  base_runs: RunInfo[];
  head_runs: RunInfo[];
  profile_pairs: ProfilePair[];
  /** One per compared case × metric, in join order (not-comparable cases included, verdict not_comparable). */
  rows: MetricComparison[];
  not_comparable: NotComparableCase[];
  /** Cases compared only because of --force-comparable, with what was overridden. */
  forced: NotComparableCase[];
  /** Unit run: smallest two-sided p-value the rank test can give with these run counts (null for unit request). */
  min_p_reachable: number | null;
  /** Requests and failures per joined case. */
  case_failures: CaseFailures[];
  /** Cases a base run has that some head run lacks, with those head runs' ids. */
  lost_cases: LostCase[];
  gate: Gate;
}
