/** Copies a hand-made run folder (test/fixtures/report-*) to a temporary folder: the report writes into it. */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A fresh copy of test/fixtures/<name>, removed when the test ends (pass or fail). */
export function copyFixture(t: TestContext, name: string): string {
  const root = mkdtempSync(join(tmpdir(), 'kab-report-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}
