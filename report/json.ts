/**
 * The machine-readable result of a run (`npm run bench -- --json` prints it on stdout): verdicts, headline
 * figures, paths and the link/environment basics, in one JSON document whose shape docs/json.md describes.
 * Pure: built from a run folder already read (and the report's model of it), no I/O.
 */
import { handshakeSavings } from '../bench/scenarios/handshake/savings.ts';
import { toFigure } from '../lib/figures.ts';
import { round4 } from './format.ts';
import { runStatus, serverUnderTestName, type RunStatusKind } from './environment.ts';
import type { RunFolder } from './load-run.ts';
import type { ReportModel } from './model.ts';
import type { Evidence, VerdictKind } from './sections/types.ts';
import { verdictCounts } from './verdicts.ts';

/** Raised when a field changes meaning or goes away; new fields may appear without it. */
export const JSON_SCHEMA_VERSION = 1;

export interface JsonVerdict {
  /** C1 … C12. */
  claim: string;
  /** The claim in one line. */
  claim_text: string;
  kind: VerdictKind;
  /** For depends and refuted: on what, in a few words; null otherwise. */
  reason: string | null;
  /** The key figure in words (for not_run: why it was not measured). */
  figure: string;
  /** Sample size in words and whether the CI settles it; null where the verdict does not say (or not_run). */
  evidence: { n: string; strength: Evidence['strength'] } | null;
  /** The numbers behind the figure, the unit in each name; {} for not_run. */
  numbers: Record<string, number | null>;
  /** How the verdict is decided, in one sentence; null when none is given. */
  rule: string | null;
  /** For not_run: the command that would measure it; null otherwise. */
  command: string | null;
  /** Anchor of the report section behind it (report.html#<section>); null when none. */
  section: string | null;
  /**
   * What other scenarios' measurements add about the claim, one sentence each (e.g. "a browser: h2 456 ms vs h1
   * keep-alive 619 ms at 0 % loss …"), whatever the kind, not_run included; [] when none. A later addition to schema 1 (a new field does not raise
   * the version): documents of older versions lack it.
   */
  addenda: string[];
}

/** What keep-alive saves in one handshake case: the reused connection against another mode (the bench's headline); figures rounded to 4 decimals. */
export interface JsonHandshakeSaving {
  profile: string;
  rtt_ms: number | null;
  protocol: string;
  security: string;
  /** new, server_close or resumed: the mode the kept-alive connection is compared with. */
  versus: string;
  versus_median_ms: number | null;
  reused_median_ms: number | null;
  saving_ms: number;
  ci95_low_ms: number | null;
  ci95_high_ms: number | null;
  /** null below 1 ms RTT (a saving in RTTs of a near-zero RTT says nothing). */
  saving_rtt: number | null;
  model_rtt: number | null;
  /** Processing a new connection costs, measured at zero RTT; null without a zero-RTT profile. */
  cpu_ms: number | null;
  /** Requests behind the smaller of the two medians. */
  n: number;
}

export interface JsonProfile {
  name: string;
  rtt_ms: number | null;
  jitter_ms: number | null;
  loss_pct: number | null;
  rate_mbit: number | null;
  mtu_bytes: number | null;
  /** The RTT the calibration measured through the link; null when not calibrated. */
  rtt_ms_calibrated: number | null;
}

export interface RunJson {
  schema_version: typeof JSON_SCHEMA_VERSION;
  tool: { name: 'keepalive-bench'; version: string };
  run_id: string | null;
  status: { kind: RunStatusKind; text: string | null };
  started_at: string | null;
  ended_at: string | null;
  /** The run folder, absolute. */
  folder: string;
  /** report.html and summary.md, absolute; null when the report could not be built (see warnings). */
  report: { html: string; summary_md: string } | null;
  command_line: string[] | null;
  server_under_test: string | null;
  link: { backend: string | null; why: string | null; caveats: string[] };
  profiles: JsonProfile[];
  environment: {
    hostname: string | null;
    kernel: string | null;
    os: string | null;
    arch: string | null;
    cpu_model: string | null;
    cpu_count: number | null;
    memory_bytes: number | null;
    node_version: string | null;
    congestion_control: string | null;
    git_commit: string | null;
    harness_version: string | null;
  };
  requests: { measured: number; failed: number };
  counts: Record<VerdictKind, number>;
  verdicts: JsonVerdict[];
  headline: { handshake: JsonHandshakeSaving[] };
  warnings: string[];
}

export interface RunJsonInput {
  /** The run folder (absolute). */
  folder: string;
  /** The folder read back; null when it could not be (then only the status and the folder are known). */
  run: RunFolder | null;
  /** The report's model of it; null when it could not be built. */
  model: ReportModel | null;
  report: { html: string; summary_md: string } | null;
  /** The run's status as meta.json records it, for when the folder could not be read. */
  status?: unknown;
  version: string;
  warnings: readonly string[];
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function profilesOf(meta: Obj): JsonProfile[] {
  const list = Array.isArray(meta.profiles) ? meta.profiles : [];
  return list.map((p): JsonProfile => {
    const rec = obj(p);
    const c = obj(rec.configured);
    return {
      name: str(rec.name) ?? '',
      rtt_ms: num(c.rtt_ms),
      jitter_ms: num(c.jitter_ms),
      loss_pct: num(c.loss_pct),
      rate_mbit: num(c.rate_mbit),
      mtu_bytes: num(c.mtu_bytes),
      rtt_ms_calibrated: round4(num(obj(rec.calibration).rtt_ms_calibrated)),
    };
  });
}

function environmentOf(meta: Obj): RunJson['environment'] {
  const m = obj(meta.machine);
  return {
    hostname: str(m.hostname),
    kernel: str(m.kernel),
    os: str(m.os),
    arch: str(m.arch),
    cpu_model: str(m.cpu_model),
    cpu_count: num(m.cpu_count),
    memory_bytes: num(m.memory_bytes),
    node_version: str(m.node_version),
    congestion_control: str(meta.congestion_control),
    git_commit: str(meta.git_commit),
    harness_version: str(meta.harness_version),
  };
}

/** The handshake savings (kept-alive against each other mode), as the bench's terminal headline shows them. */
export function handshakeHeadlineJson(run: RunFolder): JsonHandshakeSaving[] {
  const totals = run.summary.filter((r) => r.scenario === 'handshake' && r.metric === 'total_ms').map(toFigure);
  const median = (s: { profile: string; protocol: string; security: string }, mode: string): number | null =>
    totals.find(
      (f) => f.profile === s.profile && f.protocol === s.protocol && f.security === s.security && f.conn_mode === mode,
    )?.median ?? null;
  return handshakeSavings(totals).map((s) => ({
    profile: s.profile,
    rtt_ms: round4(s.rtt_ms),
    protocol: s.protocol,
    security: s.security,
    versus: s.versus,
    versus_median_ms: round4(median(s, s.versus)),
    reused_median_ms: round4(median(s, 'reused')),
    saving_ms: round4(s.saving_ms) ?? 0,
    ci95_low_ms: round4(s.ci_low_ms),
    ci95_high_ms: round4(s.ci_high_ms),
    saving_rtt: round4(s.saving_rtt),
    model_rtt: round4(s.model_rtt),
    cpu_ms: round4(s.cpu_ms),
    n: s.n,
  }));
}

/** The verdict rows with the numbers their sections computed (the rows carry the words only). */
export function verdictsJson(model: ReportModel): JsonVerdict[] {
  return model.verdicts.map((r): JsonVerdict => {
    const section = model.sections.find((s) => s.id === r.sectionId);
    const verdict = r.kind === 'not_run' ? undefined : section?.output?.verdicts.find((v) => v.claim === r.claim.id);
    return {
      claim: r.claim.id,
      claim_text: r.claim.text,
      kind: r.kind,
      reason: r.reason ?? null,
      figure: r.figure,
      evidence: r.evidence ? { n: r.evidence.n, strength: r.evidence.strength } : null,
      numbers: { ...(verdict?.numbers ?? {}) },
      rule: r.rule ?? null,
      command: r.command ?? null,
      section: r.sectionId ?? null,
      addenda: [...(r.addenda ?? [])],
    };
  });
}

export function runJson(input: RunJsonInput): RunJson {
  const meta = obj(input.run?.meta);
  const status = input.model?.status ?? runStatus(input.run ? meta : { status: input.status });
  const link = obj(meta.link);
  const commandLine = Array.isArray(meta.command_line) ? meta.command_line.filter((a) => typeof a === 'string') : null;
  return {
    schema_version: JSON_SCHEMA_VERSION,
    tool: { name: 'keepalive-bench', version: input.version },
    run_id: str(meta.run_id),
    status: { kind: status.kind, text: status.text === '' ? null : status.text },
    started_at: str(meta.started_at),
    ended_at: str(meta.ended_at),
    folder: input.folder,
    report: input.report,
    command_line: commandLine,
    server_under_test: input.run ? serverUnderTestName(meta) : null,
    link: {
      backend: str(link.backend),
      why: str(link.why),
      caveats: Array.isArray(link.caveats) ? link.caveats.filter((c): c is string => typeof c === 'string') : [],
    },
    profiles: profilesOf(meta),
    environment: environmentOf(meta),
    requests: { measured: input.model?.sampleCount ?? 0, failed: input.model?.failedCount ?? 0 },
    counts: input.model ? verdictCounts(input.model.verdicts) : { confirmed: 0, refuted: 0, depends: 0, not_run: 0 },
    verdicts: input.model ? verdictsJson(input.model) : [],
    headline: { handshake: input.run ? handshakeHeadlineJson(input.run) : [] },
    warnings: [...input.warnings],
  };
}
