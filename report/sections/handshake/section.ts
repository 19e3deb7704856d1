/**
 * The handshake scenario's section: from summary.csv's medians to the C1/C3 verdicts (analysis.ts), the charts
 * (charts.ts), the tables and caveats (tables.ts).
 */
import type { RunFolder } from '../../load-run.ts';
import { figuresOf } from '../../../lib/figures.ts';
import { handshakeSavings, variantKey } from '../../../bench/scenarios/handshake/savings.ts';
import type { ChartSpec, ReportSection, SectionOutput } from '../types.ts';
import { c3Trends, noReuseOf, profileInfos, sortVariants, verdictC1, verdictC3 } from './analysis.ts';
import { latencyChart, phaseChart, rttTrendChart, savingChart } from './charts.ts';
import { caveatsFor, latencyTable, savingTable } from './tables.ts';
import { loadTwoMethods, twoMethodsCaveat, twoMethodsTable } from './micro.ts';

export function buildHandshake(run: RunFolder): SectionOutput {
  const figures = figuresOf(run.summary, 'handshake');
  const totals = figures.filter((f) => f.metric === 'total_ms');
  const savings = handshakeSavings(totals);
  const profiles = profileInfos(run, totals);
  const variants = sortVariants(totals.map(variantKey));
  const specs: ChartSpec[] = [];
  if (totals.some((f) => f.median !== null)) specs.push(latencyChart(totals, profiles, variants));
  if (savings.length > 0) specs.push(savingChart(savings, profiles, variants));
  if (c3Trends(savings).length > 0) specs.push(rttTrendChart(savings, variants));
  if (totals.some((f) => f.median !== null)) specs.push(phaseChart(figures, profiles, variants));
  const methods = loadTwoMethods(run, totals);
  const methodsCaveat = twoMethodsCaveat(methods);
  return {
    claimSentence:
      'Reusing a connection skips the TCP handshake (1 RTT) — and with TLS the TLS handshake (1 RTT for TLS 1.3, 2 for TLS 1.2) — on every request after the first, so the saving in milliseconds grows with the RTT.',
    verdicts: [verdictC1(savings, noReuseOf(run.samples)), verdictC3(savings, profiles.length)],
    specs,
    tables: [
      savingTable(savings, profiles, variants),
      latencyTable(figures, totals, profiles, variants),
      twoMethodsTable(methods),
    ].filter((t) => t.rows.length > 0),
    caveats: [...caveatsFor(run, figures, totals), ...(methodsCaveat ? [methodsCaveat] : [])],
  };
}

export const handshakeSection: ReportSection = {
  scenario: 'handshake',
  build: buildHandshake,
};
