/**
 * Reads a run folder written by `npm run bench` — the only input of the report and of compare, so any old
 * run can be re-rendered or compared. Bad input ends in a UserError with one line naming the problem.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { readCsv, readCsvContents } from '../lib/csv-file.ts';
import { SAMPLE_COLUMNS, SUMMARY_COLUMNS } from '../lib/schema.ts';
import { writeSummaryFile } from '../bench/results/summarize-run.ts';

export type CsvRow = Record<string, string>;

export interface RunFolder {
  dir: string;
  /** meta.json as written by the bench (see bench/run/folder.ts for its fields). */
  meta: Record<string, unknown>;
  samples: CsvRow[];
  summary: CsvRow[];
  calibration: CsvRow[];
  /** Files whose torn last row (cut mid-write) was dropped, by name: samples.csv, summary.csv, calibration.csv. */
  torn_rows: Record<string, number>;
}

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${path} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Columns a run folder must have to be read at all. Every other column of the schema may be missing from a
 * run written before it was added: it loads as empty cells (= not measured), so old runs still render.
 */
const REQUIRED_SAMPLE_COLUMNS = ['run_id', 'scenario', 'case_key', 'profile', 'warmup', 'error'];
const REQUIRED_SUMMARY_COLUMNS = [
  'run_id',
  'scenario',
  'case_key',
  'profile',
  'metric',
  'n',
  'errors',
  'median',
  'ci95_low',
  'ci95_high',
];

function readRunCsv(
  path: string,
  required: readonly string[],
  all: readonly string[] = required,
  torn: Record<string, number> = {},
): CsvRow[] {
  let rows: CsvRow[];
  try {
    const contents = readCsvContents(path, required);
    rows = contents.rows;
    if (contents.torn_rows > 0) torn[basename(path)] = contents.torn_rows;
  } catch (e) {
    throw new UserError(`${path}: ${(e as Error).message.replace(`${path}: `, '')}`);
  }
  const absent = all.filter((c) => rows[0] !== undefined && !(c in rows[0]));
  if (absent.length > 0) for (const r of rows) for (const c of absent) r[c] = '';
  return rows;
}

/**
 * Loads a run folder. A run that died before writing summary.csv gets one computed from its samples
 * (written next to them) unless `writeMissingSummary` is false.
 */
export function loadRun(dirArg: string, opts: { writeMissingSummary?: boolean } = {}): RunFolder {
  if (!existsSync(dirArg)) throw new UserError(`no run folder at ${dirArg}`);
  const dir = realpathSync(dirArg);
  if (!statSync(dir).isDirectory()) throw new UserError(`${dirArg} is not a folder`);
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath))
    throw new UserError(`${dirArg} is not a run folder (no meta.json); pass a folder under results/`);
  const meta = readJson(metaPath);
  if (typeof meta.run_id !== 'string') throw new UserError(`${metaPath} has no run_id: not written by keepalive-bench`);

  const torn_rows: Record<string, number> = {};
  const samplesPath = join(dir, 'samples.csv');
  const samples = existsSync(samplesPath)
    ? readRunCsv(samplesPath, REQUIRED_SAMPLE_COLUMNS, Object.keys(SAMPLE_COLUMNS), torn_rows)
    : [];
  const summaryPath = join(dir, 'summary.csv');
  let summary: CsvRow[];
  if (existsSync(summaryPath)) {
    summary = readRunCsv(summaryPath, REQUIRED_SUMMARY_COLUMNS, Object.keys(SUMMARY_COLUMNS), torn_rows);
  } else if (samples.length > 0 && opts.writeMissingSummary !== false) {
    writeSummaryFile(samplesPath, summaryPath);
    summary = readRunCsv(summaryPath, REQUIRED_SUMMARY_COLUMNS, Object.keys(SUMMARY_COLUMNS));
  } else {
    summary = [];
  }
  const calibrationPath = join(dir, 'calibration.csv');
  const calibration = existsSync(calibrationPath)
    ? readRunCsv(calibrationPath, ['profile', 'kind', 'value_ms'], ['profile', 'kind', 'value_ms'], torn_rows)
    : [];
  return { dir, meta, samples, summary, calibration, torn_rows };
}

/** A scenario's own CSV of the run (hol-app.csv, tcpinfo.csv, …): none when missing or unreadable. */
export function readScenarioCsv(dir: string, name: string): CsvRow[] {
  const p = join(dir, `${name}.csv`);
  if (!existsSync(p)) return [];
  try {
    return readCsv(p);
  } catch {
    return [];
  }
}
