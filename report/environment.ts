/**
 * The environment panel and run status, from meta.json alone: machine, kernel, congestion control, sysctls,
 * link backend, configured vs calibrated link per profile, versions, command line. Fields a run did not
 * write (an old or killed run) show as "—" rather than failing.
 */
import { fmtBytes, fmtCi, fmtMs, round4 } from './format.ts';
import type { Cell, Table } from './sections/types.ts';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function text(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export type RunStatusKind = 'completed' | 'errored' | 'aborted' | 'unfinished';

export interface RunStatusInfo {
  kind: RunStatusKind;
  /** One sentence for the banner (empty when completed). */
  text: string;
}

export function runStatus(meta: Obj): RunStatusInfo {
  const s = obj(meta.status);
  switch (s.kind) {
    case 'completed':
      return { kind: 'completed', text: '' };
    case 'errored':
      return {
        kind: 'errored',
        text: `This run failed (${text(s.error)}): the figures below are from the samples it kept before the failure.`,
      };
    case 'aborted':
      return {
        kind: 'aborted',
        text: `This run was interrupted (${text(s.signal)}): the figures below are from the samples it kept; cases it never reached are missing.`,
      };
    default:
      return {
        kind: 'unfinished',
        text: 'This run never finished (meta.json still says it was running: the process was killed): the figures below are from the samples it kept.',
      };
  }
}

export interface EnvGroup {
  title: string;
  rows: Array<[string, string]>;
}

export interface Environment {
  groups: EnvGroup[];
  /** Configured vs calibrated link, one row per profile. */
  profiles: Table;
  /** net.* sysctls of the client and the server namespace side by side. */
  sysctls: Table;
  processes: Table;
}

/** Shell-quotes an argument for display only (the harness never runs commands through a shell). */
function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(meta: Obj): string {
  const argv = Array.isArray(meta.command_line)
    ? meta.command_line.filter((a): a is string => typeof a === 'string')
    : null;
  if (argv === null) return '—';
  return ['npm run bench --', ...argv.map(quoteArg)].join(' ');
}

function duration(meta: Obj): string {
  const a = typeof meta.started_at === 'string' ? Date.parse(meta.started_at) : NaN;
  const b = typeof meta.ended_at === 'string' ? Date.parse(meta.ended_at) : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return '—';
  const s = (b - a) / 1000;
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}

function profilesTable(meta: Obj): Table {
  const rows: Cell[][] = [];
  for (const p of Array.isArray(meta.profiles) ? meta.profiles : []) {
    const rec = obj(p);
    const conf = obj(rec.configured);
    const cal = obj(rec.calibration);
    const connect = obj(cal.connect);
    const request = obj(cal.request);
    const rate = numOrNull(conf.rate_mbit);
    const goodput = numOrNull(cal.goodput_mbit);
    rows.push([
      text(rec.name),
      numOrNull(conf.rtt_ms),
      numOrNull(conf.jitter_ms),
      numOrNull(conf.loss_pct),
      rate === null ? 'unlimited' : rate,
      numOrNull(conf.queue_packets) ?? 'default',
      numOrNull(conf.mtu_bytes),
      numOrNull(cal.rtt_ms_calibrated),
      connect.median_ms === undefined
        ? '—'
        : `${fmtMs(numOrNull(connect.median_ms))} ${fmtCi(numOrNull(connect.ci95_low_ms), numOrNull(connect.ci95_high_ms))} n=${text(connect.n)}`,
      request.median_ms === undefined
        ? '—'
        : `${fmtMs(numOrNull(request.median_ms))} ${fmtCi(numOrNull(request.ci95_low_ms), numOrNull(request.ci95_high_ms))} n=${text(request.n)}`,
      goodput === null ? '—' : round4(goodput),
      numOrNull(cal.errors),
      text(rec.source),
    ]);
  }
  return {
    title: 'Link per profile: configured vs calibrated',
    columns: [
      { label: 'profile' },
      { label: 'RTT configured', unit: 'ms', numeric: true },
      { label: 'jitter', unit: 'ms', numeric: true },
      { label: 'loss', unit: '%', numeric: true },
      { label: 'rate', unit: 'Mbit/s', numeric: true },
      { label: 'queue', unit: 'packets', numeric: true },
      { label: 'MTU', unit: 'bytes', numeric: true },
      { label: 'RTT calibrated', unit: 'ms', numeric: true },
      { label: 'TCP connect: median [95 % CI]' },
      { label: 'small request: median [95 % CI]' },
      { label: 'goodput', unit: 'Mbit/s', numeric: true },
      { label: 'calibration errors', numeric: true },
      { label: 'why this profile' },
    ],
    rows,
  };
}

function sysctlTable(meta: Obj): Table {
  const s = obj(meta.sysctls);
  const client = obj(s.client);
  const server = obj(s.server);
  const names = [...new Set([...Object.keys(client), ...Object.keys(server)])].sort();
  return {
    title: 'Kernel settings (sysctl) in the client and server namespaces',
    columns: [{ label: 'sysctl' }, { label: 'client' }, { label: 'server' }],
    rows: names.map((n) => [n, text(client[n]), text(server[n])]),
  };
}

function processesTable(meta: Obj): Table {
  const rows: Cell[][] = [];
  for (const p of Array.isArray(meta.processes) ? meta.processes : []) {
    const rec = obj(p);
    const config = obj(rec.config);
    const settings = Object.entries(config)
      .filter(([k]) => k !== 'cert_pem' && k !== 'key_pem')
      .map(([k, v]) => `${k}=${text(v)}`)
      .join(' ');
    rows.push([text(rec.role), numOrNull(rec.pid), settings || '—']);
  }
  return {
    title: 'Processes the run started (servers with their settings)',
    columns: [{ label: 'role' }, { label: 'pid', numeric: true }, { label: 'settings' }],
    rows,
  };
}

/**
 * Whose behaviour the verdicts describe, in one line: the user's server (its version, else its command), a
 * remote target, or the harness's own Node servers.
 */
export function serverUnderTestName(meta: Obj): string {
  const s = obj(meta.server_under_test);
  const target = obj(meta.options).target;
  if (s.origin === 'command') {
    const command = Array.isArray(s.command) ? s.command.map((a) => quoteArg(String(a))).join(' ') : '?';
    return typeof s.version === 'string' && s.version !== '' ? `${s.version} (${command})` : command;
  }
  if (s.origin === 'remote') return `the target ${text(s.url)}`;
  if (target !== null && target !== undefined) return `the target ${text(obj(target).url)}`;
  return "the harness's own Node.js servers";
}

/** The user's server (`--server-cmd`) or a target with `--path`, as the run recorded it; none for the harness's own. */
function serverUnderTest(meta: Obj): EnvGroup[] {
  if (meta.server_under_test === undefined) return [];
  const s = obj(meta.server_under_test);
  const small = obj(s.small);
  const rows: Array<[string, string]> =
    s.origin === 'remote'
      ? [['target', text(s.url)]]
      : [
          ['command', Array.isArray(s.command) ? s.command.map((a) => quoteArg(String(a))).join(' ') : '—'],
          ['version', text(s.version)],
          ['port', text(s.port)],
          ['speaks', `${text(s.protocol)}${s.tls === true ? ' over TLS' : ', cleartext'}`],
        ];
  rows.push(['small request', `${text(small.path)} (${text(small.size_bytes)} B)`]);
  if (Array.isArray(s.sized) && s.sized.length > 0)
    rows.push([
      'sized responses (--paths)',
      s.sized.map((p) => `${text(obj(p).path)} (${text(obj(p).size_bytes)} B)`).join(', '),
    ]);
  return [{ title: 'Server under test', rows }];
}

export function environment(meta: Obj): Environment {
  const m = obj(meta.machine);
  const link = obj(meta.link);
  const opts = obj(meta.options);
  const versions = obj(meta.versions);
  const caveats = Array.isArray(link.caveats) ? link.caveats.map(text) : [];
  const memory = numOrNull(m.memory_bytes);
  return {
    groups: [
      {
        title: 'Run',
        rows: [
          ['run id', text(meta.run_id)],
          ['status', text(obj(meta.status).kind)],
          ['started', text(meta.started_at)],
          ['ended', text(meta.ended_at)],
          ['duration', duration(meta)],
          ['command line', commandLine(meta)],
          ['scenarios', Array.isArray(opts.scenarios) ? opts.scenarios.map(text).join(', ') : '—'],
          ['quick', text(opts.quick)],
          ['requests per case', opts.requests === null ? 'adaptive' : text(opts.requests)],
          ['request timeout', opts.request_timeout_ms === undefined ? '—' : `${text(opts.request_timeout_ms)} ms`],
          ['git commit', text(meta.git_commit)],
        ],
      },
      {
        title: 'Machine',
        rows: [
          ['host', text(m.hostname)],
          ['kernel', text(m.kernel)],
          ['OS', text(m.os)],
          ['CPU', `${text(m.cpu_model)} × ${text(m.cpu_count)} (${text(m.arch)})`],
          ['memory', memory === null ? '—' : fmtBytes(memory)],
          ['Node.js', text(m.node_version)],
          ['uid', text(m.uid)],
          ['TCP congestion control (server)', text(meta.congestion_control)],
        ],
      },
      {
        title: 'Link',
        rows: [
          ['backend', text(link.backend)],
          ['why this backend', text(link.why)],
          [
            'what it cannot show',
            caveats.length === 0 ? 'nothing known: real kernel TCP on both ends' : caveats.join('; '),
          ],
        ],
      },
      ...serverUnderTest(meta),
      { title: 'Versions', rows: Object.entries(versions).map(([k, v]) => [k, text(v)]) },
    ],
    profiles: profilesTable(meta),
    sysctls: sysctlTable(meta),
    processes: processesTable(meta),
  };
}
