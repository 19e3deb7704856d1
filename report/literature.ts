/**
 * The published record beside each claim, as data: what each source states, where, and which of this harness's
 * verdicts agree with it (a "depends" that only says the saving exceeds the round trips a source counts does not
 * contradict it; a "refuted" would). `quote` is verbatim only where it was checked against the text reachable here
 * (`checked` says how); everything else is marked unchecked and paraphrased in `states`.
 */
import type { VerdictKind } from './sections/types.ts';

export interface Citation {
  claim: string;
  source: string;
  /** Section, page or figure of the source. */
  where: string;
  url: string;
  /** What the source states, with its figure, in this project's words. */
  states: string;
  /** A short verbatim quote, only when checked. */
  quote: string | null;
  /** How the quote was checked, or null: unchecked. */
  checked: string | null;
  /** The verdicts of the claim that agree with this source. */
  agrees_with: readonly VerdictKind[];
}

export const CITATIONS: readonly Citation[] = [
  {
    claim: 'C1',
    source: 'RFC 9293 (Transmission Control Protocol)',
    where: '§3.5, Establishing a Connection',
    url: 'https://www.rfc-editor.org/rfc/rfc9293#section-3.5',
    states: 'a connection opens with the three-way handshake: the client can send its request 1 RTT after its SYN',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C1',
    source: 'RFC 8446 (TLS 1.3)',
    where: '§2, Protocol Overview',
    url: 'https://www.rfc-editor.org/rfc/rfc8446#section-2',
    states: 'a full TLS 1.3 handshake takes 1 RTT before application data (TLS 1.2, RFC 5246: 2 RTT)',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C2',
    source: 'Dukkipati et al., "An Argument for Increasing TCP\'s Initial Congestion Window", ACM CCR 40(3), 2010',
    where: '§3–4',
    url: 'https://dl.acm.org/doi/10.1145/1823844.1823848',
    states:
      'with an initial window of 10 segments (≈ 14 KB) most responses fit in fewer slow-start rounds; larger responses still pay rounds on a new connection',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C2',
    source: "RFC 2861 (TCP Congestion Window Validation) and RFC 6928 (Increasing TCP's Initial Window)",
    where: 'RFC 2861 §3; RFC 6928 §2',
    url: 'https://www.rfc-editor.org/rfc/rfc2861',
    states:
      'a connection idle for longer than an RTO shrinks its window back toward the restart window, so a kept-alive connection can lose its slow-start advantage after idle (Linux: tcp_slow_start_after_idle)',
    quote: null,
    checked: null,
    agrees_with: ['depends'],
  },
  {
    claim: 'C3',
    source: 'RFC 9293 and RFC 8446',
    where: 'RFC 9293 §3.5; RFC 8446 §2',
    url: 'https://www.rfc-editor.org/rfc/rfc8446#section-2',
    states: 'the handshakes cost whole round trips, so the time keep-alive saves grows linearly with the RTT',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C4',
    source: 'RFC 9112 (HTTP/1.1)',
    where: '§9.3.2, Pipelining',
    url: 'https://www.rfc-editor.org/rfc/rfc9112#section-9.3.2',
    states:
      'a server must send its responses in the order the pipelined requests arrived: a slow response holds back those behind it',
    quote: null,
    checked: null,
    agrees_with: ['confirmed'],
  },
  {
    claim: 'C4',
    source: 'Nielsen et al., "Network Performance Effects of HTTP/1.1, CSS1, and PNG", ACM SIGCOMM 1997',
    where: 'results',
    url: 'https://www.w3.org/Protocols/HTTP/Performance/Pipeline.html',
    states:
      'pipelining on a persistent connection beat HTTP/1.0 with parallel connections on their pages; browsers later shipped it disabled, citing proxies and head-of-line blocking',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C5',
    source: 'Wang et al., "How Speedy is SPDY?", USENIX NSDI 2014',
    where: '§4–5',
    url: 'https://www.usenix.org/conference/nsdi14/technical-sessions/wang',
    states:
      'a single multiplexed connection helps most pages, but under high packet loss it loses to several HTTP/1.1 connections (one loss stalls every stream; loss-based congestion control shrinks one window)',
    quote: null,
    checked: null,
    agrees_with: ['depends'],
  },
  {
    claim: 'C5',
    source: 'Google, "SPDY: An experimental protocol for a faster web" (Chromium whitepaper, 2009)',
    where: 'Preliminary results',
    url: 'https://www.chromium.org/spdy/spdy-whitepaper/',
    states:
      'in lab tests of the top 25 sites, SPDY cut page load times by up to 64 % against HTTP/1.1 (no loss rate where it lost is reported)',
    quote: null,
    checked: null,
    agrees_with: ['confirmed'],
  },
  {
    claim: 'C6',
    source: 'nginx documentation, ngx_http_core_module',
    where: 'keepalive_timeout, keepalive_requests',
    url: 'https://nginx.org/en/docs/http/ngx_http_core_module.html#keepalive_timeout',
    states:
      'servers bound how long and for how many requests an idle keep-alive connection is held, because each one holds a descriptor and memory',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C7',
    source: 'RFC 1122 (Requirements for Internet Hosts)',
    where: '§4.2.3.6, TCP Keep-Alives',
    url: 'https://www.rfc-editor.org/rfc/rfc1122#section-4.2.3.6',
    states: 'TCP keepalive is off by default and its interval defaults to at least two hours (Linux: 7200 s)',
    quote: 'This interval MUST be configurable and MUST default to no less than two hours.',
    checked: "quoted from the RFC text on a page reached by this project's search (unix.stackexchange.com/q/519501)",
    agrees_with: ['confirmed'],
  },
  {
    claim: 'C7',
    source: 'nginx documentation, ngx_http_core_module',
    where: 'keepalive_timeout',
    url: 'https://nginx.org/en/docs/http/ngx_http_core_module.html#keepalive_timeout',
    states: "nginx closes an idle client connection after 75 s by default — minutes, against keepalive's hours",
    quote: 'Default: keepalive_timeout 75s;',
    checked: "the directive's documentation as quoted on pages reached by this project's search (not nginx.org itself)",
    agrees_with: ['confirmed'],
  },
  {
    claim: 'C8',
    source: 'AWS, Elastic Load Balancing: Application Load Balancer attributes',
    where: 'Connection idle timeout',
    url: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html',
    states:
      "set the application's idle timeout above the load balancer's (default 60 s); if the target closes first the load balancer may send a request on the closed connection and answer 502",
    quote:
      'We also recommend that you configure the idle timeout of your application to be larger than the idle timeout configured for the load balancer.',
    checked: "docs.aws.amazon.com, reached by this project's search",
    agrees_with: ['refuted'],
  },
  {
    claim: 'C9',
    source: 'RFC 5382 (NAT Behavioral Requirements for TCP)',
    where: '§5, REQ-5',
    url: 'https://www.rfc-editor.org/rfc/rfc5382#section-5',
    states:
      'a NAT must not drop an established idle TCP flow in under 2 h 4 min — yet deployed NATs and firewalls often do in minutes (AWS NAT gateway: 350 s), so keepalive or application pings are what keep a flow',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C10',
    source: 'RFC 9293 (Transmission Control Protocol)',
    where: '§3.5.2, Reset Generation; §3.8.4, TCP Keep-Alives',
    url: 'https://www.rfc-editor.org/rfc/rfc9293#section-3.5.2',
    states:
      "a host that lost the connection's state answers the next segment with a RST; a peer that vanished is noticed only by a retransmission timeout or a keepalive probe",
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
  {
    claim: 'C11',
    source: 'RFC 9293 (TIME-WAIT) and RFC 6191 (Reducing the TIME-WAIT State Using TCP Timestamps)',
    where: 'RFC 9293 §3.6.1; RFC 6191 §1',
    url: 'https://www.rfc-editor.org/rfc/rfc6191',
    states:
      'every closed connection holds its port pair in TIME-WAIT for 2 MSL on the side that closed first: churn without keep-alive costs ports and handshakes, which is why reuse is preferred',
    quote: null,
    checked: null,
    agrees_with: ['refuted', 'depends'],
  },
  {
    claim: 'C12',
    source: 'Node.js documentation, http.Agent',
    where: 'new Agent([options]): keepAlive',
    url: 'https://nodejs.org/api/http.html#new-agentoptions',
    states: 'an agent with keepAlive keeps sockets open to be used for later requests without a new TCP connection',
    quote: null,
    checked: null,
    agrees_with: ['confirmed', 'depends'],
  },
];
