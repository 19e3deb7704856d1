import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError, isUserError, errorMessage } from '../lib/errors.ts';
import { harnessVersion } from '../lib/package-dir.ts';

/** The --version line of every entry point's --help, its description from the given column on. */
export function versionHelp(column: number): string {
  return `${'--version'.padEnd(column - 1)} print "keepalive-bench <version>" and exit`;
}

/** What every entry point prints for --version. */
export function versionLine(): string {
  return `keepalive-bench ${harnessVersion()}`;
}

/** The one line an entry point prints on a system other than Linux (exit 2). */
export function linuxOnlyMessage(platform: string): string {
  return `keepalive-bench runs on Linux only (this system is ${platform}: the harness needs Linux's network namespaces, /proc and TCP stack); --help and --version work anywhere`;
}

/** node:util parseArgs (strict unless the config says otherwise), its error one UserError line pointing at --help. */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (e) {
    throw new UserError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
}

export type EntryDecision = { kind: 'version'; line: string } | { kind: 'refuse'; message: string } | { kind: 'run' };

/**
 * What an entry point does before its own parsing, from its arguments and the platform alone: --version prints
 * and exits anywhere; --help (-h) goes on to the script's own help anywhere; anything else off Linux is refused.
 * Arguments after a bare "--" are not looked at.
 */
export function entryDecision(argv: readonly string[], platform: string): EntryDecision {
  const end = argv.indexOf('--');
  const own = end === -1 ? argv : argv.slice(0, end);
  if (own.includes('--version')) return { kind: 'version', line: versionLine() };
  if (platform !== 'linux' && !own.some((a) => a === '--help' || a === '-h'))
    return { kind: 'refuse', message: linuxOnlyMessage(platform) };
  return { kind: 'run' };
}

export interface RunMainOptions {
  /** The script's arguments (default process.argv.slice(2)). */
  argv?: readonly string[];
  /** The platform to check (default process.platform); tests pass another. */
  platform?: string;
}

/**
 * Runs an entry point: --version and the Linux check first (entryDecision); then a UserError ends with its one
 * line and exit code 2; anything else is a bug and prints its message (and the stack only with KAB_DEBUG=1),
 * exit code 1.
 */
export function runMain(main: () => Promise<number | void>, opts: RunMainOptions = {}): void {
  const decision = entryDecision(opts.argv ?? process.argv.slice(2), opts.platform ?? process.platform);
  if (decision.kind === 'version') {
    process.stdout.write(`${decision.line}\n`);
    process.exitCode = 0;
    return;
  }
  if (decision.kind === 'refuse') {
    process.stderr.write(`error: ${decision.message}\n`);
    process.exitCode = 2;
    return;
  }
  // A bug that escapes every handler: say what happened and how to remove what a run may have left.
  const crash = (what: string, e: unknown): void => {
    process.stderr.write(
      `error: ${what}: ${errorMessage(e)}; if a run was going, npm run clean (as root) removes what it left\n`,
    );
    if (process.env.KAB_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', (e) => crash('uncaught exception', e));
  process.on('unhandledRejection', (e) => crash('unhandled rejection', e));
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (e: unknown) => {
      if (isUserError(e)) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`error: ${errorMessage(e)}\n`);
      if (process.env.KAB_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
      process.exit(1);
    },
  );
}
