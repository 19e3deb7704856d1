/**
 * One set of SIGINT/SIGTERM listeners for the whole process, handing each signal to the innermost phase that
 * claimed it (a stack). A run passes from phase to phase — measuring, then writing the report — without a
 * moment where no listener is installed: Node's default for an unhandled SIGTERM is to die on the spot,
 * without the phase's cleanup or its message.
 */
export type SignalHandler = (signal: NodeJS.Signals) => void;

/** The signals a run stops on: Ctrl-C, a kill, and a closed terminal (handled like SIGTERM). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The shell's exit code for a process ended by the signal: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143;
}

const handlers: SignalHandler[] = [];
let installed = false;

function dispatch(signal: NodeJS.Signals): void {
  const h = handlers[handlers.length - 1];
  if (h) h(signal);
  else process.exit(signalExitCode(signal));
}

/** Makes h the handler of SIGINT and SIGTERM until the returned release() is called. */
export function claimSignals(h: SignalHandler): () => void {
  if (!installed) {
    for (const s of STOP_SIGNALS) process.on(s, dispatch);
    installed = true;
  }
  handlers.push(h);
  return () => {
    const i = handlers.lastIndexOf(h);
    if (i >= 0) handlers.splice(i, 1);
  };
}
