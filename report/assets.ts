/**
 * The browser bundles of vega, vega-lite and vega-embed, read from node_modules to be inlined in the page
 * (no CDN: the report must work offline from file://).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors.ts';

const require = createRequire(import.meta.url);

/** Package root: walk up from its resolved entry to the package.json that names it (exports hide build/). */
function packageDir(name: string): string {
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    throw new UserError(`the report needs the npm package ${name}; run npm install`);
  }
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) throw new UserError(`cannot find the package folder of ${name}; run npm install`);
    dir = up;
  }
}

export interface Bundle {
  name: string;
  version: string;
  code: string;
}

const BUNDLES: ReadonlyArray<[string, string]> = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
];

let cache: Bundle[] | null = null;

/** In load order: vega, vega-lite, vega-embed (each UMD bundle reads the globals of the ones before). */
export function browserBundles(): Bundle[] {
  if (cache) return cache;
  cache = BUNDLES.map(([name, file]) => {
    const dir = packageDir(name);
    const path = join(dir, file);
    if (!existsSync(path))
      throw new UserError(`${name} has no browser bundle at ${path}; reinstall it with npm install`);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    return { name, version, code: readFileSync(path, 'utf8') };
  });
  return cache;
}
