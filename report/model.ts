/**
 * Everything the page and summary.md show, as plain data computed from the run folder alone (pure: no
 * rendering, no clock except the generation time passed in).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../lib/csv-file.ts';
import { definitionOf } from '../bench/scenarios/definitions.ts';
import { errorMessage } from '../lib/errors.ts';
import { environment, runStatus, serverUnderTestName, type Environment, type RunStatusInfo } from './environment.ts';
import { readScenarioCsv, type RunFolder } from './load-run.ts';
import { fmtCi, round4 } from './format.ts';
import { figuresOf } from '../lib/figures.ts';
import { sectionFor } from './sections/index.ts';
import type { Cell, SectionOutput, Table } from './sections/types.ts';
import { verdictRows, type SectionResult, type VerdictRow } from './verdicts.ts';
import { literatureRows, type LiteratureRow } from './literature-panel.ts';

export interface ReportModel {
  runId: string;
  runDir: string;
  generatedAt: string;
  status: RunStatusInfo;
  linkBackend: string;
  /** Whose behaviour the verdicts describe (serverUnderTestName). */
  serverUnderTest: string;
  profiles: string[];
  sampleCount: number;
  failedCount: number;
  verdicts: VerdictRow[];
  /** The published record beside each claim, and whether this run agrees. */
  literature: LiteratureRow[];
  sections: SectionResult[];
  environment: Environment;
}

interface MetaScenario {
  name: string;
  title: string;
  claims: string[];
}

function metaScenarios(meta: Record<string, unknown>): MetaScenario[] {
  const out: MetaScenario[] = [];
  for (const s of Array.isArray(meta.scenarios) ? meta.scenarios : []) {
    const rec = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    if (typeof rec.name !== 'string') continue;
    out.push({
      name: rec.name,
      title: typeof rec.title === 'string' ? rec.title : rec.name,
      claims: Array.isArray(rec.claims) ? rec.claims.filter((c): c is string => typeof c === 'string') : [],
    });
  }
  return out;
}

/** Scenarios of the run: those meta.json planned, then any others found in its rows. */
function scenariosOf(run: RunFolder): MetaScenario[] {
  const out = metaScenarios(run.meta);
  for (const r of [...run.summary, ...run.samples]) {
    const name = r.scenario ?? '';
    if (name !== '' && !out.some((s) => s.name === name)) out.push({ name, title: name, claims: [] });
  }
  return out;
}

/** For a scenario without a report section: its total-time medians, so the page still shows what was measured. */
function genericOutput(run: RunFolder, scenario: string): SectionOutput {
  const rows: Cell[][] = figuresOf(run.summary, scenario, 'total_ms').map((f) => [
    f.case_key,
    f.n,
    f.errors,
    round4(f.median),
    fmtCi(f.ci95_low, f.ci95_high, ''),
    round4(f.p90),
    round4(f.model_ms),
  ]);
  const table: Table = {
    title: 'Total time per request (medians)',
    columns: [
      { label: 'case' },
      { label: 'n', numeric: true },
      { label: 'errors', numeric: true },
      { label: 'median', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms', numeric: true },
      { label: 'p90', unit: 'ms', numeric: true },
      { label: 'model', unit: 'ms', numeric: true },
    ],
    rows,
  };
  return { claimSentence: '', verdicts: [], specs: [], tables: rows.length ? [table] : [], caveats: [] };
}

/** meta.json's scenario_skips: whole scenarios, or parts of one, that the run could not measure. */
function recordedSkips(run: RunFolder): Array<{ profile: string; scenario: string; part?: string; reason: string }> {
  const skips = Array.isArray(run.meta.scenario_skips)
    ? (run.meta.scenario_skips as Array<Record<string, unknown>>)
    : [];
  return skips
    .filter((s) => typeof s.scenario === 'string' && typeof s.reason === 'string')
    .map((s) => ({
      profile: String(s.profile ?? ''),
      scenario: String(s.scenario),
      ...(typeof s.part === 'string' ? { part: s.part } : {}),
      reason: String(s.reason),
    }));
}

/** "the app part was skipped (wan): needs …", for each part of the scenario the run skipped. */
function partSkipCaveats(run: RunFolder, scenario: string): string[] {
  return recordedSkips(run)
    .filter((s) => s.scenario === scenario && s.part !== undefined)
    .map((s) => `The ${s.part} part was skipped (${s.profile}): ${s.reason}.`);
}

/** Why a scenario skipped itself, from its <scenario>-skipped.csv (e.g. slowstart on a link without packets). */
function skipReason(run: RunFolder, scenario: string): string | null {
  // A scenario the server under test could not serve (meta.json's scenario_skips).
  const skip = recordedSkips(run).find((s) => s.scenario === scenario && s.part === undefined);
  if (skip) return `skipped: ${String(skip.reason)}`;
  const p = join(run.dir, `${scenario}-skipped.csv`);
  if (!existsSync(p)) return null;
  const row = readCsv(p).find((r) => r.what === 'link' && (r.reason ?? '') !== '');
  return row ? `${row.reason} (this run's link: ${row.value})` : null;
}

function sectionId(scenario: string): string {
  return `scenario-${scenario.replace(/[^a-z0-9-]/gi, '-')}`;
}

export function buildSections(run: RunFolder): SectionResult[] {
  return scenariosOf(run).map((s): SectionResult => {
    const section = sectionFor(s.name);
    // This version's definition, else what the run recorded (an older run, a scenario since renamed).
    const def = definitionOf(s.name);
    const title = def?.title ?? s.title;
    const claims = def ? [...def.claims] : s.claims;
    const base = { id: sectionId(s.name), scenario: s.name };
    // Rows in samples.csv, or in one of the CSV files the scenario declares (policy writes only policy.csv); a
    // file of skipped cases is not a measurement.
    const hasRows =
      run.summary.some((r) => r.scenario === s.name) ||
      run.samples.some((r) => r.scenario === s.name) ||
      Object.keys(def?.csvFiles ?? {}).some((f) => !f.endsWith('-skipped') && readScenarioCsv(run.dir, f).length > 0);
    if (!hasRows) {
      const why = skipReason(run, s.name);
      return {
        ...base,
        title,
        claims,
        output: null,
        notice:
          why !== null
            ? `not measured in this run: ${why}`
            : `planned in this run but never measured: no samples of the ${s.name} scenario`,
      };
    }
    if (!section) {
      return {
        ...base,
        title,
        claims,
        output: genericOutput(run, s.name),
        notice: `this version of the report has no section for the ${s.name} scenario yet: no verdict or chart, only its medians (all figures are in summary.csv)`,
      };
    }
    try {
      const output = section.build(run);
      return {
        ...base,
        title,
        claims,
        output: { ...output, caveats: [...output.caveats, ...partSkipCaveats(run, s.name)] },
        notice: null,
      };
    } catch (e) {
      return {
        ...base,
        title,
        claims,
        output: null,
        notice: `the report could not evaluate this scenario: ${errorMessage(e)}`,
      };
    }
  });
}

/** A torn last row (the run cut mid-write) was dropped on reading: the status banner says which file. */
function withTornRows(status: RunStatusInfo, torn: Readonly<Record<string, number>>): RunStatusInfo {
  const files = Object.keys(torn);
  if (files.length === 0) return status;
  const note = `${files.join(', ')} ended in a torn row (cut mid-write), which was dropped; the rows before it are all here.`;
  return { ...status, text: status.text ? `${status.text} ${note}` : note };
}

export function buildModel(run: RunFolder, generatedAt: Date): ReportModel {
  const sections = buildSections(run);
  const link = (run.meta.link ?? {}) as Record<string, unknown>;
  const options = (run.meta.options ?? {}) as Record<string, unknown>;
  const measured = run.samples.filter((r) => r.warmup !== '1');
  return {
    runId: String(run.meta.run_id),
    runDir: run.dir,
    generatedAt: generatedAt.toISOString(),
    status: withTornRows(runStatus(run.meta), run.torn_rows),
    linkBackend: typeof link.backend === 'string' ? link.backend : (run.samples[0]?.link_backend ?? 'unknown'),
    serverUnderTest: serverUnderTestName(run.meta),
    profiles: Array.isArray(options.profiles)
      ? options.profiles.map(String)
      : [...new Set(run.samples.map((r) => r.profile ?? ''))],
    sampleCount: measured.length,
    failedCount: measured.filter((r) => (r.error ?? '') !== '').length,
    verdicts: verdictRows(sections),
    literature: literatureRows(verdictRows(sections)),
    sections,
    environment: environment(run.meta),
  };
}
