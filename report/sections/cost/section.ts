/**
 * The cost scenario's section (C6, C11), from cost.csv of the run: one row per measured figure (metric, value,
 * unit) with the case's tags. C6: what each idle kept-alive connection costs the server, h1 vs h2, and what
 * clients see past the server's FD limit. C11: churn without keep-alive against keep-alive at the same rates.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../../lib/csv-file.ts';
import { readScenarioCsv, type CsvRow, type RunFolder } from '../../load-run.ts';
import { microTasks, type MicroTask } from '../handshake/micro.ts';
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

/**
 * C11's CPU ratio comes from churn runs through the link; beside it the handshake scenario's in-process
 * measurement (tinybench, handshake-micro.csv) gives the same ratio a second way: the CPU of a request on a new
 * HTTP/1.1 connection over one on a kept-alive connection, client and server in one process.
 */
export function withInProcessCpu(out: SectionOutput, tasks: readonly MicroTask[]): SectionOutput {
  const cpu = (mode: string): number | null =>
    tasks.find((t) => t.protocol === 'h1' && t.security === 'none' && t.conn_mode === mode)?.cpu_per_op_ms ?? null;
  const fresh = cpu('new');
  const kept = cpu('reused');
  if (fresh === null || kept === null || kept <= 0) return out;
  const ratio = fresh / kept;
  const verdicts = out.verdicts.map((v) => {
    if (v.claim !== 'C11') return v;
    const churn = v.numbers.cpu_ratio_median ?? null;
    const same =
      churn === null
        ? ''
        : churn > 1 === ratio > 1
          ? `; both methods: keep-alive costs ${ratio > 1 ? 'less' : 'no less'} CPU per request`
          : '; the two methods disagree on which costs less';
    return {
      ...v,
      figure: `${v.figure}; in-process (tinybench, client + server in one process, no link): a request on a new HTTP/1.1 connection cost ${ratio.toFixed(2)}× the CPU of one on a kept-alive connection (${fresh.toFixed(3)} vs ${kept.toFixed(3)} ms)${same}`,
      numbers: { ...v.numbers, inprocess_cpu_ratio_h1: ratio },
    };
  });
  return { ...out, verdicts };
}

export const costSection: ReportSection = {
  scenario: 'cost',
  build(run: RunFolder): SectionOutput {
    return withInProcessCpu(
      buildCostSection(loadCostRows(run)),
      microTasks(readScenarioCsv(run.dir, 'handshake-micro')),
    );
  },
};
