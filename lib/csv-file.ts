import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';

type Cell = string | number | boolean | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return v;
}

/**
 * Appends rows to a CSV file one at a time with a synchronous write each, so a run that is killed keeps every
 * row it measured (an in-process stream buffer would lose its tail on SIGKILL).
 */
export class CsvAppender<C extends string> {
  constructor(
    readonly path: string,
    private readonly columns: readonly C[],
  ) {
    if (!existsSync(path) || statSync(path).size === 0) {
      appendFileSync(path, stringify([columns as readonly string[]]));
    }
  }

  append(row: Record<C, Cell>): void {
    appendFileSync(this.path, stringify([this.columns.map((c) => cell(row[c]))]));
  }
}

/** Writes a whole CSV file at once (summaries). */
export function writeCsv<C extends string>(
  path: string,
  columns: readonly C[],
  rows: readonly Record<C, Cell>[],
): string {
  const text = stringify([columns as readonly string[], ...rows.map((r) => columns.map((c) => cell(r[c])))]);
  writeFileSync(path, text);
  return text;
}

/** Reads a CSV with a header row; every value stays a string. Throws when required columns are missing. */
export function readCsv(path: string, requiredColumns: readonly string[] = []): Record<string, string>[] {
  const text = readFileSync(path, 'utf8');
  const rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: false }) as Record<
    string,
    string
  >[];
  const header = text.slice(0, text.indexOf('\n')).split(',');
  const missing = requiredColumns.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return rows;
}
