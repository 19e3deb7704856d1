/** Configuration of one harness server process, passed to it as a single JSON argument. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface ServerConfig {
  protocol: 'h1' | 'h2';
  tls: boolean;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** h1: server.keepAliveTimeout; h2: idle session timeout. null = Node's default. */
  keep_alive_timeout_ms: number | null;
  /** h1 only: server.headersTimeout. */
  headers_timeout_ms: number | null;
  /** h1 only: server.maxRequestsPerSocket (nginx keepalive_requests); 0 = unlimited. */
  max_requests_per_socket: number;
  /** h2 only: SETTINGS_MAX_CONCURRENT_STREAMS. */
  max_concurrent_streams: number;
  tls_min_version: TlsVersion;
  tls_max_version: TlsVersion;
  /** PEM certificate and key to use; null = generate a self-signed one at start-up. */
  cert_pem: string | null;
  key_pem: string | null;
  /** Run the server under `prlimit --nofile=N:N` (FD-limit experiments); absent/null = inherit the limit. */
  nofile_limit?: number | null;
  /** Limits for a server facing a real network (`npm run serve`); absent = the route set's own maxima. */
  limits?: ServeLimits;
}

/** What one client may ask of a server on a real network: beyond these it gets 400 or no connection. */
export interface ServeLimits {
  /** Open connections at once (net.Server.maxConnections: further ones are closed on accept). */
  max_connections: number;
  /** Largest /bytes/<n> answered. */
  max_response_bytes: number;
  /** Largest ?delay_ms= honoured. */
  max_delay_ms: number;
}

export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  protocol: 'h1',
  tls: false,
  host: '127.0.0.1',
  port: 0,
  keep_alive_timeout_ms: null,
  headers_timeout_ms: null,
  max_requests_per_socket: 0,
  max_concurrent_streams: 100,
  tls_min_version: 'TLSv1.2',
  tls_max_version: 'TLSv1.3',
  cert_pem: null,
  key_pem: null,
};

/** What a server prints on stdout when it is listening. */
export interface ServerReady {
  ready: true;
  protocol: 'h1' | 'h2';
  tls: boolean;
  host: string;
  port: number;
  pid: number;
  /** The certificate clients must trust (TLS only). */
  cert_pem: string | null;
  cert_key_type: string | null;
}

/** Answer to a `stats` request on the server's stdin. */
export interface ServerStats {
  connections_accepted: number;
  connections_open: number;
  requests_served: number;
  /** h2 only: sessions opened. */
  sessions_accepted: number;
  rss_bytes: number;
  heap_used_bytes: number;
  open_fds: number;
  /** perf_hooks.monitorEventLoopDelay since the previous stats request (the histogram resets on each). */
  eventloop_delay: { p50_ms: number; p99_ms: number; max_ms: number; mean_ms: number };
  /** accept() failures (EMFILE/ENFILE at the FD limit); the server keeps running. */
  accept_errors: number;
  /** RLIMIT_NOFILE soft limit the server runs under (null = unknown). */
  nofile_limit: number | null;
}
