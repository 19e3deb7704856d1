/**
 * The lifecycle scenario's section (C7, C8, C9, C10, C12), from lifecycle.csv of the run: one row per trial.
 * Times in that file are scaled 1:time_scale; every figure states what it stands for. Figures and verdicts are
 * ./analysis.ts's, charts, tables and caveats ./view.ts's.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../../lib/csv-file.ts';
import { numberOrNull } from '../../../lib/numbers.ts';
import type { CsvRow, RunFolder } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { analyseLifecycle } from './analysis.ts';
import { lifecycleCaveats, lifecycleCharts, lifecycleTables } from './view.ts';

export function loadLifecycleRows(run: Pick<RunFolder, 'dir'>): CsvRow[] {
  const path = join(run.dir, 'lifecycle.csv');
  return existsSync(path) ? readCsv(path, ['part', 'case_key', 'outcome']) : [];
}

export function buildLifecycle(rows: readonly CsvRow[], scale: number, linkBackend = ''): SectionOutput {
  const a = analyseLifecycle(rows, scale, linkBackend);
  return {
    claimSentence:
      'Most keep-alive incidents are connections one side thinks alive and the other has dropped: idle timeouts between LB and server (C8), servers closing before TCP keepalive probes (C7), NATs forgetting idle flows (C9), crashed peers (C10); and pools reuse what stays open (C12).',
    verdicts: a.verdicts,
    specs: lifecycleCharts(a),
    tables: lifecycleTables(a),
    caveats: lifecycleCaveats(a),
  };
}

export const lifecycleSection: ReportSection = {
  scenario: 'lifecycle',
  build(run) {
    const rows = loadLifecycleRows(run);
    const scale = numberOrNull(rows[0]?.time_scale) ?? 10;
    const link = (run.meta.link ?? {}) as { backend?: unknown };
    return buildLifecycle(rows, scale, typeof link.backend === 'string' ? link.backend : '');
  },
};
