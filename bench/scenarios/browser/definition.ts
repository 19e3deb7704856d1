import type { ScenarioDefinition } from '../types.ts';

/**
 * browser-pages.csv: one row per page load, by Chromium (client=chromium) or, for the same page on the same link
 * and congestion control, by the harness's own client (client=harness), interleaved with them.
 */
export const BROWSER_PAGE_COLUMNS = [
  'profile',
  'rtt_ms_configured',
  'rtt_ms_calibrated',
  'loss_pct',
  'congestion_control',
  /** chromium | harness */
  'client',
  /** flat: every resource requested at once by script; document: an HTML document that references them. */
  'page',
  /** h2 | h1_keepalive | h1_close (the server answers every response with Connection: close) */
  'case',
  /** cold: a new browser (harness: new connections); warm: the same one, its connections open; resumed: the same one after the server closed them (TLS session resumed where the browser can). */
  'state',
  /** What served it: h2 or http/1.1 (Resource Timing's nextHopProtocol; the harness: what it asked for). */
  'protocol',
  /** The browser launch (or harness connection set) the load belongs to: cold, warm and resumed of one launch share it. */
  'browser_id',
  'rep',
  'warmup',
  /**
   * flat, Chromium: performance.now() in the page from just before the fetch() calls to the last body read;
   * flat, harness: its batch clock from before its connects to the last response; document: navigation start
   * to the load event. Empty when the load failed.
   */
  'page_ms',
  'resources',
  /** Server connections that served the page (the servers' own ids, from Server-Timing). */
  'connections',
  /** Connections the server accepted during this load (any the browser opened and left unused included). */
  'new_connections',
  /** Of the connections first used in this load, those whose TLS session the server resumed (browser only). */
  'resumed_connections',
  /** Longest TLS handshake in the load (Resource Timing; null for the harness and for a load with none). */
  'tls_ms_max',
  /** Longest and mean time a request waited for a connection: from its start to its request, less connect and TLS. */
  'wait_ms_max',
  'wait_ms_mean',
  'errors',
  'error',
  /** The browser's name and version (Chromium's, as Playwright reports it); the harness: keepalive-bench. */
  'client_version',
  'skipped',
] as const;

/** browser-resources.csv: one row per response of each load — which connection served it, and its timings. */
export const BROWSER_RESOURCE_COLUMNS = [
  'profile',
  'loss_pct',
  'congestion_control',
  'client',
  'page',
  'case',
  'state',
  'browser_id',
  'rep',
  'warmup',
  /** The path (and query) of the response. */
  'resource',
  'protocol',
  'status',
  /** The server's connection id (Server-Timing; the harness: its x-kab-conn header). */
  'conn_id',
  /** Whether that connection was opened during this load. */
  'on_new_connection',
  /** resumed | full: the server's word on the connection's TLS session (browser only). */
  'tls_session',
  /** Times in ms from the load's start (Resource Timing; the harness: its batch clock). */
  'start_ms',
  'request_ms',
  'end_ms',
  'connect_ms',
  'tls_ms',
  'wait_ms',
] as const;

export const browserDefinition: ScenarioDefinition = {
  name: 'browser',
  title: 'What keep-alive buys a real browser: Chromium page loads over the emulated link',
  // Adds a browser line to C1, C5 and C12, whose verdicts are the other scenarios'.
  claims: [],
  defaultProfiles: ['wan'],
  csvFiles: { 'browser-pages': BROWSER_PAGE_COLUMNS, 'browser-resources': BROWSER_RESOURCE_COLUMNS },
  needs: { link: ['namespaces'], server: ['configurable'] },
  optIn: 'full',
};
