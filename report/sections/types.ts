/**
 * The one interface every scenario's report section implements: from the run's files to a claim sentence,
 * verdicts, Vega-Lite charts, tables and caveats. The page and summary.md are built from these alone.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { RunFolder } from '../load-run.ts';

export type VegaLiteSpec = TopLevelSpec;

/** 'not_run': the claim's scenario is absent from the run (never produced by a section). */
export type VerdictKind = 'confirmed' | 'refuted' | 'depends' | 'not_run';

export interface Verdict {
  claim: string;
  kind: VerdictKind;
  /** The key figure in words, e.g. "keep-alive saves 2.11 RTT = 107.6 ms per request over TLS 1.3 at 50 ms RTT (model 2.00 RTT)". */
  figure: string;
  /** For 'depends' (and 'refuted'): on what, in a few words. */
  reason?: string;
  /** The numbers behind the figure, unit in each name (kept for summary.md and later comparison). */
  numbers: Record<string, number | null>;
  /** How the verdict is decided, in one sentence (shown beside it). */
  rule?: string;
  /** How much the data behind the verdict say: its sample size and whether its CI settles the question. */
  evidence?: Evidence;
}

/**
 * strong: the CI of the deciding difference or rate excludes the alternative; inconclusive: it does not (or the
 * samples are too few for one), so the verdict is what the data lean to, not what they show.
 */
export interface Evidence {
  /** The sample size in words, e.g. "5 + 5 pages a side per loss rate", "n = 40 trials a case". */
  n: string;
  strength: 'strong' | 'inconclusive';
}

export interface ChartSpec {
  /** Stable id within the page (letters, digits, dashes). */
  id: string;
  title: string;
  /** One line under the chart: what to look at. */
  caption: string;
  spec: VegaLiteSpec;
}

export type Cell = string | number | null;

export interface TableColumn {
  label: string;
  /** Unit shown in the header, e.g. "ms". */
  unit?: string;
  /** Right-aligned numeric column. */
  numeric?: boolean;
}

export interface Table {
  title: string;
  columns: TableColumn[];
  rows: Cell[][];
}

/**
 * A line a section adds under another section's verdict (the browser's page loads under C1, C5 and C12): what its
 * own measurements say about that claim. It does not change the verdict.
 */
export interface Addendum {
  claim: string;
  /** One sentence, units in every figure and n stated, e.g. "a browser: h2 456 ms vs h1 keep-alive 619 ms …". */
  text: string;
}

export interface SectionOutput {
  claimSentence: string;
  verdicts: Verdict[];
  specs: ChartSpec[];
  tables: Table[];
  caveats: string[];
  /** Lines for other claims' verdicts (shown with the verdict, whoever gives it, even when it was not run). */
  addenda?: Addendum[];
}

/** A scenario's section of the report; its title and claims are the scenario definition's. */
export interface ReportSection {
  /** Scenario name as in meta.json and the CSVs (handshake, slowstart, …). */
  scenario: string;
  build(run: RunFolder): SectionOutput;
}
