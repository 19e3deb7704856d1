/**
 * The browser bundles of vega, vega-lite and vega-embed, read from node_modules to be inlined in the page
 * (no CDN: the report must work offline from file://).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { packageDir } from '../lib/package-dir.ts';

/** Package root, or a UserError saying to install it. */
function packageDirOrFail(name: string): string {
  const dir = packageDir(name);
  if (dir === null) throw new UserError(`the report needs the npm package ${name}; run npm install`);
  return dir;
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
    const dir = packageDirOrFail(name);
    const path = join(dir, file);
    if (!existsSync(path))
      throw new UserError(`${name} has no browser bundle at ${path}; reinstall it with npm install`);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    return { name, version, code: readFileSync(path, 'utf8') };
  });
  return cache;
}
