import type { ScenarioDefinition } from '../types.ts';

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
  csvFiles: {},
  needs: { server: ['small_route'] },
};
