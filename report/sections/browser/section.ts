/**
 * The browser scenario's section: reads browser-pages.csv, works out the figures (analysis.ts), lays them out
 * (view.ts) and adds a browser line to the verdicts of C1, C5 and C12 (addenda.ts). It owns no claim.
 */
import { readScenarioCsv, type RunFolder } from '../../load-run.ts';
import type { ReportSection, SectionOutput } from '../types.ts';
import { browserAddenda } from './addenda.ts';
import { browserFigures } from './analysis.ts';
import { browserView } from './view.ts';

const CLAIM_SENTENCE =
  'What keep-alive buys a real browser: Chromium loads a page of 41 resources (1 × 100 KB + 40 × 10 KB) over the emulated link on h2, on HTTP/1.1 with keep-alive and with Connection: close — cold, warm on its open connections and resumed after the server closed them — beside the harness’s own loads of the same page.';

export function buildBrowser(run: RunFolder): SectionOutput {
  const figs = browserFigures(readScenarioCsv(run.dir, 'browser-pages'));
  const { specs, tables, caveats } = browserView(figs);
  return { claimSentence: CLAIM_SENTENCE, verdicts: [], specs, tables, caveats, addenda: browserAddenda(figs) };
}

export const browserSection: ReportSection = { scenario: 'browser', build: buildBrowser };
