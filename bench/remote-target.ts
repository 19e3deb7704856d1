import { readFileSync } from 'node:fs';
import { UserError } from '../lib/errors.ts';
import type { RemoteTarget } from '../netem/remote.ts';
import { CERT_SERVERNAME } from '../servers/tls-cert.ts';

/**
 * `--target http[s]://host:port` (+ `--protocol h1|h2`, `--ca file.pem`, `--servername name`): a server
 * elsewhere. With --ca (e.g. the certificate `npm run serve -- --tls` wrote) the client trusts exactly that
 * certificate and verifies it against --servername (default: the name the harness's certificates carry).
 */
export function parseTarget(
  url: string,
  flags: { protocol?: string | undefined; ca?: string | undefined; servername?: string | undefined },
): RemoteTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(
      `--target "${url}" is not a URL; use e.g. http://192.0.2.10:8080 or https://server.example:8443`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UserError(`--target must be http:// or https://, got ${u.protocol}//`);
  if (u.pathname !== '/' || u.search || u.hash || u.username)
    throw new UserError(`--target takes only scheme://host:port, got "${url}"`);
  const tls = u.protocol === 'https:';
  const port = u.port === '' ? (tls ? 443 : 80) : Number(u.port);
  if (!(port >= 1 && port <= 65_535)) throw new UserError(`--target needs a port from 1 to 65535, got "${url}"`);
  const protocol = flags.protocol ?? 'h1';
  if (protocol !== 'h1' && protocol !== 'h2') throw new UserError(`--protocol must be h1 or h2, got "${protocol}"`);
  if (flags.ca !== undefined && !tls) throw new UserError('--ca is for an https:// target');
  const ca_pem = readCaPem(flags.ca);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return {
    url: `${u.protocol}//${u.host}`,
    host,
    port,
    protocol,
    tls,
    ca_pem,
    servername: flags.servername ?? (ca_pem !== null ? CERT_SERVERNAME : host),
    tls_versions: ['TLSv1.2', 'TLSv1.3'],
  };
}

/** `--ca <file>`: the PEM certificate the client trusts for the server under test; null without the flag. */
export function readCaPem(file: string | undefined): string | null {
  if (file === undefined) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read --ca ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (!pem.includes('BEGIN CERTIFICATE')) throw new UserError(`--ca ${file} holds no PEM certificate`);
  return pem;
}
