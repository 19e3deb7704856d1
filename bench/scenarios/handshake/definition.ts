import type { ScenarioDefinition } from '../types.ts';

/** handshake-micro.csv: one row per in-process tinybench task (bench/drivers/setup-cost.ts), on the zero-RTT profile. */
export const MICRO_CSV_COLUMNS = [
  'profile',
  'protocol',
  'security',
  'conn_mode',
  'state',
  'samples',
  'wall_mean_ms',
  'wall_moe_ms',
  'wall_rme_pct',
  'wall_p50_ms',
  'wall_p99_ms',
  'cpu_per_op_ms',
  'error',
] as const;

export const handshakeDefinition: ScenarioDefinition = {
  name: 'handshake',
  title: 'Handshake savings of keep-alive',
  claims: ['C1', 'C3'],
  // C3 needs the saving at several distances; loopback (rtt 0 on the same link) measures the processing
  // each case costs when round trips are free, so the summary can split network from CPU.
  defaultProfiles: ['loopback', 'lan', 'wan', 'intercontinental'],
  profilesBySize: { quick: ['loopback', 'wan'], ci: ['lan', 'wan'], standard: ['loopback', 'lan', 'wan'] },
  remoteCapable: true,
  ciPlan: true,
  csvFiles: { 'handshake-micro': MICRO_CSV_COLUMNS },
  needs: { server: ['small_route'] },
};
