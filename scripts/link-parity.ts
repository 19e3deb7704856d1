/**
 * tun ⇄ tc parity (not a test): the same measurements through both emulators in the same kernel — the
 * handshake saving of keep-alive in RTTs per protocol, slow start's rounds for a cold 1 MiB response, and
 * the loss each link actually drops (its own drop counter) — printed side by side. Two independent emulators (a userspace delay line
 * and the kernel's netem) vouching for each other. Needs root and a kernel with sch_netem; where this one has
 * none, run it in the user-mode kernel:
 *
 *   node --import tsx scripts/link-parity.ts [--requests N] [--datagrams N] [--out DIR] [--json]
 *   node --import tsx test/helpers/uml/cli.ts -- node --import tsx scripts/link-parity.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../lib/errors.ts';
import { readCsv } from '../lib/csv-file.ts';
import type { LinkParams } from '../netem/link.ts';
import { openLink } from '../netem/select.ts';
import { newRunId } from '../netem/topology.ts';
import { LinkProbe } from '../netem/link-probe.ts';
import { parseCliArgs, runMain, versionHelp } from './cli.ts';
import { numberOrNull } from '../lib/numbers.ts';

export const PARITY_BACKENDS = ['tun', 'tc'] as const;
export type ParityBackend = (typeof PARITY_BACKENDS)[number];

export interface BackendFigures {
  backend: ParityBackend;
  /** Calibrated RTT of the wan profile in the handshake run, ms. */
  rtt_ms: number | null;
  /** Keep-alive's saving (new − reused median) in calibrated RTTs, by "protocol+security". */
  saving_rtt: Record<string, number | null>;
  /** The same saving in ms (independent of the calibration, which a busy CPU moves under the tun link). */
  saving_ms: Record<string, number | null>;
  /** Half the width of the saving's 95 % CI, ms, from the two medians' CIs (null: a median without a CI). */
  saving_halfwidth_ms: Record<string, number | null>;
  /** Rounds (median / calibrated RTT) of a cold 1 MiB response, and the congestion control it ran on (null: not run). */
  cold_1mib_rtts: number | null;
  slowstart_cc: string | null;
  /**
   * UDP datagrams sent through a 5 % loss link and the ones the link itself dropped (its loss counter: what the
   * emulator did, not what a CPU-starved receiver also missed, which `missed` counts).
   */
  loss: { configured_pct: number; sent: number; lost: number; measured_pct: number; missed: number } | null;
}

type Row = Record<string, string>;

const num = numberOrNull;

/** Keep-alive's saving in ms and in RTTs per protocol+security from a handshake run's summary rows. Pure. */
export function savingsInRtt(summary: readonly Row[]): {
  rtt_ms: number | null;
  saving_rtt: Record<string, number | null>;
  saving_ms: Record<string, number | null>;
  saving_halfwidth_ms: Record<string, number | null>;
} {
  const rows = summary.filter((r) => r.scenario === 'handshake' && r.metric === 'total_ms');
  const out: Record<string, number | null> = {};
  const ms: Record<string, number | null> = {};
  const hw: Record<string, number | null> = {};
  let rtt: number | null = null;
  const halfwidth = (r: Row | undefined): number | null => {
    const lo = num(r?.ci95_low);
    const hi = num(r?.ci95_high);
    return lo !== null && hi !== null ? (hi - lo) / 2 : null;
  };
  for (const fresh of rows.filter((r) => r.conn_mode === 'new')) {
    const reused = rows.find(
      (r) =>
        r.conn_mode === 'reused' &&
        r.protocol === fresh.protocol &&
        r.security === fresh.security &&
        r.profile === fresh.profile,
    );
    const name = `${fresh.protocol}${fresh.security === 'none' ? '' : `+${fresh.security}`}`;
    const a = num(fresh.median);
    const b = num(reused?.median);
    rtt = num(fresh.rtt_ms_calibrated) ?? rtt;
    ms[name] = a !== null && b !== null ? a - b : null;
    const [ha, hb] = [halfwidth(fresh), halfwidth(reused)];
    hw[name] = ha !== null && hb !== null ? Math.hypot(ha, hb) : null;
    out[name] = a !== null && b !== null && rtt !== null && rtt > 0 ? (a - b) / rtt : null;
  }
  return { rtt_ms: rtt, saving_rtt: out, saving_ms: ms, saving_halfwidth_ms: hw };
}

/** The cold 1 MiB case of a slowstart run: its rounds (median / calibrated RTT) and congestion control. Pure. */
export function coldRounds(summary: readonly Row[]): { rtts: number | null; cc: string | null } {
  const r = summary.find(
    (x) =>
      x.scenario === 'slowstart' &&
      x.metric === 'total_ms' &&
      x.size_bytes === '1048576' &&
      /(^|\/)state=cold(\/|$)/.test(x.case_key ?? '') &&
      /part=size/.test(x.case_key ?? ''),
  );
  return { rtts: num(r?.rtts_measured), cc: r?.congestion_control ?? null };
}

async function bench(backend: ParityBackend, out: string, args: string[]): Promise<Row[]> {
  const r = await execa(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench.ts', '--link', backend, '--quick', ...args, '--out', out],
    { reject: false, stdin: 'ignore' },
  );
  if (r.exitCode !== 0)
    throw new UserError(
      `bench --link ${backend} ${args.join(' ')} failed (exit ${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(-1)[0] ?? ''}`,
    );
  return readCsv(join(out, 'latest', 'summary.csv'));
}

async function measuredLoss(
  backend: ParityBackend,
  datagrams: number,
  loss_pct: number,
): Promise<NonNullable<BackendFigures['loss']>> {
  const params: LinkParams = {
    rtt_ms: 2,
    jitter_ms: 0,
    loss_pct,
    rate_mbit: null,
    queue_packets: null,
    mtu_bytes: 1500,
  };
  const { link } = await openLink(backend, { runId: newRunId(), params });
  let probe: LinkProbe | undefined;
  try {
    probe = await LinkProbe.start(link);
    const before = await link.counters();
    const u = await probe.udpDelivery(datagrams, 500, 50, 5);
    const after = await link.counters();
    if (!before || !after) throw new Error(`the ${backend} link has no counters`);
    const lost = after.up.dropped_loss - before.up.dropped_loss;
    return {
      configured_pct: loss_pct,
      sent: u.sent,
      lost,
      measured_pct: (100 * lost) / u.sent,
      missed: u.sent - u.received,
    };
  } finally {
    await probe?.stop();
    await link.close();
  }
}

export const PARITY_PARTS = ['handshake', 'slowstart', 'loss'] as const;
export type ParityPart = (typeof PARITY_PARTS)[number];

export interface ParityOptions {
  requests: number;
  datagrams: number;
  out: string;
  /** Default: all. */
  parts?: readonly ParityPart[];
  log?: (line: string) => void;
}

export async function measureParity(o: ParityOptions): Promise<BackendFigures[]> {
  const figures: BackendFigures[] = [];
  const t0 = Date.now();
  const log = (l: string): void => o.log?.(`${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${l}`);
  const parts = o.parts ?? PARITY_PARTS;
  for (const backend of PARITY_BACKENDS) {
    let hs: ReturnType<typeof savingsInRtt> = { rtt_ms: null, saving_rtt: {}, saving_ms: {}, saving_halfwidth_ms: {} };
    let ss: ReturnType<typeof coldRounds> = { rtts: null, cc: null };
    let loss: BackendFigures['loss'] = null;
    if (parts.includes('handshake')) {
      log(`[${backend}] handshake at wan, ${o.requests} requests a case…`);
      hs = savingsInRtt(
        await bench(backend, join(o.out, `${backend}-handshake`), [
          '--scenario',
          'handshake',
          '--profile',
          'wan',
          '--requests',
          String(o.requests),
        ]),
      );
    }
    if (parts.includes('slowstart')) {
      log(`[${backend}] slow start at wan, cold 1 MiB…`);
      ss = coldRounds(
        await bench(backend, join(o.out, `${backend}-slowstart`), ['--scenario', 'slowstart', '--profile', 'wan']),
      );
    }
    if (parts.includes('loss')) {
      log(`[${backend}] 5 % loss over ${o.datagrams} datagrams…`);
      loss = await measuredLoss(backend, o.datagrams, 5);
    }
    figures.push({
      backend,
      rtt_ms: hs.rtt_ms,
      saving_rtt: hs.saving_rtt,
      saving_ms: hs.saving_ms,
      saving_halfwidth_ms: hs.saving_halfwidth_ms,
      cold_1mib_rtts: ss.rtts,
      slowstart_cc: ss.cc,
      loss,
    });
  }
  log('done');
  return figures;
}

function fmt(v: number | null, digits = 2): string {
  return v === null ? '—' : v.toFixed(digits);
}

/** The side-by-side table. Pure. */
export function parityTable(f: readonly BackendFigures[]): string {
  const [tun, tc] = [f.find((x) => x.backend === 'tun'), f.find((x) => x.backend === 'tc')];
  const rows: string[][] = [];
  const diffPct = (a: number | null, b: number | null): string =>
    a === null || b === null || a === 0 ? '—' : `${(((b - a) / a) * 100).toFixed(1)} %`;
  rows.push([
    'calibrated RTT at wan',
    `${fmt(tun?.rtt_ms ?? null, 3)} ms`,
    `${fmt(tc?.rtt_ms ?? null, 3)} ms`,
    diffPct(tun?.rtt_ms ?? null, tc?.rtt_ms ?? null),
  ]);
  for (const k of Object.keys(tun?.saving_rtt ?? {})) {
    const a = tun?.saving_rtt[k] ?? null;
    const b = tc?.saving_rtt[k] ?? null;
    const am = tun?.saving_ms[k] ?? null;
    const bm = tc?.saving_ms[k] ?? null;
    rows.push([
      `keep-alive saving, ${k}`,
      `${fmt(a)} RTT = ${fmt(am, 1)} ms`,
      `${fmt(b)} RTT = ${fmt(bm, 1)} ms`,
      diffPct(am, bm),
    ]);
  }
  rows.push([
    `cold 1 MiB (${tun?.slowstart_cc ?? '?'} / ${tc?.slowstart_cc ?? '?'})`,
    `${fmt(tun?.cold_1mib_rtts ?? null)} RTT`,
    `${fmt(tc?.cold_1mib_rtts ?? null)} RTT`,
    diffPct(tun?.cold_1mib_rtts ?? null, tc?.cold_1mib_rtts ?? null),
  ]);
  const loss = (x: BackendFigures | undefined): string =>
    x?.loss ? `${x.loss.measured_pct.toFixed(2)} % (${x.loss.lost}/${x.loss.sent})` : '—';
  rows.push([
    `loss dropped by the link, 5 % configured`,
    loss(tun),
    loss(tc),
    diffPct(tun?.loss?.measured_pct ?? null, tc?.loss?.measured_pct ?? null),
  ]);
  const missed = (x: BackendFigures | undefined): string => (x?.loss ? `${x.loss.missed}` : '—');
  rows.push(['datagrams the receiver missed', missed(tun), missed(tc), '']);
  const header = ['figure', 'tun', 'tc', 'tc vs tun'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const HELP = `node --import tsx scripts/link-parity.ts [--parts handshake,slowstart,loss] [--requests N] [--datagrams N] [--out DIR] [--json]

The same handshake, slow-start and loss measurements through the tun and the tc link in this kernel (root,
sch_netem), printed side by side. Defaults: every part, 20 requests a handshake case, 20 000 datagrams.
  --json       the figures as one JSON line instead of the table
  -h, --help   this help
  ${versionHelp(13)}`;

export async function main(argv: string[]): Promise<number> {
  const { values: v } = parseCliArgs({
    args: argv,
    options: {
      parts: { type: 'string' },
      requests: { type: 'string' },
      datagrams: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (v.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const int = (name: string, s: string | undefined, d: number): number => {
    const n = s === undefined ? d : Number(s);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} must be a positive integer, got "${s}"`);
    return n;
  };
  const parts = v.parts === undefined ? [...PARITY_PARTS] : v.parts.split(',').map((p) => p.trim());
  const bad = parts.filter((p) => !(PARITY_PARTS as readonly string[]).includes(p));
  if (bad.length > 0 || parts.length === 0)
    throw new UserError(`--parts: choose from ${PARITY_PARTS.join(', ')} (got "${v.parts}")`);
  const figures = await measureParity({
    parts: parts as ParityPart[],
    requests: int('requests', v.requests, 20),
    datagrams: int('datagrams', v.datagrams, 20_000),
    out: v.out ?? mkdtempSync(join(tmpdir(), 'kab-parity-')),
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(v.json ? `${JSON.stringify(figures)}\n` : `${parityTable(figures)}\n`);
  return 0;
}

if (process.argv[1]?.endsWith('link-parity.ts')) runMain(() => main(process.argv.slice(2)));
