import { packageVersion } from '../../lib/package-dir.ts';
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import os from 'node:os';
import { dirname, join } from 'node:path';

export type RunStatus =
  | { kind: 'running' }
  | { kind: 'completed' }
  | { kind: 'errored'; error: string }
  | { kind: 'aborted'; signal: string };

export interface MachineInfo {
  hostname: string;
  kernel: string;
  os: string;
  arch: string;
  cpu_model: string;
  cpu_count: number;
  memory_bytes: number;
  node_version: string;
  uid: number | null;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    os: `${os.type()} ${os.version()}`,
    arch: os.arch(),
    cpu_model: cpus[0]?.model ?? 'unknown',
    cpu_count: cpus.length,
    memory_bytes: os.totalmem(),
    node_version: process.version,
    uid: process.getuid?.() ?? null,
  };
}

export function gitCommit(cwd: string): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

/** Installed versions of the packages, wherever npm put them (this repository, or a project that installed it). */
export function packageVersions(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, packageVersion(n) ?? 'missing']));
}

/** Space held back for the last meta.json write, so a run that filled the disk can still say how it ended. */
const RESERVE_BYTES = 1024 * 1024;

/**
 * meta.json is replaced whole at each update (small; writeFileAtomic), so it is always a complete JSON document.
 * A file of RESERVE_BYTES beside it is given up only for the final update (the run's status) when the disk is
 * full: the run's record then says it errored, not that it is still running.
 */
export class MetaFile {
  private data: Record<string, unknown>;
  private readonly reservePath: string;
  constructor(
    private readonly path: string,
    initial: Record<string, unknown>,
  ) {
    this.data = { ...initial };
    this.reservePath = join(dirname(path), '.meta-reserve');
    // Random bytes: a compressing filesystem stores zeros in next to no space, and freeing them would free none.
    writeFileSync(this.reservePath, randomFillSync(Buffer.alloc(RESERVE_BYTES)));
    this.flush();
  }

  update(patch: Record<string, unknown>): void {
    this.data = { ...this.data, ...patch };
    this.flush();
  }

  /** The last update: uses the reserve if the disk is full, then removes it. */
  finalUpdate(patch: Record<string, unknown>): void {
    this.data = { ...this.data, ...patch };
    try {
      this.flush();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw e;
      rmSync(this.reservePath, { force: true });
      this.flush();
    } finally {
      rmSync(this.reservePath, { force: true });
    }
  }

  get(): Record<string, unknown> {
    return this.data;
  }

  private flush(): void {
    writeFileAtomic(this.path, `${JSON.stringify(this.data, null, 2)}\n`);
  }
}
