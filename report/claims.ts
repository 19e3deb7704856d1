/**
 * The claims of DESIGN.md (C1–C12), the scenario planned to measure each and the command that would run it.
 */
export interface Claim {
  id: string;
  /** The claim as the source notes make it, in one line. */
  text: string;
  scenario: string;
  /** Arguments after `npm run bench --` (each scenario picks its own default profiles). */
  benchArgs: string[];
}

export const CLAIMS: readonly Claim[] = [
  { id: 'C1', text: 'keep-alive removes the TCP 3-way handshake (1 RTT) from every request after the first', scenario: 'handshake', benchArgs: ['--scenario', 'handshake'] },
  { id: 'C2', text: "keep-alive also skips slow start's first rounds", scenario: 'slowstart', benchArgs: ['--scenario', 'slowstart'] },
  { id: 'C3', text: 'the saving grows with RTT (WAN matters most)', scenario: 'handshake', benchArgs: ['--scenario', 'handshake'] },
  { id: 'C4', text: 'HTTP/1.1 pipelining needs keep-alive but suffers head-of-line blocking, so it is rarely used', scenario: 'hol', benchArgs: ['--scenario', 'hol'] },
  { id: 'C5', text: 'HTTP/2 multiplexes streams on one connection and beats HTTP/1.1 keep-alive', scenario: 'hol', benchArgs: ['--scenario', 'hol'] },
  { id: 'C6', text: 'many idle keep-alive connections cost FDs, socket buffers and memory', scenario: 'cost', benchArgs: ['--scenario', 'cost'] },
  { id: 'C7', text: 'servers close idle connections sooner than TCP keepalive (2 h) ever probes', scenario: 'lifecycle', benchArgs: ['--scenario', 'lifecycle'] },
  { id: 'C8', text: "set the server idle timeout a little below the load balancer's (LB 60 s → server 55 s)", scenario: 'lifecycle', benchArgs: ['--scenario', 'lifecycle'] },
  { id: 'C9', text: 'NAT/firewalls drop idle flows after 30–120 s; TCP keepalive or app pings keep them', scenario: 'lifecycle', benchArgs: ['--scenario', 'lifecycle'] },
  { id: 'C10', text: 'a crashed server is only noticed on the next send (RST, timeout, EPIPE)', scenario: 'lifecycle', benchArgs: ['--scenario', 'lifecycle'] },
  { id: 'C11', text: 'turn keep-alive off for very short, high-churn traffic (IoT)', scenario: 'cost', benchArgs: ['--scenario', 'cost'] },
  { id: 'C12', text: 'connection pools reuse the sockets that keep-alive keeps open', scenario: 'lifecycle', benchArgs: ['--scenario', 'lifecycle'] },
];

export function benchCommand(claim: Claim): string {
  return ['npm run bench --', ...claim.benchArgs].join(' ');
}

export function claimById(id: string): Claim | undefined {
  return CLAIMS.find((c) => c.id === id);
}
