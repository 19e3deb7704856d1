/** `npm run serve -- --listen <addr:port> [--tls] [--h2]` — the harness's server alone, for a two-host run. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../lib/errors.ts';
import { startServer } from '../servers/launch.ts';
import { CERT_SERVERNAME } from '../servers/tls-cert.ts';
import { runMain } from './cli.ts';

const HELP = `npm run serve -- --listen <addr:port> [--tls] [--h2] [--keep-alive-timeout-ms N] [--cert-out FILE]

Runs one of the harness's servers (the same routes: GET /bytes/<n>?delay_ms=<d>) on this host until Ctrl-C, so
\`npm run bench -- --target <url>\` can measure it from another host over the real network.
  --listen <addr:port>      address to listen on (e.g. 0.0.0.0:8443; the harness otherwise listens only on
                            loopback or inside its own namespaces)
  --tls                     HTTPS with a fresh self-signed certificate, written to --cert-out
                            (default kab-serve-cert.pem) for the client's --ca; its name is ${CERT_SERVERNAME}
  --h2                      HTTP/2 (h2c with prior knowledge, or h2 over TLS with ALPN)
  --keep-alive-timeout-ms   idle timeout of kept-alive connections (default 600000)`;

function parseListen(v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port > 65535)
    throw new UserError(`--listen must be addr:port (e.g. 0.0.0.0:8080), got "${v}"`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

runMain(async () => {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: {
        listen: { type: 'string' },
        tls: { type: 'boolean' },
        h2: { type: 'boolean' },
        'keep-alive-timeout-ms': { type: 'string' },
        'cert-out': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.listen === undefined) throw new UserError('--listen <addr:port> is required (see --help)');
  const { host, port } = parseListen(values.listen);
  const kat = values['keep-alive-timeout-ms'] === undefined ? 600_000 : Number(values['keep-alive-timeout-ms']);
  if (!Number.isInteger(kat) || kat < 0) throw new UserError('--keep-alive-timeout-ms must be a non-negative integer');
  // --listen is the one place the user chooses an address beyond loopback.
  const server = await startServer(
    { protocol: values.h2 ? 'h2' : 'h1', tls: values.tls ?? false, host, port, keep_alive_timeout_ms: kat },
    null,
    { allowAnyHost: true },
  );
  const scheme = server.ready.tls ? 'https' : 'http';
  const shownHost = server.ready.host.includes(':') ? `[${server.ready.host}]` : server.ready.host;
  const url = `${scheme}://${shownHost}:${server.ready.port}`;
  let hint = `npm run bench -- --target ${url}${values.h2 ? ' --protocol h2' : ''}`;
  if (server.ready.cert_pem) {
    const certPath = resolve(values['cert-out'] ?? 'kab-serve-cert.pem');
    writeFileSync(certPath, server.ready.cert_pem);
    process.stdout.write(`certificate: ${certPath} (name ${CERT_SERVERNAME})\n`);
    hint += ` --ca ${certPath}`;
  }
  process.stdout.write(
    `listening on ${url} (${server.ready.protocol}, pid ${server.pid}); Ctrl-C stops\nfrom the client host: ${hint}\n`,
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      void server.stop().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
});
