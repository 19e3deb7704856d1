/** `npm run serve -- --listen <addr:port> [--tls] [--h2]` — the harness's server alone, for a two-host run. */
import { existsSync, writeFileSync } from 'node:fs';
import { ownWritten } from '../lib/ownership.ts';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError, errorMessage } from '../lib/errors.ts';
import { wholeNumberFlag } from '../lib/flag-numbers.ts';
import { STOP_SIGNALS } from '../lib/signals.ts';
import type { ServeLimits, ServerConfig } from '../servers/config.ts';
import { startServer, type ServerHandle } from '../servers/launch.ts';
import { MAX_DELAY_MS, MAX_RESPONSE_BYTES } from '../servers/routes.ts';
import { CERT_SERVERNAME } from '../servers/tls-cert.ts';
import { versionHelp, runMain } from './cli.ts';

/** Room for every scenario a --target run asks of it (slow start's largest response is 4 MiB). */
const DEFAULT_LIMITS: ServeLimits = {
  max_connections: 1024,
  max_response_bytes: 64 * 1024 * 1024,
  max_delay_ms: 60_000,
};

const HELP = `npm run serve -- --listen <addr:port> [--tls] [--h2] [--keep-alive-timeout-ms N] [--cert-out FILE]
                          [--max-connections N] [--max-response-bytes N] [--max-delay-ms N]

Runs one of the harness's servers (the same routes: GET /bytes/<n>?delay_ms=<d>) on this host until Ctrl-C, so
\`npm run bench -- --target <url>\` can measure it from another host over the real network.
  --listen <addr:port>      address to listen on (e.g. 0.0.0.0:8443; the harness otherwise listens only on
                            loopback or inside its own namespaces)
  --tls                     HTTPS with a fresh self-signed certificate, written to --cert-out
                            (default kab-serve-cert.pem) for the client's --ca; its name is ${CERT_SERVERNAME}
  --h2                      HTTP/2 (h2c with prior knowledge, or h2 over TLS with ALPN)
  --keep-alive-timeout-ms   idle timeout of kept-alive connections (default 600000)
Limits, since this server may face a real network (beyond them: 400, or the connection closed on accept):
  --max-connections N       open connections at once (default ${DEFAULT_LIMITS.max_connections})
  --max-response-bytes N    largest /bytes/<n> answered (default ${DEFAULT_LIMITS.max_response_bytes})
  --max-delay-ms N          largest ?delay_ms= honoured (default ${DEFAULT_LIMITS.max_delay_ms})
  -h, --help                this help
  ${versionHelp(26)}
Exit codes: 0 stopped by Ctrl-C, 1 the server died (the reason is printed), 2 bad usage or an address it
cannot listen on.`;

/** Listen failures that are the address's fault, not the harness's: the user can fix them. */
const ADDRESS_ERRORS: Record<string, string> = {
  EACCES: 'a port below 1024 needs root',
  EADDRINUSE: 'something already listens there',
  EADDRNOTAVAIL: 'no interface of this host has that address',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name does not resolve (resolver unreachable)',
};

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
        'max-connections': { type: 'string' },
        'max-response-bytes': { type: 'string' },
        'max-delay-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
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
  const kat = wholeNumberFlag('keep-alive-timeout-ms', values['keep-alive-timeout-ms'], 600_000, {
    min: 0,
    max: 2 ** 31 - 1,
  });
  const limits: ServeLimits = {
    max_connections: wholeNumberFlag('max-connections', values['max-connections'], DEFAULT_LIMITS.max_connections, {
      min: 1,
      max: 1_000_000,
    }),
    max_response_bytes: wholeNumberFlag(
      'max-response-bytes',
      values['max-response-bytes'],
      DEFAULT_LIMITS.max_response_bytes,
      { min: 0, max: MAX_RESPONSE_BYTES },
    ),
    max_delay_ms: wholeNumberFlag('max-delay-ms', values['max-delay-ms'], DEFAULT_LIMITS.max_delay_ms, {
      min: 0,
      max: MAX_DELAY_MS,
    }),
  };
  const server = await startOrExplain(values.listen, {
    protocol: values.h2 ? 'h2' : 'h1',
    tls: values.tls ?? false,
    host,
    port,
    keep_alive_timeout_ms: kat,
    limits,
  });
  const scheme = server.ready.tls ? 'https' : 'http';
  const shownHost = server.ready.host.includes(':') ? `[${server.ready.host}]` : server.ready.host;
  const url = `${scheme}://${shownHost}:${server.ready.port}`;
  let hint = `npm run bench -- --target ${url}${values.h2 ? ' --protocol h2' : ''}`;
  if (server.ready.cert_pem) {
    const certPath = resolve(values['cert-out'] ?? 'kab-serve-cert.pem');
    const existed = existsSync(certPath);
    writeFileSync(certPath, server.ready.cert_pem);
    // Only a file this run created goes to the sudo user; one that was there keeps its owner.
    if (!existed) ownWritten([certPath], dirname(certPath));
    process.stdout.write(`certificate: ${certPath} (name ${CERT_SERVERNAME})\n`);
    hint += ` --ca ${certPath}`;
  }
  process.stdout.write(
    `listening on ${url} (${server.ready.protocol}, pid ${server.pid}; at most ${limits.max_connections} connections, ` +
      `${limits.max_response_bytes} bytes, ${limits.max_delay_ms} ms delay); Ctrl-C stops\nfrom the client host: ${hint}\n`,
  );
  const outcome = await new Promise<{ stopped: true } | { died: string }>((done) => {
    let stopping = false;
    const stop = (): void => {
      stopping = true;
      void server.stop().then(() => done({ stopped: true }));
    };
    for (const sig of STOP_SIGNALS) process.once(sig, stop);
    void server.exited.then((why) => {
      if (!stopping) done({ died: why });
    });
  });
  // The server is a child process: a crash there must not leave serve waiting for a Ctrl-C that serves nothing.
  if ('died' in outcome) throw new Error(`the server died: ${outcome.died}`);
  return 0;
});

async function startOrExplain(listen: string, config: Partial<ServerConfig>): Promise<ServerHandle> {
  try {
    // --listen is the one place the user chooses an address beyond loopback.
    return await startServer(config, null, { allowAnyHost: true });
  } catch (e) {
    const code = Object.keys(ADDRESS_ERRORS).find((c) => new RegExp(`\\b${c}\\b`).test(errorMessage(e)));
    if (code) throw new UserError(`cannot listen on ${listen}: ${code} (${ADDRESS_ERRORS[code]})`);
    throw e;
  }
}
