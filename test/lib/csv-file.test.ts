import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvAppender, readCsv, readCsvContents, writeCsv } from '../../lib/csv-file.ts';

test('CsvAppender writes the header once and each row at once, quoting what needs it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-csv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.csv');
  const w = new CsvAppender(path, ['a', 'b', 'c'] as const);
  w.append({ a: 1.5, b: 'x,y', c: null });
  // Visible on disk before anything else happens: a killed run keeps it.
  assert.equal(readFileSync(path, 'utf8'), 'a,b,c\n1.5,"x,y",\n');
  w.append({ a: Number.NaN, b: true, c: 'he said "hi"' });
  const again = new CsvAppender(path, ['a', 'b', 'c'] as const); // re-opening does not repeat the header
  again.append({ a: 0, b: false, c: '' });
  assert.deepEqual(readCsv(path), [
    { a: '1.5', b: 'x,y', c: '' },
    { a: '', b: '1', c: 'he said "hi"' },
    { a: '0', b: '0', c: '' },
  ]);
});

test('readCsv names missing required columns', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-csv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.csv');
  writeCsv(path, ['a', 'b'] as const, [{ a: 1, b: 2 }]);
  assert.throws(() => readCsv(path, ['a', 'total_ms', 'error']), /missing columns total_ms, error/);
});

test('readCsvContents drops and counts a torn last row (no final newline), keeping the rows before it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kab-csv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, 'samples.csv');
  writeFileSync(p, 'a,b\n1,2\n3,4\n5,"six an');
  assert.deepEqual(readCsvContents(p), {
    rows: [
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ],
    torn_rows: 1,
  });
  writeFileSync(p, 'a,b\n1,2\n');
  assert.equal(readCsvContents(p).torn_rows, 0);
  // A malformed row that is complete is still an error, not silently dropped.
  writeFileSync(p, 'a,b\n1,2,3\n4,5\n');
  assert.throws(() => readCsvContents(p), /Invalid Record Length/);
});
