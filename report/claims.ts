/**
 * The claims of DESIGN.md (C1–C12). Which scenario measures a claim is the scenario definition's to say
 * (bench/scenarios/definitions.ts): the map exists there only.
 */
import { scenarioOfClaim } from '../bench/scenarios/definitions.ts';

export interface Claim {
  id: string;
  /** The claim as the source notes make it, in one line. */
  text: string;
}

export const CLAIMS: readonly Claim[] = [
  { id: 'C1', text: 'keep-alive removes the TCP 3-way handshake (1 RTT) from every request after the first' },
  { id: 'C2', text: "keep-alive also skips slow start's first rounds" },
  { id: 'C3', text: 'the saving grows with RTT (WAN matters most)' },
  { id: 'C4', text: 'HTTP/1.1 pipelining needs keep-alive but suffers head-of-line blocking, so it is rarely used' },
  { id: 'C5', text: 'HTTP/2 multiplexes streams on one connection and beats HTTP/1.1 keep-alive' },
  { id: 'C6', text: 'many idle keep-alive connections cost FDs, socket buffers and memory' },
  { id: 'C7', text: 'servers close idle connections sooner than TCP keepalive (2 h) ever probes' },
  { id: 'C8', text: "set the server idle timeout a little below the load balancer's (LB 60 s → server 55 s)" },
  { id: 'C9', text: 'NAT/firewalls drop idle flows after 30–120 s; TCP keepalive or app pings keep them' },
  { id: 'C10', text: 'a crashed server is only noticed on the next send (RST, timeout, EPIPE)' },
  { id: 'C11', text: 'turn keep-alive off for very short, high-churn traffic (IoT)' },
  { id: 'C12', text: 'connection pools reuse the sockets that keep-alive keeps open' },
];

/** The scenario that measures the claim; undefined for a claim no scenario of this version measures. */
export function scenarioFor(claim: Claim): string | undefined {
  return scenarioOfClaim(claim.id)?.name;
}

/** The command that would measure the claim (each scenario picks its own default profiles). */
export function benchCommand(claim: Claim): string {
  const scenario = scenarioFor(claim);
  return scenario === undefined ? 'npm run bench' : `npm run bench -- --scenario ${scenario}`;
}

export function claimById(id: string): Claim | undefined {
  return CLAIMS.find((c) => c.id === id);
}
