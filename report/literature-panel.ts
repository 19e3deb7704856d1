/**
 * The literature panel: each claim's verdict in this run beside what the published record says (literature.ts),
 * and whether they agree. A verdict a source does not support is shown as disagreeing, never hidden.
 */
import { CITATIONS, type Citation } from './literature.ts';
import type { VerdictRow } from './verdicts.ts';

export type Agreement = 'agrees' | 'disagrees' | 'not settled' | 'not measured';

export interface LiteratureRow {
  claim: string;
  verdict: VerdictRow['kind'];
  citation: Citation;
  agreement: Agreement;
}

export function literatureRows(
  verdicts: readonly VerdictRow[],
  citations: readonly Citation[] = CITATIONS,
): LiteratureRow[] {
  return verdicts.flatMap((v) =>
    citations
      .filter((c) => c.claim === v.claim.id)
      .map((citation): LiteratureRow => ({
        claim: v.claim.id,
        verdict: v.kind,
        citation,
        agreement:
          v.kind === 'not_run'
            ? 'not measured'
            : unsettled(v)
              ? 'not settled'
              : citation.agrees_with.includes(v.kind)
                ? 'agrees'
                : 'disagrees',
      })),
  );
}

/**
 * A verdict that leans but does not show: its evidence is inconclusive (a CI that spans the alternative, too few
 * samples), or it is a "depends" for want of data. Neither agrees nor disagrees with a source.
 */
function unsettled(v: VerdictRow): boolean {
  if (v.evidence?.strength === 'inconclusive') return true;
  return v.kind === 'depends' && /^no (figure|data|comparison|h2 data)$/.test(v.figure);
}

/** "RFC 1122 §4.2.3.6: states … — “quote” (checked: …)" in one line, for the page and summary.md. */
export function citationText(c: Citation): string {
  const quote = c.quote ? ` — “${c.quote}”` : '';
  return `${c.source}, ${c.where}: ${c.states}${quote} (${c.checked ? `checked: ${c.checked}` : 'unchecked here'})`;
}
