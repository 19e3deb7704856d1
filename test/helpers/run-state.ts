/** What a run left on this machine, and waiting for a run to get somewhere: shared by the signal and live-link tests. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Namespaces, links and processes whose names carry this run's id. */
export function leftovers(runId: string): string[] {
  const ns = execFileSync('ip', ['netns', 'list'])
    .toString()
    .split('\n')
    .filter((l) => l.includes(`kab-${runId}`));
  const links = execFileSync('ip', ['-o', 'link'])
    .toString()
    .split('\n')
    .filter((l) => l.includes(`kab${runId}`));
  const procs = execFileSync('ps', ['-eo', 'pid=,args='])
    .toString()
    .split('\n')
    .filter((l) => l.includes(`kab${runId}`));
  return [...ns, ...links, ...procs];
}

/** Every namespace, link and qdisc of the harness on this machine (any run). */
export function allKabObjects(): string[] {
  const ns = execFileSync('ip', ['netns', 'list'])
    .toString()
    .split('\n')
    .filter((l) => /^kab/.test(l));
  const links = execFileSync('ip', ['-o', 'link'])
    .toString()
    .split('\n')
    .filter((l) => /^\d+: kab/.test(l));
  return [...ns, ...links];
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(what: string, cond: () => boolean, timeout_ms: number): Promise<void> {
  const until = Date.now() + timeout_ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Measured rows in a run folder's samples.csv so far (0 before it exists). */
export function measuredRows(runDir: string): number {
  const p = join(runDir, 'samples.csv');
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n').length - 2 : 0;
}

/**
 * The run folder a run is writing into <out> (the one `<time>-<id>` folder with a meta.json), once it exists:
 * found without results/latest, which moves only once the run has calibrated its link.
 */
export async function waitForRunFolder(out: string, timeout_ms: number): Promise<string> {
  let found: string | null = null;
  await waitFor(
    `the run folder in ${out}`,
    () => {
      const names = readdirSync(out).filter((n) => /^\d{8}T\d{6}Z-[0-9a-f]+$/.test(n));
      const name = names.find((n) => existsSync(join(out, n, 'meta.json')));
      found = name === undefined ? null : join(out, name);
      return found !== null;
    },
    timeout_ms,
  );
  return found ?? out;
}
