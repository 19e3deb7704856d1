/** Rules the whole code base keeps, checked over the source: no child process through a shell string. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/run-cli.ts';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(REPO, dir))) {
    const rel = join(dir, name);
    if (statSync(join(REPO, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/shell:\s*true/, 'shell: true'],
  [/['"](ba)?sh['"]\s*,\s*\[?\s*['"]-c['"]/, 'sh -c'],
  [/\bexecSync\s*\(/, 'execSync (a shell string)'],
  [/\bchild_process['"]\s*\)?\s*;?[\s\S]*?\bexec\s*\(\s*[`'"]/, 'child_process.exec with a string'],
  [/\bexecaCommand\b|\$`/, 'execa command strings'],
];

test('no child process is started through a shell string', () => {
  const files = ['bench', 'servers', 'netem', 'scripts', 'report'].flatMap(sources);
  assert.ok(files.length > 20, `found ${files.length} source files`);
  const hits: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(REPO, f), 'utf8');
    for (const [re, what] of FORBIDDEN) if (re.test(text)) hits.push(`${f}: ${what}`);
  }
  assert.deepEqual(hits, []);
});
