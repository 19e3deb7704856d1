/**
 * The cost section's charts, tables and caveats (C6, C11), built from the figures of ./analysis.ts; no figure is
 * computed here.
 */
import type { Cell, ChartSpec, Table } from '../types.ts';
import { fmtSpread, runsText, type CostFigures, type FdLimitCase } from './analysis.ts';
import type { IdlePoint, LoadMetric, LoadPoint, Spread } from './points.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function idleCharts(idle: IdlePoint[]): ChartSpec[] {
  const perConn = idle
    .filter((p) => p.connections > 0)
    .flatMap((p) => [
      {
        connections: p.connections,
        protocol: p.protocol,
        what: 'RSS',
        kib: p.rss_per_conn_bytes === null ? null : p.rss_per_conn_bytes / 1024,
      },
      {
        connections: p.connections,
        protocol: p.protocol,
        what: 'V8 heap',
        kib: p.heap_per_conn_bytes === null ? null : p.heap_per_conn_bytes / 1024,
      },
    ]);
  const lat = idle.flatMap((p) => [
    { connections: p.connections, protocol: p.protocol, what: 'active client p50', ms: p.active_p50_ms },
    { connections: p.connections, protocol: p.protocol, what: 'active client p99', ms: p.active_p99_ms },
    { connections: p.connections, protocol: p.protocol, what: 'event-loop delay p99', ms: p.eventloop_delay_p99_ms },
  ]);
  return [
    {
      id: 'cost-idle-memory',
      title: 'C6: server memory per idle kept-alive connection, h1 vs h2',
      caption:
        '(RSS or heap with the crowd − before it) ÷ connections, on a fresh server per case; small crowds are dominated by allocator granularity and GC timing.',
      spec: {
        $schema: SCHEMA,
        data: { values: perConn },
        facet: { column: { field: 'what', type: 'nominal', title: null } },
        spec: {
          width: 220,
          mark: 'bar',
          encoding: {
            x: { field: 'connections', type: 'ordinal', title: 'idle connections' },
            xOffset: { field: 'protocol' },
            y: { field: 'kib', type: 'quantitative', title: 'KiB per connection' },
            color: { field: 'protocol', type: 'nominal', title: null },
            tooltip: [{ field: 'protocol' }, { field: 'connections' }, { field: 'kib', format: '.1f' }],
          },
        },
      } as ChartSpec['spec'],
    },
    {
      id: 'cost-idle-latency',
      title: 'C6: an active client and the event loop with the idle crowd present',
      caption:
        'Sequential requests on one kept-alive connection while N other connections sit idle; event-loop delay from perf_hooks.monitorEventLoopDelay in the server.',
      spec: {
        $schema: SCHEMA,
        data: { values: lat },
        facet: { column: { field: 'what', type: 'nominal', title: null } },
        spec: {
          width: 180,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'connections', type: 'ordinal', title: 'idle connections' },
            y: { field: 'ms', type: 'quantitative', title: 'ms' },
            color: { field: 'protocol', type: 'nominal', title: null },
            tooltip: [{ field: 'protocol' }, { field: 'connections' }, { field: 'ms', format: '.2f' }],
          },
        },
      } as ChartSpec['spec'],
    },
  ];
}

function fdChart(fd: FdLimitCase[]): ChartSpec {
  const values = fd.flatMap((c) =>
    Object.entries(c.outcomes).map(([outcome, count]) => ({ protocol: c.protocol, outcome, count })),
  );
  return {
    id: 'cost-fd-limit',
    title: 'C6: what clients see past the server’s FD limit',
    caption: `A server under prlimit --nofile=${fd[0]?.nofile_limit ?? '?'} and a crowd of ${fd[0]?.crowd ?? '?'} connections: ok = got its answer and stays open; eof / ECONNRESET = accepted by the kernel, then dropped by the server.`,
    spec: {
      $schema: SCHEMA,
      data: { values },
      width: 420,
      mark: 'bar',
      encoding: {
        y: { field: 'protocol', type: 'nominal', title: null },
        x: { field: 'count', type: 'quantitative', stack: 'zero', title: 'connections' },
        color: {
          field: 'outcome',
          type: 'nominal',
          title: 'outcome',
          scale: {
            domain: ['ok', ...new Set(values.map((v) => v.outcome).filter((o) => o !== 'ok'))],
            range: ['#9aa5b1', '#d62728', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f'],
          },
        },
        tooltip: [{ field: 'protocol' }, { field: 'outcome' }, { field: 'count' }],
      },
    } as ChartSpec['spec'],
  };
}

/** A chart datum of one metric of one case: the median over runs, min and max, n. */
function spreadDatum(s: Spread | null): { value: number | null; min: number | null; max: number | null; n: number } {
  return { value: s?.median ?? null, min: s?.min ?? null, max: s?.max ?? null, n: s?.n ?? 0 };
}

function churnCharts(churn: LoadPoint[]): ChartSpec[] {
  const tag = (p: LoadPoint): string => (p.keep_alive ? 'keep-alive' : 'no keep-alive');
  const whats: Array<[string, LoadMetric]> = [
    ['achieved rps', 'throughput_rps'],
    ['p50 latency (ms)', 'latency_p50_ms'],
    ['p99 latency (ms)', 'latency_p99_ms'],
    ['CPU per request, client + server (µs)', 'cpu_per_req_us'],
    ['errors + unsent (%)', 'error_pct'],
  ];
  const long = churn.flatMap((p) =>
    whats.map(([what, m]) => ({
      profile: p.profile,
      rate_rps: p.rate_rps,
      mode: tag(p),
      what,
      ...spreadDatum(p.spread[m]),
    })),
  );
  return [
    {
      id: 'cost-churn',
      title: 'C11: churn without keep-alive vs keep-alive at fixed request rates (open loop)',
      caption: `Each point is ${runsText(churn.map((p) => p.n))} at a fixed arrival rate, the bar min–max over the runs; latency counts from the intended send time, so a side that falls behind shows as queueing and unsent requests.`,
      spec: {
        $schema: SCHEMA,
        data: { values: long },
        facet: {
          row: {
            field: 'what',
            type: 'nominal',
            title: null,
            header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' },
          },
          column: { field: 'profile', type: 'nominal', title: null },
        },
        resolve: { scale: { y: 'independent' } },
        spec: {
          width: 220,
          height: 120,
          encoding: {
            x: { field: 'rate_rps', type: 'quantitative', title: 'target rate (rps)' },
            color: { field: 'mode', type: 'nominal', title: null },
            tooltip: [
              { field: 'mode' },
              { field: 'rate_rps' },
              { field: 'value', title: 'median', format: '.2f' },
              { field: 'min', format: '.2f' },
              { field: 'max', format: '.2f' },
              { field: 'n', title: 'runs' },
            ],
          },
          layer: [
            {
              mark: { type: 'line', point: true },
              encoding: { y: { field: 'value', type: 'quantitative', title: null, axis: { format: ',.6~g' } } },
            },
            { mark: { type: 'rule' }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
          ],
        },
      } as ChartSpec['spec'],
    },
  ];
}

function limitsChart(limits: LoadPoint[]): ChartSpec {
  const label = (p: LoadPoint): string =>
    `maxRequests ${p.max_requests_per_socket || '0'}, keepAlive ${p.keep_alive_timeout_ms} ms`;
  return {
    id: 'cost-limits',
    title: 'Server limits: how often connections are recycled, and the tail',
    caption: `New connections per request (server accepts ÷ answers) and p99 latency at one fixed open-loop rate: ${runsText(limits.map((p) => p.n))} per case, the line min–max over the runs.`,
    spec: {
      $schema: SCHEMA,
      data: {
        values: limits.flatMap((p) => [
          { case: label(p), what: 'new connections per request', ...spreadDatum(p.spread.server_conns_per_req) },
          { case: label(p), what: 'p99 latency (ms)', ...spreadDatum(p.spread.latency_p99_ms) },
        ]),
      },
      facet: { column: { field: 'what', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 200,
        encoding: {
          y: { field: 'case', type: 'nominal', title: null, sort: null, axis: { labelLimit: 320 } },
          tooltip: [
            { field: 'case' },
            { field: 'value', title: 'median', format: '.3f' },
            { field: 'min', format: '.3f' },
            { field: 'max', format: '.3f' },
            { field: 'n', title: 'runs' },
          ],
        },
        layer: [
          { mark: 'bar', encoding: { x: { field: 'value', type: 'quantitative', title: null } } },
          {
            mark: { type: 'rule', color: 'black' },
            encoding: { x: { field: 'min', type: 'quantitative' }, x2: { field: 'max' } },
          },
        ],
      },
    } as ChartSpec['spec'],
  };
}

const r1 = (v: number | null): Cell => (v === null ? null : Math.round(v * 10) / 10);

function idleTable(idle: IdlePoint[]): Table {
  return {
    title: 'Idle kept-alive connections (C6)',
    columns: [
      { label: 'protocol' },
      { label: 'idle connections', numeric: true },
      { label: 'open', numeric: true },
      { label: 'RSS per conn', unit: 'KiB', numeric: true },
      { label: 'heap per conn', unit: 'KiB', numeric: true },
      { label: 'FDs per conn', numeric: true },
      { label: 'kernel TCP mem per conn', unit: 'B', numeric: true },
      { label: 'active p50', unit: 'ms', numeric: true },
      { label: 'active p99', unit: 'ms', numeric: true },
      { label: 'event-loop p99', unit: 'ms', numeric: true },
    ],
    rows: idle.map((p) => [
      p.protocol,
      p.connections,
      p.crowd_open,
      r1(p.rss_per_conn_bytes === null ? null : p.rss_per_conn_bytes / 1024),
      r1(p.heap_per_conn_bytes === null ? null : p.heap_per_conn_bytes / 1024),
      p.fds_per_conn,
      r1(p.tcp_mem_per_conn_bytes),
      p.active_p50_ms,
      p.active_p99_ms,
      p.eventloop_delay_p99_ms,
    ]),
  };
}

function fdTable(fd: FdLimitCase[]): Table {
  return {
    title: 'Past the FD limit',
    columns: [
      { label: 'protocol' },
      { label: 'RLIMIT_NOFILE', numeric: true },
      { label: 'crowd', numeric: true },
      { label: 'crowd outcomes' },
      { label: 'new client before', numeric: true },
      { label: 'new client at limit' },
      { label: 'after the crowd closed' },
      { label: 'server alive' },
    ],
    rows: fd.map((c) => [
      c.protocol,
      c.nofile_limit,
      c.crowd,
      Object.entries(c.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      c.probes_before_ok,
      `${c.probes_at_limit_ok}/${c.probes_at_limit} ok (${c.at_limit_errors.join('; ')})`,
      `${c.probes_after_ok}/${c.probes_after} ok`,
      c.alive_after ? 'yes' : 'no',
    ]),
  };
}

/** Per metric the median over the case's runs with [min–max] (n in its own column; "(n k)" where fewer runs have it). */
function spreadCell(p: LoadPoint, m: LoadMetric, digits: number): Cell {
  const s = p.spread[m];
  if (s === null) return null;
  // A single run stays a number; several give "median [min–max]".
  return p.n <= 1 ? Math.round(s.median * 10 ** digits) / 10 ** digits : fmtSpread(s, digits, p.n);
}

function loadTable(title: string, pts: LoadPoint[], extra: 'none' | 'limits'): Table {
  return {
    title: pts.some((p) => p.n > 1) ? `${title}: median [min–max] over runs` : title,
    columns: [
      { label: 'profile' },
      ...(extra === 'limits'
        ? [{ label: 'maxRequestsPerSocket' }, { label: 'keepAliveTimeout', unit: 'ms' }]
        : [{ label: 'keep-alive' }]),
      { label: 'target', unit: 'rps', numeric: true },
      { label: 'n', numeric: true },
      { label: 'achieved', unit: 'rps', numeric: true },
      { label: 'errors + unsent', unit: '%', numeric: true },
      { label: 'p50', unit: 'ms', numeric: true },
      { label: 'p99', unit: 'ms', numeric: true },
      { label: 'client CPU/req', unit: 'µs', numeric: true },
      { label: 'server CPU/req', unit: 'µs', numeric: true },
      { label: 'new conns/req', numeric: true },
      { label: 'TIME_WAIT +client', numeric: true },
      { label: 'TIME_WAIT +server', numeric: true },
    ],
    rows: pts.map((p) => [
      p.profile,
      ...(extra === 'limits'
        ? [p.max_requests_per_socket || '0', p.keep_alive_timeout_ms]
        : [p.keep_alive ? 'yes' : 'no']),
      p.rate_rps,
      p.n,
      spreadCell(p, 'throughput_rps', 1),
      spreadCell(p, 'error_pct', 1),
      spreadCell(p, 'latency_p50_ms', 2),
      spreadCell(p, 'latency_p99_ms', 2),
      spreadCell(p, 'client_cpu_per_req_us', 1),
      spreadCell(p, 'server_cpu_per_req_us', 1),
      spreadCell(p, 'server_conns_per_req', 3),
      spreadCell(p, 'client_time_wait_delta', 0),
      spreadCell(p, 'server_time_wait_delta', 0),
    ]),
  };
}

/** What the spread of the churn, port and limit figures is: repetitions, interleaving, min–max over runs. */
export function repsCaveat(points: readonly LoadPoint[]): string {
  const ns = points.map((p) => p.n);
  const lo = ns.length ? Math.min(...ns) : 0;
  const hi = ns.length ? Math.max(...ns) : 0;
  if (hi <= 1)
    return 'Each churn, port and limit case is one open-loop run here (--quick, or a run from before repetitions): no spread; p99 figures of single runs on a busy machine move by several ×.';
  return `Each churn, port and limit case ran ${lo === hi ? hi : `${lo}–${hi}`} times (open loop, bounded duration), interleaved: run 1 of every case, then run 2, …, keep-alive and no keep-alive alternating in order (ports: keep-alive first in every run, each run in its own port range). Figures are the median over runs with [min–max] over runs and n = runs, not a confidence interval; p99 of single runs on a busy machine moves by several ×.`;
}

/** The section's charts, in page order: idle, FD limit, churn, limits (each only when its part ran). */
export function costCharts(f: CostFigures): ChartSpec[] {
  const specs: ChartSpec[] = [];
  if (f.idle.length) specs.push(...idleCharts(f.idle));
  if (f.fd.length) specs.push(fdChart(f.fd));
  if (f.churn.length) specs.push(...churnCharts(f.churn));
  if (f.limits.length) specs.push(limitsChart(f.limits));
  return specs;
}

/** The section's tables, in page order: idle, FD limit, churn, ports, limits (each only when its part ran). */
export function costTables(f: CostFigures): Table[] {
  const tables: Table[] = [];
  if (f.idle.length) tables.push(idleTable(f.idle));
  if (f.fd.length) tables.push(fdTable(f.fd));
  if (f.churn.length) tables.push(loadTable('Churn with and without keep-alive (C11)', f.churn, 'none'));
  if (f.ports.length)
    tables.push(loadTable(`Narrowed client ip_local_port_range ${f.port_range} (C11)`, f.ports, 'none'));
  if (f.limits.length)
    tables.push(loadTable('Server limits (maxRequestsPerSocket, keepAliveTimeout)', f.limits, 'limits'));
  return tables;
}

export function costCaveats(f: CostFigures): string[] {
  const nofile = f.crowd_agent_nofile;
  return [
    'Per-connection memory is (with crowd − before) ÷ N on a fresh server, without a forced GC: heap figures move with GC timing, RSS with allocator granularity; trust the largest N most.',
    "Kernel socket memory per connection is the sum of skmem r+t+f+w+o+bl (ss -tm) over the server namespace's TCP sockets, with the crowd − before; /proc/net/sockstat `mem` is also in cost.csv but counted host-wide.",
    'The client holds the idle crowd in a separate agent process' +
      (nofile
        ? ` (RLIMIT_NOFILE ${nofile}: root here cannot raise the hard limit, Node raises the soft one to it)`
        : '') +
      '.',
    'TIME_WAIT counts are deltas over one run; TIME_WAIT lasts 60 s, so a run can still see sockets of the run before it. The side that closes first keeps it: with Connection: close the server usually closes first.',
    'The load driver counts errors as timeouts, resets and other: the narrowed-port-range failures are "other" (connect errors) and their errno is not recorded. A side experiment on the same link (128 ports, Connection: close) gave EADDRNOTAVAIL with all 128 ports in client TIME_WAIT when the client closed right after the response, and no failure at all when it waited for the server\'s FIN: who closes first decides whether the client runs out of ports.',
    repsCaveat([...f.churn, ...f.ports, ...f.limits]),
    "Server and client share a 2-core machine: CPU per request and the rate where a mode falls behind are figures of this machine under its load at the time. CPU per request is (utime + stime over the run) ÷ answers, so each process's fixed background work weighs more at low rates.",
  ];
}
