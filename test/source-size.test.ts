/**
 * Small modules, short functions: no source file over 500 lines and no function over 120 (as formatted by
 * Prettier, .prettierrc.json), so each file keeps one job and each function fits on a screen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO } from './helpers/run-cli.ts';

const SOURCE_DIRS = ['lib', 'servers', 'netem', 'bench', 'report', 'scripts'];
const MAX_FILE_LINES = 500;
const MAX_FUNCTION_LINES = 120;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir)).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(join(REPO, p)).isDirectory()) return sourceFiles(p);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [p] : [];
  });
}

/** Functions (declarations, methods, arrows, expressions) longer than max lines, as "file:line name (n lines)". */
export function longFunctions(file: string, src: string, max: number): string[] {
  const sf = ts.createSourceFile(file, src, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      if (lines > max) out.push(`${file}:${first + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

test('the size check finds a long function and measures it in lines', () => {
  const body = Array.from({ length: 130 }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const src = `export function long(): void {\n${body}\n}\nconst short = (): number => 1;\n`;
  assert.deepEqual(longFunctions('x.ts', src, MAX_FUNCTION_LINES), ['x.ts:1 long (132 lines)']);
  assert.deepEqual(longFunctions('x.ts', src, 200), []);
});

test(`no source file over ${MAX_FILE_LINES} lines and no function over ${MAX_FUNCTION_LINES}`, () => {
  const files = SOURCE_DIRS.flatMap(sourceFiles);
  assert.ok(files.length > 100, `found only ${files.length} source files`);
  const problems: string[] = [];
  for (const f of files) {
    const src = readFileSync(join(REPO, f), 'utf8');
    const lines = src.split('\n').length - (src.endsWith('\n') ? 1 : 0);
    if (lines > MAX_FILE_LINES) problems.push(`${f} (${lines} lines)`);
    problems.push(...longFunctions(f, src, MAX_FUNCTION_LINES));
  }
  assert.deepEqual(problems, []);
});
