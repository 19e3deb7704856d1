import { isUserError, errorMessage } from '../lib/errors.ts';

/**
 * Runs an entry point: a UserError ends with its one line and exit code 2; anything else is a bug and
 * prints its message (and the stack only with KAB_DEBUG=1), exit code 1.
 */
export function runMain(main: () => Promise<number | void>): void {
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
