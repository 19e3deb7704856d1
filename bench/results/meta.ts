import { packageVersion } from '../../lib/package-dir.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

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

/** meta.json is rewritten whole at each update (small), so it is always a complete JSON document. */
export class MetaFile {
  private data: Record<string, unknown>;
  constructor(
    private readonly path: string,
    initial: Record<string, unknown>,
  ) {
    this.data = { ...initial };
    this.flush();
  }

  update(patch: Record<string, unknown>): void {
    this.data = { ...this.data, ...patch };
    this.flush();
  }

  get(): Record<string, unknown> {
    return this.data;
  }

  private flush(): void {
    writeFileSync(this.path, `${JSON.stringify(this.data, null, 2)}\n`);
  }
}
