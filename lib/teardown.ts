import { errorMessage } from './errors.ts';

/**
 * Everything a run must undo (processes, namespaces, links), undone in reverse order of creation on every
 * way out: normal end, thrown error, SIGINT, SIGTERM. Each step is bounded in time and a failing step does
 * not stop the ones after it.
 */
export class Teardown {
  private readonly steps: Array<{ label: string; fn: () => Promise<void> | void }> = [];
  private running: Promise<string[]> | null = null;

  add(label: string, fn: () => Promise<void> | void): () => void {
    const step = { label, fn };
    this.steps.push(step);
    return () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
    };
  }

  /** Runs every step once; returns the failures as readable lines. Concurrent calls share one run. */
  run(step_timeout_ms = 10_000): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      for (const step of this.steps.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(step.fn),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`timed out after ${step_timeout_ms} ms`)), step_timeout_ms);
            }),
          ]);
        } catch (e) {
          failures.push(`${step.label}: ${errorMessage(e)}`);
        } finally {
          clearTimeout(timer);
        }
      }
      this.running = null;
      return failures;
    })();
    return this.running;
  }
}
