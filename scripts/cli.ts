import { isUserError, errorMessage } from '../lib/errors.ts';

/**
 * Runs an entry point: a UserError ends with its one line and exit code 2; anything else is a bug and
 * prints its message (and the stack only with KAB_DEBUG=1), exit code 1.
 */
export function runMain(main: () => Promise<number | void>): void {
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
