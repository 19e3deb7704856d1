/** The policy section's table and caveats, from its figures. */
import type { Table } from '../types.ts';
import { idleWords, type PolicyFigures } from './analysis.ts';
import { lbAdvice, lbRaceWords, type LbRaceFigures } from './lb-race.ts';

function yesNo(v: boolean | null): string {
  return v === null
    ? 'not measured'
    : v
      ? 'yes: it closed right after the response'
      : 'no: it kept the connection open';
}

export function policyTable(f: PolicyFigures): Table {
  const max = f.max_requests;
  return {
    title: `Keep-alive policy of the server under test (${f.protocol}, ${f.profile})`,
    columns: [{ label: 'what' }, { label: 'measured' }],
    rows: [
      ['idle timeout (FIN after the last response)', idleWords(f)],
      ['Keep-Alive response header', f.keep_alive_header ?? 'not sent'],
      ['Connection response header', f.connection_header ?? 'not sent'],
      ['honours a request with Connection: close', yesNo(f.honours_connection_close)],
      [
        'requests served on one connection',
        max === null
          ? 'not measured'
          : max.at_cap
            ? `≥ ${max.served} (still open at the cap)`
            : `${max.served}, then it closed`,
      ],
    ],
  };
}

export function policyCaveats(f: PolicyFigures): string[] {
  const out = [
    'The probes speak raw HTTP/1.1 (over TLS for a server that speaks only that) and read responses with a Content-Length: a response streamed without one (chunked) is an error row. A server that speaks only HTTP/2 is watched for its GOAWAY or FIN instead, and has no Connection: close.',
  ];
  if (f.idle.errors > 0) out.push(`${f.idle.errors} of ${f.idle.watched} idle probes failed; see policy.csv.`);
  return out;
}

export function lbRaceTable(f: LbRaceFigures): Table {
  const ms = (x: number | null): string => (x === null ? '—' : `${x} ms`);
  return {
    title: `Behind the harness's load balancer (${f.profile})`,
    columns: [{ label: 'what' }, { label: 'measured' }],
    rows: [
      ['requests after an idle gap near the first timeout', lbRaceWords(f)],
      [
        'idle gaps drawn (from the first timeout)',
        `± ${ms(f.spread_ms)}${f.window_low_ms !== null ? `; failures between ${ms(f.window_low_ms)} and ${ms(f.window_high_ms)}` : ''}`,
      ],
      ['advice', lbAdvice(f)],
    ],
  };
}

export function lbRaceCaveats(f: LbRaceFigures): string[] {
  return [
    `The LB is the harness's own (a Node reverse proxy in the client namespace; its hop to the server crosses the emulated link), not your load balancer: the race window is about one RTT of that hop, so the rate depends on the profile (${f.profile}) as much as on the timeouts.`,
  ];
}
