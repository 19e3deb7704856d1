import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRun } from '../../report/load-run.ts';
import { buildReport } from '../../report/build.ts';
import { isUserError } from '../../lib/errors.ts';
import { copyFixture } from './fixture-copy.ts';

/** Removes one column from a CSV written by the bench (no quoted commas in the columns we drop). */
function dropColumn(path: string, column: string): void {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const header = (lines[0] ?? '').split(',');
  const i = header.indexOf(column);
  assert.ok(i >= 0, `${column} in ${path}`);
  writeFileSync(
    path,
    `${lines
      .map((l) =>
        l
          .split(',')
          .filter((_, j) => j !== i)
          .join(','),
      )
      .join('\n')}\n`,
  );
}

test('a run written before a summary column existed still loads; the column reads as empty', (t) => {
  const dir = copyFixture(t, 'report-normal');
  dropColumn(join(dir, 'summary.csv'), 'measured_over_model');
  const run = loadRun(dir);
  assert.ok(run.summary.length > 0);
  assert.ok(run.summary.every((r) => r.measured_over_model === ''));
  assert.ok(
    run.summary.some((r) => r.median !== ''),
    'other columns intact',
  );
});

test('a summary without a required column is a UserError naming it', (t) => {
  const dir = copyFixture(t, 'report-normal');
  dropColumn(join(dir, 'summary.csv'), 'median');
  assert.throws(
    () => loadRun(dir),
    (e: unknown) => isUserError(e) && /missing column median/.test((e as Error).message),
  );
});

test('a run cut mid-write (torn last row in samples.csv) loads without it, and the report says so', async (t) => {
  const dir = copyFixture(t, 'report-normal');
  const samplesPath = join(dir, 'samples.csv');
  const whole = readFileSync(samplesPath, 'utf8');
  const rowsBefore = whole.trimEnd().split('\n').length - 1;
  writeFileSync(samplesPath, `${whole}${whole.split('\n')[1]?.slice(0, 25) ?? ''}`);
  const run = loadRun(dir);
  assert.equal(run.samples.length, rowsBefore);
  assert.deepEqual(run.torn_rows, { 'samples.csv': 1 });
  await buildReport(dir);
  assert.match(
    readFileSync(join(dir, 'summary.md'), 'utf8'),
    /samples\.csv ended in a torn row \(cut mid-write\), which was dropped; the rows before it are all here\./,
  );
});
