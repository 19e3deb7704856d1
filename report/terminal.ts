/**
 * The verdict table for a terminal, as `npm run bench` ends (and `npm run report` prints): one line per claim the
 * run measured — claim, verdict with its evidence in short, the key figure cut to fit the line, and under it what
 * other sections add about the claim ("a browser: …") — then one "not run: …" line per command that would measure
 * the rest. Pure: a presenter of finished verdict rows.
 */
import type { RunStatusInfo } from './environment.ts';
import { VERDICT_LABEL, type VerdictRow } from './verdicts.ts';

/** Width when the stream is not a terminal (a log, a pipe): wide enough for the figure, narrow enough to read. */
export const DEFAULT_TERMINAL_WIDTH = 120;
const MIN_WIDTH = 60;
const MAX_WIDTH = 160;

/** The width to lay the table out for: the terminal's own (within 60–160 columns), else 120. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const cols = stream.isTTY ? stream.columns : undefined;
  if (cols === undefined || !Number.isFinite(cols) || cols <= 0) return DEFAULT_TERMINAL_WIDTH;
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, Math.floor(cols)));
}

/** "confirmed · strong", "depends · inconclusive", "refuted" (no evidence recorded), "not run". */
export function verdictCell(r: VerdictRow): string {
  const label = VERDICT_LABEL[r.kind];
  return r.evidence ? `${label} · ${r.evidence.strength}` : label;
}

/** A place a text may be cut: the text kept ends before `end`; `open` brackets are open there. */
interface Cut {
  end: number;
  open: string[];
  kind: 'clause' | 'comma' | 'word';
}

/** The places to cut a text within `max` characters (room kept for the ellipsis and the brackets to close). */
function cutsOf(t: string, max: number): Cut[] {
  const cuts: Cut[] = [];
  const open: string[] = [];
  for (let i = 0; i < t.length && i < max; i++) {
    const c = t[i]!;
    if (c === '(' || c === '[') open.push(c === '(' ? ')' : ']');
    else if ((c === ')' || c === ']') && open.length > 0) open.pop();
    if (c !== ' ') continue;
    const prev = t[i - 1];
    let cut: Cut = { end: i, open: [...open], kind: 'word' };
    if (prev === ';' || (prev === '.' && !/\d/.test(t[i - 2] ?? ''))) cut = { ...cut, end: i - 1, kind: 'clause' };
    else if (prev === '—' && t[i - 2] === ' ') cut = { ...cut, end: i - 2, kind: 'clause' };
    else if (prev === ',') cut = { ...cut, end: i - 1, kind: 'comma' };
    if (cut.end + 1 + cut.open.length <= max) cuts.push(cut);
  }
  return cuts;
}

/** The text kept, no dangling separator, the ellipsis, and the brackets left open closed. */
function closeCut(t: string, cut: Cut): string {
  const kept = t.slice(0, cut.end).replace(/[\s,;:—–=+≥≤<>→≙×~-]+$/u, '');
  return `${kept}…${[...cut.open].reverse().join('')}`;
}

/**
 * The text cut to at most `max` characters with "…", keeping as much of it as reads well: after a clause
 * ("; ", ". ", " — ") or a comma outside brackets, else between words outside brackets when that keeps most of
 * the line, else after a clause or comma inside brackets (closed after the ellipsis), else between any words,
 * else hard. Whitespace runs become one space.
 */
export function shorten(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  if (max <= 1) return '…'.slice(0, Math.max(0, max));
  const cuts = cutsOf(t, max);
  const last = (ok: (c: Cut) => boolean, share: number): Cut | undefined =>
    cuts.filter((c) => ok(c) && c.end >= Math.floor(max * share)).at(-1);
  const outside = (c: Cut): boolean => c.open.length === 0;
  const cut =
    last((c) => outside(c) && c.kind === 'clause', 0.5) ??
    last((c) => outside(c) && c.kind === 'comma', 0.6) ??
    last(outside, 0.6) ??
    last((c) => c.kind !== 'word', 0.5) ??
    last(outside, 0.4) ??
    last(() => true, 0.4);
  return cut ? closeCut(t, cut) : `${t.slice(0, max - 1)}…`;
}

const GENERIC_NOT_RUN = 'not measured in this run';

/** "not run: C6, C11 (npm run bench -- --scenario cost)", one line per command (and reason, when there is one). */
export function notRunLines(rows: readonly VerdictRow[], width = DEFAULT_TERMINAL_WIDTH): string[] {
  const groups = new Map<string, { ids: string[]; command: string; why: string }>();
  for (const r of rows) {
    if (r.kind !== 'not_run') continue;
    const why = r.figure.replace(/^not measured in this run(: )?/, '');
    const command = r.scenarioAvailable ? (r.command ?? '') : '';
    const key = `${command}\n${why}`;
    const g = groups.get(key) ?? { ids: [], command, why };
    g.ids.push(r.claim.id);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const head = `not run: ${g.ids.join(', ')}${g.command ? ` (${g.command})` : ''}`;
    const why = g.why === '' || g.why === GENERIC_NOT_RUN ? '' : g.why;
    if (why === '') return head;
    return `${head}: ${shorten(why, Math.max(20, width - head.length - 2))}`;
  });
}

/** "  C5: a browser: h2 456 ms vs …": what other sections add to a claim this run did not measure, indented. */
export function notRunAddendaLines(rows: readonly VerdictRow[], width = DEFAULT_TERMINAL_WIDTH): string[] {
  return rows
    .filter((r) => r.kind === 'not_run')
    .flatMap((r) =>
      (r.addenda ?? []).map((a) => {
        const head = `  ${r.claim.id}: `;
        return `${head}${shorten(a, Math.max(20, width - head.length))}`;
      }),
    );
}

export interface VerdictTableOptions {
  /** Columns a line may take (default 120). */
  width?: number;
  /** The run's status: a run that did not complete gets a note under the table. */
  status?: RunStatusInfo;
}

/**
 * The lines of the verdict table: a header, one line per measured claim (figure shortened to the width) with an
 * indented line under it per addendum, the "not run" lines and the addenda of claims not run, and a note when the
 * run did not complete. Empty rows give a line that says so.
 */
export function verdictTableLines(rows: readonly VerdictRow[], opts: VerdictTableOptions = {}): string[] {
  const width = opts.width ?? DEFAULT_TERMINAL_WIDTH;
  const measured = rows.filter((r) => r.kind !== 'not_run');
  const out: string[] = [];
  if (measured.length === 0) {
    out.push('verdicts: no claim was measured in this run');
  } else {
    const header = ['claim', 'verdict', 'key figure'] as const;
    const idWidth = Math.max(header[0].length, ...measured.map((r) => r.claim.id.length));
    const verdictWidth = Math.max(header[1].length, ...measured.map((r) => verdictCell(r).length));
    const figureWidth = Math.max(20, width - idWidth - verdictWidth - 4);
    const line = (id: string, verdict: string, figure: string): string =>
      `${id.padEnd(idWidth)}  ${verdict.padEnd(verdictWidth)}  ${figure}`.trimEnd();
    out.push(line(header[0], header[1], header[2]));
    for (const r of measured) {
      out.push(line(r.claim.id, verdictCell(r), shorten(r.figure, figureWidth)));
      // Other sections' lines on the claim, indented under its figure.
      for (const a of r.addenda ?? []) out.push(line('', '', shorten(a, figureWidth)));
    }
  }
  out.push(...notRunLines(rows, width));
  out.push(...notRunAddendaLines(rows, width));
  if (opts.status && opts.status.kind !== 'completed' && opts.status.text) out.push(`note: ${opts.status.text}`);
  return out;
}
