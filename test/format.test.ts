/** The tree stays as Prettier formats it (.prettierrc.json): `npm run format` fixes what this finds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as prettier from 'prettier';
import { REPO } from './helpers/run-cli.ts';

const DIRS = ['lib', 'servers', 'netem', 'bench', 'report', 'scripts', 'test'];
const SKIP = new Set(['test/fixtures']);

function files(dir: string): string[] {
  return readdirSync(join(REPO, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (SKIP.has(p)) return [];
    if (statSync(join(REPO, p)).isDirectory()) return files(p);
    return /\.(ts|mts|mjs)$/.test(name) ? [p] : [];
  });
}

test('every source and test file is formatted (npm run format)', async () => {
  const all = DIRS.flatMap(files);
  assert.ok(all.length > 150, `found only ${all.length} files`);
  const unformatted: string[] = [];
  for (const f of all) {
    const filepath = join(REPO, f);
    const options = await prettier.resolveConfig(filepath);
    assert.ok(options?.printWidth === 120, `${f}: .prettierrc.json not found`);
    if (!(await prettier.check(readFileSync(filepath, 'utf8'), { ...options, filepath })))
      unformatted.push(relative(REPO, filepath));
  }
  assert.deepEqual(unformatted, [], 'run npm run format');
});
