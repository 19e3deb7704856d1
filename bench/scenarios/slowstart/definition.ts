import type { ScenarioDefinition } from '../types.ts';

export const TCPINFO_COLUMNS = [
  'run_id',
  'profile',
  'trace_id',
  'cc',
  'state',
  'ssai',
  'idle_ms',
  'iw',
  'size_bytes',
  'total_ms',
  'error',
  't_ms',
  'source',
  'cc_kernel',
  'cwnd_segments',
  'ssthresh_segments',
  'rtt_ms',
  'rttvar_ms',
  'rto_ms',
  'mss_bytes',
  'bytes_acked',
  'unacked_segments',
  'retrans_total',
  'delivery_rate_mbit',
  'pacing_rate_mbit',
  'snd_wnd_bytes',
] as const;

export const SKIP_COLUMNS = ['run_id', 'profile', 'what', 'value', 'reason'] as const;

export const slowstartDefinition: ScenarioDefinition = {
  name: 'slowstart',
  title: 'Slow start on cold, warm and idle connections',
  claims: ['C2'],
  // wan is the done-when profile; intercontinental shows the same rounds at 3× the cost. Rate-limited
  // variants: `--profile wan --rate 100mbit`.
  defaultProfiles: ['wan', 'intercontinental'],
  profilesBySize: { quick: ['wan'], standard: ['wan'] },
  csvFiles: { tcpinfo: TCPINFO_COLUMNS, 'slowstart-skipped': SKIP_COLUMNS },
  needs: { link: ['real_packets', 'namespaces', 'tuning'], server: ['sized_route'] },
};
