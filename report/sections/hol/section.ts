/**
 * The hol scenario's section: reads hol-pipelining.csv, hol-app.csv, hol-pages.csv and load.csv, works out the figures and the
 * verdicts on C4 and C5 (analysis.ts) and lays them out as charts, tables and caveats (view.ts).
 */
import { readScenarioCsv, type RunFolder } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { holFigures, holVerdicts, type HolRows } from './analysis.ts';
import { holView } from './view.ts';

const CLAIM_SENTENCE =
  'HTTP/1.1 pipelining needs keep-alive but a slow response blocks those queued behind it (C4); HTTP/2 multiplexes streams on one connection and beats HTTP/1.1 keep-alive — but one lost packet stalls all its streams (C5).';

function readHolRows(dir: string): HolRows {
  return {
    pipelining: readScenarioCsv(dir, 'hol-pipelining'),
    app: readScenarioCsv(dir, 'hol-app'),
    pages: readScenarioCsv(dir, 'hol-pages'),
    load: readScenarioCsv(dir, 'load'),
  };
}

export function buildHol(run: RunFolder): SectionOutput {
  const figs = holFigures(readHolRows(run.dir));
  const { specs, tables, caveats } = holView(figs);
  return { claimSentence: CLAIM_SENTENCE, verdicts: holVerdicts(figs), specs, tables, caveats };
}

export const holSection: ReportSection = {
  scenario: 'hol',
  build: buildHol,
};
