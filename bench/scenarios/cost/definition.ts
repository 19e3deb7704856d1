import type { ScenarioDefinition } from '../types.ts';

export const COST_COLUMNS = [
  'run_id',
  'part',
  'case_key',
  'profile',
  'congestion_control',
  'protocol',
  'connections',
  'keep_alive',
  'rate_rps',
  'port_range',
  'max_requests_per_socket',
  'keep_alive_timeout_ms',
  'nofile_limit',
  'rep',
  'metric',
  'value',
  'unit',
  'detail',
] as const;

export const costDefinition: ScenarioDefinition = {
  name: 'cost',
  title: 'The cost of connections: idle crowds, FD limits and churn',
  claims: ['C6', 'C11'],
  defaultProfiles: ['lan', 'wan'],
  // A smoke run measures the idle crowd and churn at rtt 0 on the same link (no profile of its own to set up).
  profilesBySize: { quick: ['loopback'], standard: ['lan'] },
  csvFiles: { cost: COST_COLUMNS },
  // A user's server: its process tree from /proc; the parts that configure the server are the harness's own.
  needs: { server: ['process'] },
};
