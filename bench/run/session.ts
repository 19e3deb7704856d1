/**
 * The run's one teardown and one set of signal handlers. A first SIGINT/SIGTERM aborts the measuring, runs the
 * teardown, records the run as aborted and exits 130/143; a second exits at once.
 */
import { errorMessage, isUserError } from '../../lib/errors.ts';
import type { Progress } from '../../lib/progress.ts';
import { claimSignals, signalExitCode } from '../../lib/signals.ts';
import { Teardown } from '../../lib/teardown.ts';
import type { RunStatus } from '../results/meta.ts';
import type { RunFolder } from './folder.ts';

const never = (): Promise<never> => new Promise(() => undefined);

export class RunSession {
  readonly teardown = new Teardown();
  private readonly abort = new AbortController();
  private status: RunStatus = { kind: 'running' };
  private failure: Error | null = null;
  private readonly releaseSignals: () => void;

  constructor(
    private readonly folder: RunFolder,
    private readonly progress: Progress,
  ) {
    this.releaseSignals = claimSignals((signal) => this.onSignal(signal));
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Runs the measuring phases, then the teardown on every way out. The signal handlers stay installed through
   * the teardown (a Ctrl-C then must still let it finish) and are released after it: from there a signal goes
   * to the caller's handler (the report phase), claimed before this run began.
   */
  async run(measure: () => Promise<void>): Promise<RunStatus> {
    try {
      await measure();
      if (this.failure) throw this.failure;
      if (this.aborted) await never(); // the signal handler exits
      this.status = { kind: 'completed' };
    } catch (e) {
      if (this.aborted && this.failure === null) await never();
      const error = this.failure ?? e;
      this.status = { kind: 'errored', error: errorMessage(error) };
      // Teardown first: a record that cannot be written (a full disk) must not leave namespaces behind.
      await this.close();
      this.recordEnd({ markLatest: !isUserError(error) });
      throw error;
    }
    await this.close();
    return this.status;
  }

  private async close(): Promise<void> {
    const failures = await this.teardown.run();
    this.releaseSignals();
    for (const f of failures) this.progress.log(`cleanup: ${f}`);
    this.progress.finish();
  }

  /**
   * Ends the measuring with an error from outside it (the server under test exited): scenarios stop at their
   * next check of the signal, the teardown runs, and the run is recorded as errored with this error.
   */
  fail(error: Error): void {
    if (this.aborted) return;
    this.failure = error;
    this.progress.log(`${error.message}: stopping (samples so far are kept in ${this.folder.dir})`);
    this.abort.abort(error);
  }

  private onSignal(signal: NodeJS.Signals): void {
    const code = signalExitCode(signal);
    if (this.aborted) {
      this.progress.log(
        `${signal} again: exiting now, before the cleanup is done; run npm run clean (as root) to remove what is left`,
      );
      process.exit(code);
    }
    this.progress.log(`${signal}: stopping, cleaning up (samples so far are kept in ${this.folder.dir})`);
    this.status = { kind: 'aborted', signal };
    this.abort.abort(new Error(`interrupted by ${signal}`));
    void this.teardown.run().then((failures) => {
      for (const f of failures) this.progress.log(`cleanup: ${f}`);
      this.recordEnd({ markLatest: true });
      process.exit(code);
    });
  }

  /** Writes how the run ended into meta.json; a failure to write it is said, never thrown over the run's own end. */
  private recordEnd(opts: { markLatest: boolean }): void {
    try {
      this.folder.finish(this.status);
    } catch (e) {
      this.progress.log(`could not record the run's end in ${this.folder.dir}/meta.json: ${errorMessage(e)}`);
    }
    if (!opts.markLatest) return;
    try {
      this.folder.markLatest();
    } catch (e) {
      this.progress.log(`could not point latest at ${this.folder.dir}: ${errorMessage(e)}`);
    }
  }
}
