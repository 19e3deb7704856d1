/**
 * The verdict table at the top of the page: every claim C1–C12, answered by the section of its scenario when
 * the run measured it, else "not run" with the command that would measure it.
 */
import { CLAIMS, benchCommand, scenarioFor, type Claim } from './claims.ts';
import type { Evidence, SectionOutput, Verdict, VerdictKind } from './sections/types.ts';

/** What the report made of one scenario of the run. */
export interface SectionResult {
  /** Anchor id in the page. */
  id: string;
  scenario: string;
  title: string;
  claims: string[];
  output: SectionOutput | null;
  /** Why there is no output, or what went wrong building it (shown instead of charts). */
  notice: string | null;
}

export interface VerdictRow {
  claim: Claim;
  kind: VerdictKind;
  figure: string;
  reason?: string;
  rule?: string;
  /** Anchor of the section with the charts behind the verdict. */
  sectionId?: string;
  /** For claims not measured: the command that would. */
  command?: string;
  /** False when this version of the bench has no such scenario yet. */
  scenarioAvailable: boolean;
  evidence?: Evidence;
  /** Lines other sections add about this claim (e.g. "a browser: …"), whatever the verdict's kind; absent when none. */
  addenda?: string[];
}

/** "n = 40 + 40 trials (Y < X, Y > X); strong evidence", or '' where the verdict does not say yet. */
export function evidenceText(e: Evidence | undefined): string {
  return e ? `${e.n}; ${e.strength === 'strong' ? 'strong evidence' : 'inconclusive'}` : '';
}

export const VERDICT_LABEL: Record<VerdictKind, string> = {
  confirmed: 'confirmed',
  refuted: 'refuted',
  depends: 'depends',
  not_run: 'not run',
};

/** The lines every section of the run adds to the claim's verdict, in section order. */
function addendaFor(sections: readonly SectionResult[], claimId: string): string[] {
  return sections.flatMap((s) => (s.output?.addenda ?? []).filter((a) => a.claim === claimId).map((a) => a.text));
}

export function verdictRows(sections: readonly SectionResult[]): VerdictRow[] {
  return CLAIMS.map((claim): VerdictRow => {
    const row = verdictRow(sections, claim);
    const addenda = addendaFor(sections, claim.id);
    return addenda.length > 0 ? { ...row, addenda } : row;
  });
}

/** The claim's row from the section that answers it (or why none does), before other sections' addenda. */
function verdictRow(sections: readonly SectionResult[], claim: Claim): VerdictRow {
  const scenario = scenarioFor(claim);
  const scenarioAvailable = scenario !== undefined;
  // A claim two scenarios measure (C7: lifecycle with the harness's servers, policy with any) is answered by
  // the first that gave a verdict in this run.
  const section =
    sections.find((s) => s.claims.includes(claim.id) && s.output?.verdicts.some((v) => v.claim === claim.id)) ??
    sections.find((s) => s.claims.includes(claim.id));
  const verdict: Verdict | undefined = section?.output?.verdicts.find((v) => v.claim === claim.id);
  if (section && verdict) {
    const row: VerdictRow = {
      claim,
      kind: verdict.kind,
      figure: verdict.figure,
      sectionId: section.id,
      scenarioAvailable,
    };
    if (verdict.reason !== undefined) row.reason = verdict.reason;
    if (verdict.rule !== undefined) row.rule = verdict.rule;
    if (verdict.evidence !== undefined) row.evidence = verdict.evidence;
    return row;
  }
  if (section?.output && !verdict && section.output.verdicts.length > 0) {
    // The section judges other claims of its scenario: this one's part was left out of the run.
    return {
      claim,
      kind: 'not_run',
      figure: `the ${section.scenario} scenario ran without this claim's part (--quick leaves out the slow ones)`,
      command: benchCommand(claim),
      sectionId: section.id,
      scenarioAvailable,
    };
  }
  if (section?.output && !verdict) {
    return {
      claim,
      kind: 'depends',
      reason: `needs a report section for the ${section.scenario} scenario, which this version does not have`,
      figure: 'measured: its medians are in the section below',
      sectionId: section.id,
      scenarioAvailable,
    };
  }
  const figure =
    section?.notice ?? (scenarioAvailable ? 'not measured in this run' : 'no scenario of this version measures it yet');
  const row: VerdictRow = { claim, kind: 'not_run', figure, command: benchCommand(claim), scenarioAvailable };
  if (section) row.sectionId = section.id;
  return row;
}

export function verdictCounts(rows: readonly VerdictRow[]): Record<VerdictKind, number> {
  const out: Record<VerdictKind, number> = { confirmed: 0, refuted: 0, depends: 0, not_run: 0 };
  for (const r of rows) out[r.kind]++;
  return out;
}
