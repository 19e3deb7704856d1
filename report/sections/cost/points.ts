/** The cost section's points: an idle crowd's cost per connection, and an open-loop case over its runs. */

export interface IdlePoint {
  profile: string;
  protocol: string;
  connections: number;
  rss_per_conn_bytes: number | null;
  heap_per_conn_bytes: number | null;
  fds_per_conn: number | null;
  tcp_mem_per_conn_bytes: number | null;
  server_rss_bytes: number | null;
  active_p50_ms: number | null;
  active_p99_ms: number | null;
  eventloop_delay_p99_ms: number | null;
  crowd_open: number | null;
}

/**
 * The figures of one open-loop run (churn, ports, limits) as read from cost.csv; cpu_per_req_us is derived per run
 * as client + server CPU per request (so its median is the median of the sums, not the sum of the medians).
 */
export const LOAD_METRICS = [
  'throughput_rps',
  'error_pct',
  'latency_p50_ms',
  'latency_p99_ms',
  'client_cpu_per_req_us',
  'server_cpu_per_req_us',
  'cpu_per_req_us',
  'server_conns_per_req',
  'client_time_wait_delta',
  'server_time_wait_delta',
] as const;
export type LoadMetric = (typeof LOAD_METRICS)[number];
export type LoadFigures = Record<LoadMetric, number | null>;

/** One run of a case: its `rep` ('' in runs written before cases were repeated) and its figures. */
export interface LoadRun extends LoadFigures {
  rep: string;
}

/** Median, min and max of one metric over the runs of a case that have a value; n = how many those are. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** One case over its runs. The metric fields hold the median over runs; `spread` the median, min, max and n. */
export interface LoadPoint extends LoadFigures {
  part: string;
  profile: string;
  keep_alive: boolean;
  rate_rps: number;
  max_requests_per_socket: string;
  keep_alive_timeout_ms: string;
  /** Runs of the case in cost.csv, failed ones (no figures) included. */
  n: number;
  runs: LoadRun[];
  spread: Record<LoadMetric, Spread | null>;
}
