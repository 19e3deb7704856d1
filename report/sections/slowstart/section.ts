/**
 * The slow-start scenario's section: C2 (keep-alive also skips slow start's first rounds), from summary.csv
 * (medians, model_ms from bench/scenarios/slowstart/model.ts), tcpinfo.csv (the server socket's cwnd during
 * traced transfers) and slowstart-skipped.csv (what the kernel did not allow). Figures and the verdict are
 * ./analysis.ts's, charts, tables and caveats ./view.ts's.
 */
import { readScenarioCsv, type RunFolder } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { analyseSlowstart } from './analysis.ts';
import { slowstartCaveats, slowstartCharts, slowstartTables } from './view.ts';

export function buildSlowstart(run: RunFolder): SectionOutput {
  const a = analyseSlowstart(
    run.summary,
    readScenarioCsv(run.dir, 'tcpinfo'),
    readScenarioCsv(run.dir, 'slowstart-skipped'),
    run.samples,
  );
  return {
    claimSentence:
      'Keep-alive saves more than the handshake: a reused connection has already grown its congestion window — unless it sat idle long enough for Linux to shrink it again.',
    verdicts: [a.verdict],
    specs: slowstartCharts(a),
    tables: slowstartTables(a),
    caveats: slowstartCaveats(a),
  };
}

export const slowstartSection: ReportSection = {
  scenario: 'slowstart',
  build: buildSlowstart,
};
