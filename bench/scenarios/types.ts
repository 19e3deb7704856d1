import type { Agent } from '../drivers/agent-client.ts';
import type { ClientTls, Target } from '../drivers/target.ts';
import type { Progress } from '../../lib/progress.ts';
import type { SampleRow } from '../../lib/schema.ts';
import type { CsvAppender } from '../../lib/csv-file.ts';
import type { Link, LinkChoice, Profile } from '../../netem/link.ts';
import type { ServerConfig, TlsVersion } from '../../servers/config.ts';
import type { ServerOffer, ServerUnderTest } from '../../servers/under-test.ts';
import type { Calibration } from '../drivers/calibrate.ts';
import type { RemoteTarget } from '../../netem/remote.ts';
import type { CommandServerSpec } from '../../servers/command.ts';
import type { ScenarioNeeds } from './needs.ts';

/**
 * How much of each scenario's matrix a run measures: quick (a smoke run, under a minute), standard (the
 * default `npm run bench`, every claim in under 5 minutes on 2 cores), full (the whole matrix).
 */
export type RunSize = 'quick' | 'standard' | 'full';
export const RUN_SIZES: readonly RunSize[] = ['quick', 'standard', 'full'];

/**
 * The size a user asks for: one of the matrix sizes, or `ci` — a fixed sampling plan with the power to gate a
 * comparison (scenarios that have one say so with `ciPlan`; the others run their standard matrix).
 */
export type SizeName = RunSize | 'ci';
export const SIZE_NAMES: readonly SizeName[] = ['quick', 'ci', 'standard', 'full'];

/** The matrix a scenario measures at this run's size (`ci` measures the standard matrix unless a scenario plans it). */
export function runSize(options: Pick<BenchOptions, 'quick' | 'size'>): RunSize {
  const size = options.size ?? (options.quick ? 'quick' : 'full');
  return size === 'ci' ? 'standard' : size;
}

/** The profiles a scenario runs on at a size when --profile is not given. */
export function scenarioProfiles(
  s: Pick<ScenarioDefinition, 'profilesBySize' | 'defaultProfiles'>,
  size: SizeName,
): string[] {
  return [
    ...(s.profilesBySize?.[size] ?? (size === 'ci' ? s.profilesBySize?.standard : undefined) ?? s.defaultProfiles),
  ];
}

/** The value for this run's size. */
export function bySize<T>(options: Pick<BenchOptions, 'quick' | 'size'>, values: Record<RunSize, T>): T {
  return values[runSize(options)];
}

export interface BenchOptions {
  scenarios: string[];
  /** A server elsewhere (`--target`): no emulated link, only remote-capable scenarios. */
  target?: RemoteTarget | null;
  /** The user's own server, started by the harness behind the link (`--server-cmd`); null: the harness's own. */
  server_command?: CommandServerSpec | null;
  /** The small request's path on the user's server or the target (`--path`); null: the harness's own routes. */
  path?: string | null;
  /** Paths of responses of several sizes on the user's server or the target (`--paths`), for slow start. */
  paths?: string[] | null;
  /** A slow response on the user's server or the target (`--slow-path`), for head-of-line blocking. */
  slow_path?: string | null;
  /** The harness's LB in front of the server under test, with this upstream idle timeout (`--lb-idle-timeout`). */
  lb_idle_timeout_ms?: number | null;
  /** Profiles given on the command line; null = each scenario runs on its own default profiles. */
  profiles: Profile[] | null;
  link: LinkChoice;
  /** size === 'quick' (kept as its own field: reports and compare read it from meta.json). */
  quick: boolean;
  /** Absent in option objects from before sizes existed: then quick ? 'quick' : 'full'. */
  size?: SizeName;
  /** Fixed number of measured requests per case; null = adaptive until the CI target is met. */
  requests: number | null;
  out: string;
  request_timeout_ms: number;
  /** TCP congestion control to set in both namespaces (null = leave the namespace default). */
  congestion_control: string | null;
  /** net.ipv4.tcp_slow_start_after_idle to set in both namespaces (null = leave it). */
  slow_start_after_idle: 0 | 1 | null;
  /** Congestion controls to add to the host's allowed list for this run (`--allow-host-cc`); restored at exit. */
  allow_host_cc?: string[];
  argv: string[];
}

export interface RunningServer {
  /** The server under test: what it offers (routes, counters, a process) and how to stop it. */
  handle: ServerUnderTest;
  /** Where the client connects to reach it (through the link). */
  target: Target;
  /** Client TLS settings trusting this server's certificate (null for cleartext). */
  clientTls(version: TlsVersion): ClientTls | null;
}

/** The tags record() fills in itself; a scenario supplies the rest of the row. */
export type ContextTags =
  | 'run_id'
  | 'profile'
  | 'link_backend'
  | 'link_caveat'
  | 'rtt_ms_configured'
  | 'rtt_ms_calibrated'
  | 'loss_pct_configured'
  | 'rate_mbit_configured'
  | 'congestion_control';

export interface ScenarioContext {
  runId: string;
  options: BenchOptions;
  profile: Profile;
  link: Link;
  calibration: Calibration;
  congestion_control: string;
  agent: Agent;
  startServer(config: Partial<ServerConfig>): Promise<RunningServer>;
  /**
   * Undoes something the scenario started (a browser, a temporary file) when the scenario ends — on every way
   * out, Ctrl-C included, with the servers; the returned function drops the step once the scenario undid it.
   */
  onEnd(label: string, fn: () => Promise<void> | void): () => void;
  /** What the servers under test offer (routes, counters, a process, settings): ask it, do not infer it. */
  offer: ServerOffer;
  /** Whether startServer can give a server of this kind (always locally; only the target's kind remotely). */
  serves?(config: Pick<ServerConfig, 'protocol' | 'tls'>): boolean;
  /** Appends one request row to samples.csv; the context fills the run and link tags. Unset columns stay empty. */
  record(
    row: Partial<Omit<SampleRow, ContextTags>> &
      Pick<SampleRow, 'scenario' | 'case_key'> & { congestion_control?: string; loss_pct_configured?: number },
  ): void;
  /**
   * An extra CSV of the run (e.g. `tcpinfo` → tcpinfo.csv) for observations that are not requests: kernel
   * traces, load-run results, lifecycle events. Same file across profiles; rows appended as measured.
   */
  csv<C extends string>(name: string, columns: readonly C[]): CsvAppender<C>;
  /** One part of the scenario cannot run here (the rest does): recorded in meta.json, said in the report. */
  skipPart(part: string, reason: string): void;
  progress: Progress;
  signal: AbortSignal;
}

/**
 * What a scenario is, apart from how it runs: the one place that names it, its claims, its profiles per size and
 * the CSV files it writes beside samples.csv. Imported by the runner, `--list`, the report and the summary
 * (each scenario's folder has a definition.ts, light: no measuring code).
 */
export interface ScenarioDefinition {
  name: string;
  title: string;
  /** Claims of DESIGN.md this scenario measures (C1…C12): the claim → scenario map exists here only. */
  claims: readonly string[];
  /** Profiles it runs on when --profile is not given. */
  defaultProfiles: readonly string[];
  /** Runs against a remote target (`--target`): needs neither the server's process nor the link's controls. */
  remoteCapable?: boolean;
  /** Profiles per run size; a size not listed uses defaultProfiles (the full matrix; ci: the standard's). */
  profilesBySize?: Partial<Record<SizeName, readonly string[]>>;
  /** Has a sampling plan made for `--ci` (fixed n with the power to gate a comparison); `--ci` runs these by default. */
  ciPlan?: boolean;
  /** The CSV files it writes beside samples.csv (name without .csv → columns, in order). */
  csvFiles: Readonly<Record<string, readonly string[]>>;
  /**
   * What it needs of the link and the server under test, checked before it runs (a part that needs more, such as
   * hol's loss sweep, asks for it itself and records its own skip).
   */
  needs?: ScenarioNeeds;
  /** Left out of the default run (it is slow or needs more than the rest): it runs when named with --scenario, and with --full. */
  optIn?: 'full';
}

/** Whether a run of this size measures the scenario when --scenario does not name it. */
export function inDefaultRun(s: Pick<ScenarioDefinition, 'optIn'>, size: SizeName): boolean {
  return s.optIn === undefined || size === 'full';
}

export interface Scenario extends ScenarioDefinition {
  /** Work units (requests) planned on a profile, for the ETA. */
  plannedUnits(options: BenchOptions, profile?: Profile): number;
  run(ctx: ScenarioContext): Promise<void>;
}

/** Stable key of a case: scenario + its parameters (in the given order) + profile. */
export function caseKey(scenario: string, params: Record<string, string | number>, profile: string): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return [scenario, ...parts, `profile=${profile}`].join('/');
}
