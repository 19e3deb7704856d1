/**
 * The import layering of the source tree: imports point down, never up and never in a circle.
 *   scripts → report → bench (runner, results → scenarios → drivers) → servers, netem → lib
 * A file may import its own layer or a lower one. Unlike a leaf-exempting check, a basic that lives in a
 * higher folder counts as that folder: the ground floor is lib/, and only what is there is ground.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './helpers/run-cli.ts';

const SOURCE_DIRS = ['lib', 'servers', 'netem', 'bench', 'report', 'scripts'];

/** Layer of a source file by its folder; higher imports lower. */
export function layerOf(file: string): number {
  const [top, sub] = file.split('/');
  switch (top) {
    case 'lib':
      return 1;
    case 'servers':
    case 'netem':
      return 2;
    case 'bench':
      return sub === 'drivers' ? 3.1 : sub === 'scenarios' ? 3.2 : 3.3;
    case 'report':
      return 4;
    case 'scripts':
      return 5;
    default:
      throw new Error(`${file}: not in a source folder`);
  }
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(REPO, dir)).sort()) {
    const p = join(dir, name);
    if (statSync(join(REPO, p)).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(name) && !/\.d\.ts$/.test(name)) out.push(p);
  }
  return out;
}

/** Relative imports of a file (static, re-exports and dynamic), as repository paths. */
export function importsOf(file: string, src: string): string[] {
  const out = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) {
    const spec = m[1] ?? '';
    const target = relative(REPO, resolve(REPO, dirname(file), spec));
    out.add(target);
  }
  return [...out];
}

function graph(): Map<string, string[]> {
  const files = SOURCE_DIRS.filter((d) => existsSync(join(REPO, d))).flatMap(sourceFiles);
  const known = new Set(files);
  const g = new Map<string, string[]>();
  for (const f of files)
    g.set(
      f,
      importsOf(f, readFileSync(join(REPO, f), 'utf8')).filter((t) => known.has(t)),
    );
  return g;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w !== undefined) {
          on.delete(w);
          c.push(w);
        }
      } while (w !== undefined && w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('imports point down the layers: scripts → report → bench → servers, netem → lib', () => {
  const g = graph();
  assert.ok(g.size > 100, `found ${g.size} source files`);
  const up: string[] = [];
  for (const [f, targets] of g) for (const t of targets) if (layerOf(t) > layerOf(f)) up.push(`${f} → ${t}`);
  assert.deepEqual(up, []);
});

test('no import cycles between source files', () => {
  assert.deepEqual(cycles(graph()), []);
});

test('the layering check sees what it must: re-exports, dynamic imports, an upward import', () => {
  assert.deepEqual(
    importsOf(
      'netem/x.ts',
      "export { a } from './a.ts';\nconst m = await import('../bench/runner.ts');\nimport type { T } from '../lib/t.ts';\nimport './side-effect.ts';",
    ),
    ['netem/a.ts', 'bench/runner.ts', 'lib/t.ts', 'netem/side-effect.ts'],
  );
  assert.ok(layerOf('bench/runner.ts') > layerOf('netem/tc.ts'));
  assert.ok(layerOf('bench/scenarios/handshake.ts') > layerOf('bench/drivers/probe.ts'));
  assert.ok(layerOf('lib/errors.ts') < layerOf('servers/h1.ts'));
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['a']],
        ['c', ['a']],
      ]),
    ),
    [['a', 'b']],
  );
});
