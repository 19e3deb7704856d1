import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.ts';

test('writeFileAtomic replaces a file whole, replaces a symlink rather than writing through it, leaves no temp file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-atomic-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'elsewhere.txt');
  writeFileSync(target, 'not yours');
  const p = join(dir, 'meta.json');
  symlinkSync(target, p);
  writeFileAtomic(p, '{"a":1}\n');
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n');
  assert.equal(lstatSync(p).isSymbolicLink(), false);
  assert.equal(readFileSync(target, 'utf8'), 'not yours');
  assert.throws(() => writeFileAtomic(join(dir, 'no-such-folder', 'x.json'), 'x'), /ENOENT/);
  assert.deepEqual(readdirSync(dir).sort(), ['elsewhere.txt', 'meta.json']);
});
