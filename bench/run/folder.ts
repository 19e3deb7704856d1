/** A run's folder and what it records as it goes: meta.json, samples.csv, calibration.csv and the scenarios' CSVs. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvAppender } from '../../lib/csv-file.ts';
import { SAMPLE_COLUMNS, type SampleColumn } from '../../lib/schema.ts';
import { newRunId } from '../../netem/topology.ts';
import { MetaFile, gitCommit, machineInfo, packageVersions, type RunStatus } from '../results/meta.ts';
import { createRunDir, newRunDirName, pointLatest } from '../results/run-dir.ts';
import type { BenchOptions, Scenario } from '../scenarios/types.ts';
import type { ProfilePlan } from './plan.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const CALIBRATION_COLUMNS = [
  'run_id',
  'profile',
  'link_backend',
  'rtt_ms_configured',
  'kind',
  'value_ms',
  'size_bytes',
  'error',
] as const;

export class RunFolder {
  readonly runId = newRunId();
  readonly dir: string;
  readonly meta: MetaFile;
  readonly samples: CsvAppender<SampleColumn>;
  readonly calibration: CsvAppender<(typeof CALIBRATION_COLUMNS)[number]>;
  /** The scenarios' own CSVs by name, opened on first use. */
  readonly extraCsvs = new Map<string, CsvAppender<string>>();
  private readonly processes: Array<{ role: string; pid: number; config?: Record<string, unknown> }> = [];
  private readonly profiles: Array<Record<string, unknown>> = [];
  private readonly skips: Array<{ profile: string; scenario: string; part?: string; reason: string }> = [];
  private latestMarked = false;
  private readonly scenarioTimes: Array<{ profile: string; scenario: string; duration_s: number }> = [];

  constructor(options: BenchOptions, plan: readonly ProfilePlan[], scenarios: readonly Scenario[]) {
    this.dir = createRunDir(options.out, newRunDirName(this.runId));
    this.meta = new MetaFile(join(this.dir, 'meta.json'), {
      run_id: this.runId,
      status: { kind: 'running' } satisfies RunStatus,
      started_at: new Date().toISOString(),
      ended_at: null,
      command_line: options.argv,
      options: { ...options, profiles: plan.map((p) => p.profile.name) },
      plan: plan.map((p) => ({ profile: p.profile.name, scenarios: p.scenarios.map((s) => s.name) })),
      git_commit: gitCommit(REPO_ROOT),
      // Installed from a tarball or a git URL there is no git checkout: the package's own version says which.
      harness_version: (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
        .version,
      machine: machineInfo(),
      // A busy machine is the first suspect when two runs disagree: compare and the report can see it here.
      load_average_at_start: os.loadavg(),
      versions: packageVersions([
        'autocannon',
        'tinybench',
        'execa',
        'csv-stringify',
        'koffi',
        'selfsigned',
        'tsx',
        'playwright-core',
      ]),
      scenarios: scenarios.map((s) => ({ name: s.name, title: s.title, claims: s.claims })),
    });
    this.samples = new CsvAppender(join(this.dir, 'samples.csv'), Object.keys(SAMPLE_COLUMNS) as SampleColumn[]);
    this.calibration = new CsvAppender(join(this.dir, 'calibration.csv'), CALIBRATION_COLUMNS);
  }

  /**
   * Points <out>/latest here: once the run is measuring, or has ended any way but bad usage (a run that never
   * got past its checks does not replace the newest real run).
   */
  markLatest(): void {
    if (this.latestMarked) return;
    pointLatest(this.dir);
    this.latestMarked = true;
  }

  noteProcess(role: string, pid: number, config?: Record<string, unknown>): void {
    this.processes.push(config ? { role, pid, config } : { role, pid });
    this.meta.update({ processes: this.processes });
  }

  /** A profile's record in meta.json; the caller may add to it and call updateProfiles(). */
  noteProfile(record: Record<string, unknown>): void {
    this.profiles.push(record);
    this.updateProfiles();
  }

  updateProfiles(): void {
    this.meta.update({ profiles: this.profiles });
  }

  noteScenarioTime(profile: string, scenario: string, duration_ms: number): void {
    this.scenarioTimes.push({ profile, scenario, duration_s: Math.round(duration_ms) / 1000 });
    this.meta.update({ scenario_durations_s: this.scenarioTimes });
  }

  /**
   * A scenario (or one part of it) that could not run on this profile, and why (e.g. the server under test lacks
   * a route).
   */
  noteSkip(profile: string, scenario: string, reason: string, part?: string): void {
    this.skips.push({ profile, scenario, ...(part === undefined ? {} : { part }), reason });
    this.meta.update({ scenario_skips: this.skips });
  }

  finish(status: RunStatus, extra: Record<string, unknown> = {}): void {
    this.meta.finalUpdate({ status, ended_at: new Date().toISOString(), ...extra });
  }
}
