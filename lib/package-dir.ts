/** Where an installed npm package lives, whether hoisted into another project's node_modules or not. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** Package root: walk up from its resolved entry to the package.json that names it (exports hide build/); null if absent. */
export function packageDir(name: string): string | null {
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return null;
  }
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The installed version of a package, or null. */
export function packageVersion(name: string): string | null {
  const dir = packageDir(name);
  if (dir === null) return null;
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
}

/** This package's own root (lib/ sits right under it, in a checkout and in an installed copy alike). */
export const HARNESS_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** This package's version, from its package.json ("keepalive-bench --version", meta.json, the --json document). */
export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(join(HARNESS_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
