/** Writes compare.md, compare.csv and compare.html into one folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../bench/lib/errors.ts';
import { renderCsv } from './csv.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import type { CompareResult } from './types.ts';

export interface CompareOutputs {
  markdown: string;
  mdPath: string;
  csvPath: string;
  htmlPath: string;
}

export function writeCompareOutputs(res: CompareResult, outDir: string): CompareOutputs {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create the output folder ${outDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const markdown = renderMarkdown(res);
  const mdPath = join(outDir, 'compare.md');
  const csvPath = join(outDir, 'compare.csv');
  const htmlPath = join(outDir, 'compare.html');
  writeFileSync(mdPath, markdown);
  writeFileSync(csvPath, renderCsv(res));
  writeFileSync(htmlPath, renderHtml(res));
  return { markdown, mdPath, csvPath, htmlPath };
}
