/**
 * The cost scenario's section (C6, C11), from cost.csv of the run: one row per measured figure (metric, value,
 * unit) with the case's tags. C6: what each idle kept-alive connection costs the server, h1 vs h2, and what
 * clients see past the server's FD limit. C11: churn without keep-alive against keep-alive at the same rates.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../../lib/csv-file.ts';
import type { CsvRow, RunFolder } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { costFigures } from './analysis.ts';
import { costCaveats, costCharts, costTables } from './view.ts';

const CLAIM_SENTENCE =
  'Idle keep-alive connections cost the server file descriptors and memory (C6); turning keep-alive off for short, high-churn traffic trades that for handshakes, CPU, TIME_WAIT and ports (C11).';

export function loadCostRows(run: Pick<RunFolder, 'dir'>): CsvRow[] {
  const path = join(run.dir, 'cost.csv');
  return existsSync(path) ? readCsv(path, ['part', 'case_key', 'metric', 'value']) : [];
}

export function buildCostSection(rows: readonly CsvRow[]): SectionOutput {
  const figures = costFigures(rows);
  return {
    claimSentence: CLAIM_SENTENCE,
    verdicts: figures.verdicts,
    specs: costCharts(figures),
    tables: costTables(figures),
    caveats: costCaveats(figures),
  };
}

export const costSection: ReportSection = {
  scenario: 'cost',
  build(run: RunFolder): SectionOutput {
    return buildCostSection(loadCostRows(run));
  },
};
