/**
 * The processing part of keep-alive's saving by two methods: through the link on the run's zero-RTT profile
 * (new connection − kept-alive medians, with their CI), and in-process with tinybench (handshake-micro.csv:
 * client and server in one process on loopback; the difference of the means with the two 95 % margins of error
 * combined, and the process CPU per request). They agree when their intervals overlap.
 */
import type { Figure } from '../../../lib/figures.ts';
import { handshakeSavings, variantKey } from '../../../bench/scenarios/handshake/savings.ts';
import { fmtCi, fmtMs, round4, variantLabel } from '../../format.ts';
import { readScenarioCsv, type CsvRow, type RunFolder } from '../../load-run.ts';
import { num } from '../../rows.ts';
import type { Cell, Table } from '../types.ts';

export interface MicroTask {
  protocol: string;
  security: string;
  conn_mode: string;
  samples: number;
  wall_mean_ms: number;
  wall_moe_ms: number;
  cpu_per_op_ms: number | null;
}

export interface TwoMethods {
  protocol: string;
  security: string;
  /** The mode compared with a kept-alive connection: new or resumed. */
  versus: string;
  link_ms: number | null;
  link_ci_low_ms: number | null;
  link_ci_high_ms: number | null;
  link_n: number | null;
  inproc_ms: number;
  /** Half-width of the difference's 95 % interval: the two margins of error combined in quadrature. */
  inproc_moe_ms: number;
  inproc_n: number;
  cpu_ms: number | null;
  /** null when there is no link figure to hold it against. */
  agree: boolean | null;
}

export function microTasks(rows: readonly CsvRow[]): MicroTask[] {
  const out: MicroTask[] = [];
  for (const r of rows) {
    const mean = num(r.wall_mean_ms);
    const moe = num(r.wall_moe_ms);
    if (r.state !== 'completed' || mean === null || moe === null) continue;
    out.push({
      protocol: r.protocol ?? '',
      security: r.security ?? '',
      conn_mode: r.conn_mode ?? '',
      samples: num(r.samples) ?? 0,
      wall_mean_ms: mean,
      wall_moe_ms: moe,
      cpu_per_op_ms: num(r.cpu_per_op_ms),
    });
  }
  return out;
}

/** Pairs each in-process new/resumed task with its kept-alive one and with the zero-RTT link figure. */
export function twoMethods(totals: readonly Figure[], tasks: readonly MicroTask[]): TwoMethods[] {
  const zero = totals.filter((f) => f.rtt_ms_configured === 0);
  const linkSavings = handshakeSavings(zero);
  const out: TwoMethods[] = [];
  for (const t of tasks) {
    if (t.conn_mode === 'reused') continue;
    const reused = tasks.find((x) => variantKey(x) === variantKey(t) && x.conn_mode === 'reused');
    if (!reused) continue;
    const link = linkSavings.find((s) => variantKey(s) === variantKey(t) && s.versus === t.conn_mode);
    const inproc_ms = t.wall_mean_ms - reused.wall_mean_ms;
    const inproc_moe_ms = Math.hypot(t.wall_moe_ms, reused.wall_moe_ms);
    const linkFig = zero.find((f) => variantKey(f) === variantKey(t) && f.conn_mode === t.conn_mode);
    const lo = link?.ci_low_ms ?? null;
    const hi = link?.ci_high_ms ?? null;
    out.push({
      protocol: t.protocol,
      security: t.security,
      versus: t.conn_mode,
      link_ms: link?.saving_ms ?? null,
      link_ci_low_ms: lo,
      link_ci_high_ms: hi,
      link_n: linkFig?.n ?? null,
      inproc_ms,
      inproc_moe_ms,
      inproc_n: Math.min(t.samples, reused.samples),
      cpu_ms: t.cpu_per_op_ms !== null && reused.cpu_per_op_ms !== null ? t.cpu_per_op_ms - reused.cpu_per_op_ms : null,
      agree: lo === null || hi === null ? null : inproc_ms - inproc_moe_ms <= hi && lo <= inproc_ms + inproc_moe_ms,
    });
  }
  return out;
}

export function loadTwoMethods(run: RunFolder, totals: readonly Figure[]): TwoMethods[] {
  return twoMethods(totals, microTasks(readScenarioCsv(run.dir, 'handshake-micro')));
}

export function twoMethodsTable(list: readonly TwoMethods[]): Table {
  return {
    title: 'Processing of a new connection, two methods: through the link at zero RTT, and in-process (tinybench)',
    columns: [
      { label: 'case' },
      { label: 'link: saving', unit: 'ms', numeric: true },
      { label: 'link: 95 % CI', unit: 'ms' },
      { label: 'link: n', numeric: true },
      { label: 'in-process: wall, new − kept-alive', unit: 'ms', numeric: true },
      { label: 'in-process: ± 95 %', unit: 'ms', numeric: true },
      { label: 'in-process: n', numeric: true },
      { label: 'in-process: CPU, new − kept-alive', unit: 'ms', numeric: true },
      { label: 'agree' },
    ],
    rows: list.map((m): Cell[] => [
      `${variantLabel(m.protocol, m.security)}${m.versus === 'resumed' ? ', resumed' : ''}`,
      round4(m.link_ms),
      fmtCi(m.link_ci_low_ms, m.link_ci_high_ms, ''),
      m.link_n,
      round4(m.inproc_ms),
      round4(m.inproc_moe_ms),
      m.inproc_n,
      round4(m.cpu_ms),
      m.agree === null ? 'no link figure' : m.agree ? 'yes' : 'no',
    ]),
  };
}

/** One caveat line: how many cases the methods agree on, and where they do not. */
export function twoMethodsCaveat(list: readonly TwoMethods[]): string | null {
  const judged = list.filter((m) => m.agree !== null);
  if (judged.length === 0) return null;
  const differ = judged.filter((m) => m.agree === false);
  const where = differ
    .map(
      (m) =>
        `${variantLabel(m.protocol, m.security)}${m.versus === 'resumed' ? ' resumed' : ''}: link ${fmtMs(m.link_ms)} vs in-process ${fmtMs(m.inproc_ms)} ± ${fmtMs(m.inproc_moe_ms)}`,
    )
    .join('; ');
  return `The processing cost of a new connection, measured two ways (through the link at zero RTT; in one process with tinybench, wall time): they agree (intervals overlap) for ${judged.length - differ.length} of ${judged.length} cases${differ.length ? `; they differ for ${where} — the link's figure also holds the namespaces' and the TUN device's hops for the extra packets of a handshake` : ''}.`;
}
