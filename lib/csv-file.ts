import { appendFileSync, existsSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.ts';
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
  /** The file's length after the last whole row: where a failed write is cut back to. */
  private size_bytes: number;

  constructor(
    readonly path: string,
    private readonly columns: readonly C[],
  ) {
    if (!existsSync(path) || statSync(path).size === 0) {
      appendFileSync(path, stringify([columns as readonly string[]]));
    }
    this.size_bytes = statSync(path).size;
  }

  /** A write that fails part-way (a full disk) is cut back off, so the file never ends in half a row. */
  append(row: Record<C, Cell>): void {
    const line = Buffer.from(stringify([this.columns.map((c) => cell(row[c]))]), 'utf8');
    try {
      appendFileSync(this.path, line);
    } catch (e) {
      try {
        truncateSync(this.path, this.size_bytes);
      } catch {
        // the write's own error says more
      }
      throw e;
    }
    this.size_bytes += line.length;
  }
}

/** Writes a whole CSV file at once (summaries), replacing any earlier one whole or not at all. */
export function writeCsv<C extends string>(
  path: string,
  columns: readonly C[],
  rows: readonly Record<C, Cell>[],
): string {
  const text = stringify([columns as readonly string[], ...rows.map((r) => columns.map((c) => cell(r[c])))]);
  writeFileAtomic(path, text);
  return text;
}

export interface CsvContents {
  rows: Record<string, string>[];
  /** 1 when the file ended in a torn row (cut mid-write: no final newline), which was dropped; else 0. */
  torn_rows: number;
}

/**
 * Reads a CSV with a header row; every value stays a string. A torn last row (a run killed or out of disk
 * mid-write: the file does not end with a newline) is dropped and counted, so the rows before it stay readable.
 * Throws when required columns are missing or a complete row is malformed.
 */
export function readCsvContents(path: string, requiredColumns: readonly string[] = []): CsvContents {
  let text = readFileSync(path, 'utf8');
  let torn_rows = 0;
  if (text.length > 0 && !text.endsWith('\n')) {
    text = text.slice(0, text.lastIndexOf('\n') + 1);
    torn_rows = 1;
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: false }) as Record<
    string,
    string
  >[];
  const header = text.slice(0, text.indexOf('\n')).split(',');
  const missing = requiredColumns.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return { rows, torn_rows };
}

/** readCsvContents' rows (a torn last row dropped). */
export function readCsv(path: string, requiredColumns: readonly string[] = []): Record<string, string>[] {
  return readCsvContents(path, requiredColumns).rows;
}
