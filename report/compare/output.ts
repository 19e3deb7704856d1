/** Writes compare.md, compare.csv, compare.json and compare.html into one folder, each whole or not at all. */
import { mkdirSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../lib/atomic-file.ts';
import { ownWritten } from '../../lib/ownership.ts';
import { join } from 'node:path';
import { UserError } from '../../lib/errors.ts';
import { renderCsv } from './csv.ts';
import { renderHtml } from './html.ts';
import { renderErrorJson, renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import type { CompareResult } from './types.ts';

export interface CompareOutputs {
  markdown: string;
  mdPath: string;
  csvPath: string;
  jsonPath: string;
  htmlPath: string;
}

function makeDir(outDir: string): void {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create the output folder ${outDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** A reader (CI's summary step) sees the old file or the new one, never half of one. */
const writeWhole = writeFileAtomic;

export function writeCompareOutputs(res: CompareResult, outDir: string): CompareOutputs {
  makeDir(outDir);
  // A write that fails half-way must not leave an earlier compare's verdict beside the new files.
  for (const f of ['compare.md', 'compare.json']) rmSync(join(outDir, f), { force: true });
  const markdown = renderMarkdown(res);
  const paths = {
    mdPath: join(outDir, 'compare.md'),
    csvPath: join(outDir, 'compare.csv'),
    jsonPath: join(outDir, 'compare.json'),
    htmlPath: join(outDir, 'compare.html'),
  };
  writeWhole(paths.csvPath, renderCsv(res));
  writeWhole(paths.htmlPath, renderHtml(res));
  // Last the two that carry the verdict: a reader that finds compare.md finds the rest.
  writeWhole(paths.jsonPath, renderJson(res));
  writeWhole(paths.mdPath, markdown);
  ownWritten([paths.csvPath, paths.htmlPath, paths.jsonPath, paths.mdPath], outDir);
  return { markdown, ...paths };
}

/**
 * A compare that could not run (a run folder missing or unreadable) still leaves its reason where CI looks:
 * compare.md and compare.json say "error, exit 2" and why. Stale compare.csv/html from an earlier compare in
 * the same folder would contradict them, so they are not left behind.
 */
export function writeCompareError(message: string, outDir: string): void {
  makeDir(outDir);
  writeWhole(join(outDir, 'compare.json'), renderErrorJson(message));
  writeWhole(
    join(outDir, 'compare.md'),
    `## keepalive-bench compare\n\n### Gate: ⛔ **error** (exit 2): the comparison could not run\n\n${message}\n`,
  );
  for (const f of ['compare.csv', 'compare.html']) rmSync(join(outDir, f), { force: true });
  ownWritten([join(outDir, 'compare.json'), join(outDir, 'compare.md')], outDir);
}
