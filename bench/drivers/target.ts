import type { TlsVersion } from '../../servers/config.ts';

export interface Target {
  host: string;
  port: number;
}

/** How the client secures a connection; the server's certificate is trusted explicitly through `ca`. */
export interface ClientTls {
  /** The certificate to trust; null = the system's CAs (a remote target with a real certificate). */
  ca: string | null;
  servername: string;
  min_version: TlsVersion;
  max_version: TlsVersion;
}

/** The same client TLS, accepting TLS 1.2 or 1.3: for a user's server whose versions are not known. */
export function anyTlsVersion(tls: ClientTls | null): ClientTls | null {
  return tls && { ...tls, min_version: 'TLSv1.2', max_version: 'TLSv1.3' };
}

/** Phases of opening a connection, measured from the moment connect() is called. */
export interface ConnectTimings {
  t_start_ms: number;
  t_connected_ms: number;
  t_secure_ms: number;
  tls_version: string | null;
  alpn: string | null;
  tls_resumed: boolean;
}
