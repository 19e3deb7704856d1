import type { ScenarioDefinition } from '../types.ts';

export const POLICY_COLUMNS = [
  'run_id',
  'profile',
  'rtt_ms_calibrated',
  'part',
  'protocol',
  'tls',
  'trial',
  'status',
  'keep_alive_header',
  'connection_header',
  'idle_close_ms',
  'requests',
  'cap',
  'outcome',
  'error',
  'x_ms',
  'y_ms',
  'idle_ms',
  'gap_ms',
  'upstream_reused',
] as const;

export const policyDefinition: ScenarioDefinition = {
  name: 'policy',
  title:
    "The server's keep-alive policy: idle timeout, Keep-Alive header, Connection: close, requests per connection, and behind a load balancer",
  claims: ['C7', 'C8'],
  // The server's behaviour, not the link's: it runs against --target too.
  remoteCapable: true,
  // What the server does, not what the link does: the shortest RTT keeps the requests-per-connection count cheap.
  defaultProfiles: ['lan'],
  csvFiles: { policy: POLICY_COLUMNS },
  needs: { server: ['small_route'] },
};
