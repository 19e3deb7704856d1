import type { SummaryRow } from '../lib/schema.ts';
import { numberOrNull } from '../lib/numbers.ts';
import { toFigure } from '../lib/figures.ts';
import { handshakeSavings } from './scenarios/handshake/savings.ts';

const n = numberOrNull;

function fmtMs(v: number | null, digits = 3): string {
  return v === null ? '—' : `${v.toFixed(digits)} ms`;
}

/** "median ms [CI low–high] n=…" — every printed figure carries its unit, sample count and spread. */
export function fmtFigure(r: SummaryRow | undefined): string {
  if (!r) return 'not run';
  const med = n(r.median);
  if (med === null) return `no samples (${r.errors} errors)`;
  const lo = n(r.ci95_low);
  const hi = n(r.ci95_high);
  const ci = lo !== null && hi !== null ? ` [${lo.toFixed(3)}–${hi.toFixed(3)}]` : ' [CI n/a]';
  const errs = Number(r.errors) > 0 ? ` ${r.errors} err` : '';
  return `${fmtMs(med)}${ci} n=${r.n}${errs}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The handshake scenario's headline: median total time new vs kept-alive, and the saving in ms and RTTs. */
export function handshakeHeadline(summary: readonly SummaryRow[]): string {
  const rows = summary.filter((r) => r.scenario === 'handshake' && r.metric === 'total_ms');
  const savings = handshakeSavings(rows.map(toFigure)).filter((s) => s.versus === 'new');
  const groups = new Map<string, SummaryRow[]>();
  for (const r of rows) {
    const k = `${r.profile}|${r.protocol}|${r.security}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: string[][] = [];
  for (const [k, list] of groups) {
    const [profile, protocol, security] = k.split('|');
    const get = (mode: string): SummaryRow | undefined => list.find((r) => r.conn_mode === mode);
    const s = savings.find((x) => x.profile === profile && x.protocol === protocol && x.security === security);
    const rtt = (v: number | null | undefined): string => (v == null ? '—' : `${v.toFixed(2)} RTT`);
    out.push([
      profile ?? '',
      `${protocol}${security === 'none' ? '' : `+${security}`}`,
      fmtFigure(get('new')),
      fmtFigure(get('reused')),
      s ? `${s.saving_ms.toFixed(3)} ms` : '—',
      rtt(s?.saving_rtt),
      rtt(s?.model_rtt),
      s?.cpu_ms == null ? '—' : `${s.cpu_ms.toFixed(3)} ms`,
    ]);
  }
  if (out.length === 0) return '';
  return table(
    [
      'profile',
      'protocol',
      'new connection: median [95% CI] n',
      'kept-alive: median [95% CI] n',
      'saving',
      'saving',
      'model',
      'of it CPU (at rtt 0)',
    ],
    out,
  );
}
