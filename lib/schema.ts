/**
 * The columns of samples.csv: one row per request, tags first, then measurements. Stable across runs: compare
 * and the report join on them. Empty cell = not applicable or not measured (never NaN).
 */
export const SAMPLE_COLUMNS = {
  run_id: 'id of the run that measured the row',
  scenario: 'scenario name (handshake, …)',
  case_key: 'stable key of the case: scenario + parameters + profile; compare joins on it',
  profile: 'link profile name',
  link_backend: 'link that carried the request: tun, tc, proxy or none',
  link_caveat: 'limits of that link (e.g. proxy: no slow start); empty for real packet links',
  rtt_ms_configured: 'round-trip time the link was configured to add, ms',
  rtt_ms_calibrated: 'median request round trip measured on this link before the scenario ran, ms',
  loss_pct_configured: 'per-direction packet loss configured, %',
  rate_mbit_configured: 'bottleneck rate configured, Mbit/s (empty = unlimited)',
  congestion_control: 'TCP congestion control of the server side',
  protocol: 'h1 (HTTP/1.1) or h2 (HTTP/2)',
  security: 'none, tls12 or tls13',
  conn_mode:
    'new (client opens and closes a connection per request), server_close (server answers Connection: close), resumed (new connection resuming a TLS session), reused (kept-alive connection)',
  size_bytes: 'response body size requested, bytes',
  variant: 'further case parameters of the scenario, k=v;k=v (also part of case_key); empty for none',
  idle_ms: 'idle time on the connection before this request, ms (slow start after idle, lifecycle)',
  initcwnd_segments: 'initial congestion window on the server route, segments (empty = kernel default)',
  slow_start_after_idle: 'net.ipv4.tcp_slow_start_after_idle in the server namespace (0/1; empty = not set)',
  server_delay_ms: 'delay the server waited before answering (delay_ms), ms',
  batch_id: 'id of the batch (page) the request belonged to (head-of-line scenarios)',
  batch_pos: 'position of the request in its batch (1-based, in send order)',
  batch_size: 'requests in the batch',
  connections: 'connections the batch was spread over',
  pipeline_depth: 'HTTP/1.1 requests in flight on one connection (1 = no pipelining)',
  blocked_ms: 'time the response waited behind others after the server had it ready, ms',
  rep: 'repetition number within the case (1-based)',
  warmup: '1 when the row warmed the case up and is excluded from summaries (kept, never dropped)',
  conn_id: 'client-side connection id (c1, c2, …)',
  conn_seq: 'position of the request on its connection (1 = first)',
  new_connection: '1 when this request opened its connection',
  connect_ms: 'TCP handshake time, ms (0 on a reused connection)',
  tls_ms: 'TLS handshake time after TCP connect, ms (0 when none or reused)',
  ttfb_ms: 'time from start (connect, or write on a reused connection) to the first response byte, ms',
  total_ms: 'time from start to the last response byte, ms',
  status: 'HTTP status',
  body_bytes: 'response body bytes received',
  tls_version: 'negotiated TLS version',
  alpn: 'negotiated ALPN protocol',
  tls_resumed: '1 when the TLS session was resumed',
  server_conn_id: 'connection id the server reported (x-kab-conn)',
  server_conn_seq: 'request number on that connection as the server counted it',
  error: 'why the request failed (timeout, ECONNRESET, HTTP 502, …); empty on success',
  failure_is_outcome:
    "1 when a failure of this request is what its case measures (502s behind the LB, a NAT drop, a crash, the FD limit), not a fault of the run; compare's failure gate leaves such cases out",
  started_at: 'wall-clock time the request started (ISO 8601)',
} as const;

export type SampleColumn = keyof typeof SAMPLE_COLUMNS;
export type SampleRow = Record<SampleColumn, string | number | boolean | null>;

/** The sample columns summary.csv summarises, one row each per case. */
export const SUMMARY_METRICS = ['total_ms', 'ttfb_ms', 'connect_ms', 'tls_ms'] as const;
export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

export const SUMMARY_COLUMNS = {
  run_id: 'id of the run',
  scenario: 'scenario name',
  case_key: 'stable key of the case',
  profile: 'link profile name',
  link_backend: 'link backend',
  link_caveat: 'limits of that link',
  rtt_ms_configured: 'configured RTT, ms',
  rtt_ms_calibrated: 'calibrated RTT, ms',
  rtt_off: '1 when the calibrated RTT is more than 5 % (or 0.5 ms) off the configured one',
  congestion_control: 'TCP congestion control',
  protocol: 'h1 or h2',
  security: 'none, tls12 or tls13',
  conn_mode: 'new, server_close, resumed or reused',
  size_bytes: 'response size, bytes',
  variant: 'further case parameters of the scenario (k=v;k=v)',
  metric: 'which measurement the row summarises (total_ms, ttfb_ms, connect_ms, tls_ms)',
  n: 'successful samples summarised (warm-ups excluded)',
  errors: 'failed requests in the case',
  median: 'median, ms',
  ci95_low: 'lower end of the 95 % confidence interval of the median (order statistics), ms',
  ci95_high: 'upper end of that interval, ms',
  p90: '90th percentile, ms',
  p99: '99th percentile, ms',
  mean: 'mean, ms',
  stddev: 'sample standard deviation, ms',
  min: 'minimum, ms',
  max: 'maximum, ms',
  outliers: 'samples beyond the Tukey fences (1.5 × IQR), flagged, not removed',
  ci_precise: '1 when the CI is narrower than 2 % of the median or 0.5 ms',
  model_ms: 'what the analytic model predicts for the metric, ms (empty where it has no prediction)',
  measured_over_model: 'median / model_ms',
  cpu_baseline_ms:
    'what the same case costs beyond the model at zero RTT (measured on the rtt-0 profile of the same run, same link): client and server CPU, crypto, scheduling; ms',
  model_plus_cpu_ms: 'model_ms + cpu_baseline_ms: round trips from the model, processing from the zero-RTT measurement',
  measured_over_model_plus_cpu: 'median / model_plus_cpu_ms',
  rtts_measured: 'median / calibrated RTT',
} as const;

export type SummaryColumn = keyof typeof SUMMARY_COLUMNS;
export type SummaryRow = Record<SummaryColumn, string | number | null>;
