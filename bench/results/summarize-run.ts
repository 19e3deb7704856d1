import { summarize, ciPrecise } from '../../lib/stats-summary.ts';
import { modelRequest, type ConnectionKind, type Security } from '../../lib/model.ts';
import { SUMMARY_COLUMNS, SUMMARY_METRICS, type SummaryMetric, type SummaryRow } from '../../lib/schema.ts';
export { SUMMARY_METRICS, type SummaryMetric } from '../../lib/schema.ts';
import { rttDeviates } from '../drivers/calibrate.ts';
import { readCsv, writeCsv } from '../../lib/csv-file.ts';
import { slowstartCaseModel } from '../scenarios/slowstart/model.ts';
import { holCaseModel } from '../scenarios/hol/app.ts';
import { numberOrNull } from '../../lib/numbers.ts';

const CARRIED = [
  'run_id',
  'scenario',
  'case_key',
  'profile',
  'link_backend',
  'link_caveat',
  'rtt_ms_configured',
  'rtt_ms_calibrated',
  'congestion_control',
  'protocol',
  'security',
  'conn_mode',
  'size_bytes',
  'variant',
] as const;

/** Figures are stored to 0.1 µs (ms with 4 decimals) and ratios to 4 decimals: beyond that is float noise. */
function r4(v: number | null | undefined): number | null {
  return v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4;
}

const num = numberOrNull;

const CONNECTION_KIND: Record<string, ConnectionKind> = {
  new: 'new',
  server_close: 'new',
  resumed: 'resumed',
  reused: 'reused',
};

/** A scenario's analytic prediction for a metric of one of its cases (from the case's tags), or null. */
export type CaseModel = (tags: Record<string, string>, metric: SummaryMetric) => number | null;

/** Scenarios whose cases have a model. A scenario with its own model adds one line here. */
const CASE_MODELS: Record<string, CaseModel> = {
  handshake: handshakeModel,
  slowstart: slowstartCaseModel,
  hol: holCaseModel,
};

export function modelFor(tags: Record<string, string>, metric: SummaryMetric): number | null {
  const model = CASE_MODELS[tags.scenario ?? ''];
  return model ? model(tags, metric) : null;
}

/** One small request: handshakes + the request's round trip (+ slow start and transfer for larger sizes). */
function handshakeModel(tags: Record<string, string>, metric: SummaryMetric): number | null {
  const rtt = num(tags.rtt_ms_calibrated) ?? num(tags.rtt_ms_configured);
  const connection = CONNECTION_KIND[tags.conn_mode ?? ''];
  const security = tags.security as Security | undefined;
  const size = num(tags.size_bytes);
  if (rtt === null || !connection || !security || !['none', 'tls12', 'tls13'].includes(security) || size === null)
    return null;
  const m = modelRequest({
    rtt_ms: rtt,
    protocol: tags.protocol === 'h2' ? 'h2' : 'h1',
    security,
    connection,
    response_bytes: size,
    rate_mbit: num(tags.rate_mbit_configured),
  });
  switch (metric) {
    case 'total_ms':
    case 'ttfb_ms':
      // For responses within one window the first and last byte arrive together in the model.
      return metric === 'total_ms' ? m.total_ms : m.total_ms - m.transfer_ms;
    case 'connect_ms':
      return m.tcp_handshake_rtts * rtt;
    case 'tls_ms':
      return m.tls_handshake_rtts * rtt;
  }
}

/** Summary rows (one per case × metric) from samples.csv rows; warm-ups are excluded, errors counted. */
export function summarizeSamples(rows: readonly Record<string, string>[]): SummaryRow[] {
  const byCase = new Map<string, Record<string, string>[]>();
  for (const r of rows) {
    const key = `${r.run_id}\u0000${r.case_key}`;
    let list = byCase.get(key);
    if (!list) byCase.set(key, (list = []));
    list.push(r);
  }
  const out: SummaryRow[] = [];
  for (const list of byCase.values()) {
    const first = list[0];
    if (!first) continue;
    const measured = list.filter((r) => r.warmup !== '1');
    const ok = measured.filter((r) => r.error === '');
    const errors = measured.length - ok.length;
    for (const metric of SUMMARY_METRICS) {
      const values = ok.map((r) => num(r[metric])).filter((v): v is number => v !== null);
      const s = summarize(values);
      const model = modelFor(first, metric);
      const calibrated = num(first.rtt_ms_calibrated);
      const row = Object.fromEntries(CARRIED.map((c) => [c, first[c] ?? ''])) as Record<
        (typeof CARRIED)[number],
        string
      >;
      out.push({
        ...row,
        rtt_off:
          calibrated !== null &&
          num(first.rtt_ms_configured) !== null &&
          rttDeviates(num(first.rtt_ms_configured) ?? 0, calibrated)
            ? 1
            : 0,
        metric,
        n: s.n,
        errors,
        median: s.kind === 'ok' ? r4(s.median) : null,
        ci95_low: s.kind === 'ok' ? r4(s.ci95_low) : null,
        ci95_high: s.kind === 'ok' ? r4(s.ci95_high) : null,
        p90: s.kind === 'ok' ? r4(s.p90) : null,
        p99: s.kind === 'ok' ? r4(s.p99) : null,
        mean: s.kind === 'ok' ? r4(s.mean) : null,
        stddev: s.kind === 'ok' ? r4(s.stddev) : null,
        min: s.kind === 'ok' ? r4(s.min) : null,
        max: s.kind === 'ok' ? r4(s.max) : null,
        outliers: s.kind === 'ok' ? s.outliers_mild : null,
        ci_precise: ciPrecise(s) ? 1 : 0,
        model_ms: r4(model),
        measured_over_model: s.kind === 'ok' && model !== null && model > 0 ? r4(s.median / model) : null,
        rtts_measured: s.kind === 'ok' && calibrated !== null && calibrated > 0 ? r4(s.median / calibrated) : null,
        cpu_baseline_ms: null,
        model_plus_cpu_ms: null,
        measured_over_model_plus_cpu: null,
      });
    }
  }
  addCpuBaseline(out);
  return out;
}

/** The case key without its profile: the same case on another profile shares it. */
function caseKeyWithoutProfile(key: string): string {
  return key.replace(/\/profile=[^/]*$/, '');
}

/**
 * Splits each prediction into round trips (the model) and processing: the processing is what the same case
 * cost beyond the model on the zero-RTT profile of the same run and link, where round trips are ~free.
 */
function addCpuBaseline(rows: SummaryRow[]): void {
  const baseline = new Map<string, number>();
  for (const r of rows) {
    if (num(String(r.rtt_ms_configured)) !== 0 || r.median === null || r.model_ms === null) continue;
    const cpu = Math.max(0, Number(r.median) - Number(r.model_ms));
    baseline.set(`${r.run_id}|${r.link_backend}|${caseKeyWithoutProfile(String(r.case_key))}|${r.metric}`, cpu);
  }
  for (const r of rows) {
    const cpu = baseline.get(`${r.run_id}|${r.link_backend}|${caseKeyWithoutProfile(String(r.case_key))}|${r.metric}`);
    if (cpu === undefined || r.model_ms === null) continue;
    const withCpu = Number(r.model_ms) + cpu;
    r.cpu_baseline_ms = r4(cpu);
    r.model_plus_cpu_ms = r4(withCpu);
    r.measured_over_model_plus_cpu = r.median !== null && withCpu > 0 ? r4(Number(r.median) / withCpu) : null;
  }
}

/** Reads <run>/samples.csv and writes <run>/summary.csv. */
export function writeSummaryFile(samplesPath: string, summaryPath: string): SummaryRow[] {
  // Columns added to the schema later are simply empty in older runs; these few must exist.
  const rows = readCsv(samplesPath, ['run_id', 'scenario', 'case_key', 'profile', 'warmup', 'error']);
  const summary = summarizeSamples(rows);
  writeCsv(summaryPath, Object.keys(SUMMARY_COLUMNS) as Array<keyof typeof SUMMARY_COLUMNS>, summary);
  return summary;
}
