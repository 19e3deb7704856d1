/**
 * `--server-cmd "<command line>"` and the flags that go with it: the user's own server, started by the harness
 * behind the emulated link. Protocol and TLS are the same flags as for `--target` (`--protocol`, `--ca`,
 * `--servername`); `--tls` says the server speaks HTTPS (a target's scheme says so itself).
 */
import { UserError } from '../lib/errors.ts';
import { CommandLineError, splitCommandLine } from '../servers/command-line.ts';
import type { CommandServerSpec } from '../servers/command.ts';
import { readCaPem } from './remote-target.ts';

export const DEFAULT_START_TIMEOUT_S = 20;

export interface ServerCommandFlags {
  command: string;
  port?: string | undefined;
  version?: string | undefined;
  start_timeout?: string | undefined;
  protocol?: string | undefined;
  tls?: boolean | undefined;
  ca?: string | undefined;
  servername?: string | undefined;
}

function split(flag: string, line: string): string[] {
  try {
    const argv = splitCommandLine(line);
    if (argv.length === 0) throw new UserError(`--${flag} is empty`);
    return argv;
  } catch (e) {
    if (e instanceof CommandLineError) throw new UserError(`--${flag}: ${e.message}`);
    throw e;
  }
}

export function parseServerCommand(flags: ServerCommandFlags): CommandServerSpec {
  const protocol = flags.protocol ?? 'h1';
  if (protocol !== 'h1' && protocol !== 'h2') throw new UserError(`--protocol must be h1 or h2, got "${protocol}"`);
  let port: number | null = null;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new UserError(`--server-port must be a port number (1–65535), got "${flags.port}"`);
  }
  const startTimeout_s = Number(flags.start_timeout ?? DEFAULT_START_TIMEOUT_S);
  if (!Number.isFinite(startTimeout_s) || startTimeout_s <= 0 || startTimeout_s > 600)
    throw new UserError(`--server-start-timeout must be seconds in (0, 600], got "${flags.start_timeout}"`);
  const tls = flags.tls === true;
  if (!tls && (flags.ca !== undefined || flags.servername !== undefined))
    throw new UserError('--ca and --servername are for a server that speaks TLS: add --tls');
  return {
    argv: split('server-cmd', flags.command),
    port,
    version_argv: flags.version === undefined ? null : split('server-version-cmd', flags.version),
    start_timeout_ms: startTimeout_s * 1000,
    protocol,
    tls,
    ca_pem: readCaPem(flags.ca),
    servername: flags.servername ?? null,
  };
}

/** `--path /small`: an absolute path, no scheme or host (the server is the one under test). */
export function parsePath(flag: string, path: string): string {
  if (!path.startsWith('/') || /\s/.test(path) || path.startsWith('//'))
    throw new UserError(`--${flag} must be an absolute path such as /small, got "${path}"`);
  return path;
}

/** `--paths /a,/b`: absolute paths, comma-separated, at most 16 (each is one GET before the run). */
export function parsePaths(list: string): string[] {
  const paths = list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => parsePath('paths', p));
  if (paths.length === 0) throw new UserError('--paths needs at least one path, e.g. /small,/big.bin');
  if (paths.length > 16) throw new UserError(`--paths takes at most 16 paths, got ${paths.length}`);
  return [...new Set(paths)];
}

/** The longest LB idle timeout a run may race: each trial idles about this long. */
export const LB_IDLE_TIMEOUT_MAX_MS = 600_000;

/** `--lb-idle-timeout 60s` (also `500ms`, `2m`, or bare seconds): the LB's upstream idle timeout, in ms. */
export function parseLbIdleTimeout(v: string | undefined): number | null {
  if (v === undefined) return null;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  const factor = { ms: 1, s: 1000, m: 60_000 }[m?.[2] ?? 's'] ?? 1000;
  const ms = m ? Math.round(Number(m[1]) * factor) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 100 || ms > LB_IDLE_TIMEOUT_MAX_MS)
    throw new UserError(
      `--lb-idle-timeout must be a duration from 100ms to ${LB_IDLE_TIMEOUT_MAX_MS / 60_000}m such as 60s, got "${v}"`,
    );
  return ms;
}
