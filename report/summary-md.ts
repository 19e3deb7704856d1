/**
 * summary.md: the verdict table and the headline numbers in Markdown, fit for a CI job summary
 * (e.g. `cat results/latest/summary.md >> "$GITHUB_STEP_SUMMARY"`).
 */
import { citationText } from './literature-panel.ts';
import { fmtNumber } from './html.ts';
import type { ReportModel } from './model.ts';
import type { Cell, Table } from './sections/types.ts';
import { VERDICT_LABEL, evidenceText, type VerdictRow } from './verdicts.ts';

/** One table cell: no pipes or line breaks, and no raw HTML (GitHub renders it). */
export function mdCell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function mdTable(header: readonly string[], rows: readonly string[][]): string {
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

function cellText(c: Cell): string {
  if (c === null) return '—';
  return typeof c === 'number' ? fmtNumber(c) : c;
}

export function tableToMd(t: Table): string {
  const header = t.columns.map((c) => (c.unit ? `${c.label} (${c.unit})` : c.label));
  return `**${mdCell(t.title)}**\n\n${mdTable(
    header,
    t.rows.map((r) => r.map(cellText)),
  )}`;
}

/** The figure (for a claim not run: why), then other sections' lines on the claim, in italics. */
function figureText(r: VerdictRow): string {
  return [r.figure, ...(r.addenda ?? []).map((a) => `*${a}*`)].join(' · ');
}

function verdictText(r: VerdictRow): string {
  const label = r.kind === 'confirmed' || r.kind === 'refuted' ? `**${VERDICT_LABEL[r.kind]}**` : VERDICT_LABEL[r.kind];
  const text = r.reason ? `${label}: ${r.reason}` : label;
  return r.evidence ? `${text} (${evidenceText(r.evidence)})` : text;
}

export function renderSummaryMd(m: ReportModel, htmlPath: string): string {
  const lines: string[] = [];
  lines.push(`## keepalive-bench · run ${mdCell(m.runId)}`, '');
  lines.push(
    `Status **${m.status.kind}** · link \`${m.linkBackend}\` · profiles ${mdCell(m.profiles.join(', ') || '—')} · ${m.sampleCount} requests measured, ${m.failedCount} failed`,
    '',
  );
  lines.push(`Server under test: ${mdCell(m.serverUnderTest)}`, '');
  if (m.status.text) lines.push(`> **${mdCell(m.status.text)}**`, '');
  const measured = m.verdicts.filter((r) => r.kind !== 'not_run');
  const notRun = m.verdicts.filter((r) => r.kind === 'not_run');
  if (measured.length > 0) {
    lines.push(
      mdTable(
        ['claim', 'verdict', 'key figure'],
        measured.map((r) => [`${r.claim.id} ${r.claim.text}`, verdictText(r), figureText(r)]),
      ),
      '',
    );
  } else {
    lines.push('No claim was measured in this run.', '');
  }
  if (notRun.length > 0) {
    lines.push(
      '<details><summary>Not measured in this run</summary>',
      '',
      mdTable(
        ['claim', 'why', 'command'],
        notRun.map((r) => [`${r.claim.id} ${r.claim.text}`, figureText(r), r.command ?? '']),
      ),
      '',
      '</details>',
      '',
    );
  }
  if (m.literature.length > 0) {
    const differ = m.literature.filter((r) => r.agreement === 'disagrees').length;
    const judged = m.literature.filter((r) => r.agreement === 'agrees' || r.agreement === 'disagrees').length;
    lines.push(
      `<details><summary>The published record beside each claim (this run disagrees with ${differ} of the ${judged} sources it settles; ${m.literature.length} in all)</summary>`,
      '',
      mdTable(
        ['claim', 'this run', 'source', 'agreement'],
        m.literature.map((r) => [r.claim, VERDICT_LABEL[r.verdict], citationText(r.citation), r.agreement]),
      ),
      '',
      '</details>',
      '',
    );
  }
  for (const s of m.sections) {
    lines.push(`### ${mdCell(s.title)}`, '');
    if (s.notice) lines.push(mdCell(s.notice), '');
    if (!s.output) continue;
    const headline = s.output.tables[0];
    if (headline) lines.push(tableToMd(headline), '');
    const caveats = s.output.caveats.slice(0, 6);
    if (caveats.length) lines.push(...caveats.map((c) => `- ${mdCell(c)}`), '');
  }
  lines.push(`Full report with charts: \`${htmlPath}\``, '');
  return lines.join('\n');
}
