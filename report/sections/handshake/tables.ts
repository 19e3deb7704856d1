/** The handshake section's tables (the saving per case, the latency per phase) and its caveats. */
import type { RunFolder } from '../../load-run.ts';
import { CONN_MODE_LABEL, fmtCi, round4, variantLabel } from '../../format.ts';
import { failedCases } from '../../rows.ts';
import { type Figure } from '../../../lib/figures.ts';
import {
  MIN_RTT_FOR_RTT_UNITS_MS,
  rttOf,
  variantKey,
  type Saving,
} from '../../../bench/scenarios/handshake/savings.ts';
import { MODE_ORDER } from '../../theme.ts';
import type { Cell, Table } from '../types.ts';
import { MATCH_TEXT, c1Match, type ProfileInfo } from './analysis.ts';

export function latencyTable(
  figures: readonly Figure[],
  totals: readonly Figure[],
  profiles: readonly ProfileInfo[],
  variants: readonly string[],
): Table {
  const metricOf = (f: Figure, metric: string): number | null =>
    figures.find((x) => x.case_key === f.case_key && x.metric === metric)?.median ?? null;
  const rows: Cell[][] = [];
  for (const p of profiles) {
    for (const v of variants) {
      for (const mode of MODE_ORDER) {
        const f = totals.find((x) => x.profile === p.name && variantKey(x) === v && x.conn_mode === mode);
        if (!f) continue;
        const rtt = rttOf(f);
        rows.push([
          p.name,
          round4(rtt),
          variantLabel(f.protocol, f.security),
          CONN_MODE_LABEL[mode] ?? mode,
          f.n,
          f.errors,
          round4(f.median),
          fmtCi(f.ci95_low, f.ci95_high, ''),
          round4(f.p90),
          round4(metricOf(f, 'connect_ms')),
          round4(metricOf(f, 'tls_ms')),
          round4(f.model_ms),
          f.median !== null && f.model_ms ? round4(f.median / f.model_ms) : null,
          f.median !== null && rtt !== null && rtt >= MIN_RTT_FOR_RTT_UNITS_MS ? round4(f.median / rtt) : null,
        ]);
      }
    }
  }
  return {
    title: 'Time per request (total, medians)',
    columns: [
      { label: 'profile' },
      { label: 'RTT', unit: 'ms', numeric: true },
      { label: 'protocol' },
      { label: 'connection' },
      { label: 'n', numeric: true },
      { label: 'errors', numeric: true },
      { label: 'median', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms', numeric: true },
      { label: 'p90', unit: 'ms', numeric: true },
      { label: 'TCP connect', unit: 'ms', numeric: true },
      { label: 'TLS', unit: 'ms', numeric: true },
      { label: 'model', unit: 'ms', numeric: true },
      { label: 'measured ÷ model', numeric: true },
      { label: 'median', unit: 'RTT', numeric: true },
    ],
    rows,
  };
}

export function savingTable(
  savings: readonly Saving[],
  profiles: readonly ProfileInfo[],
  variants: readonly string[],
): Table {
  const rows: Cell[][] = [];
  for (const p of profiles) {
    for (const v of variants) {
      for (const mode of MODE_ORDER) {
        const s = savings.find((x) => x.profile === p.name && variantKey(x) === v && x.versus === mode);
        if (!s) continue;
        rows.push([
          p.name,
          round4(s.rtt_ms),
          variantLabel(s.protocol, s.security),
          CONN_MODE_LABEL[mode] ?? mode,
          round4(s.saving_ms),
          fmtCi(s.ci_low_ms, s.ci_high_ms, ''),
          round4(s.saving_rtt),
          round4(s.model_rtt),
          round4(s.cpu_ms),
          s.versus === 'new' && s.saving_rtt !== null ? MATCH_TEXT[c1Match(s)] : '',
        ]);
      }
    }
  }
  return {
    title: 'Saving of a kept-alive connection',
    columns: [
      { label: 'profile' },
      { label: 'RTT', unit: 'ms', numeric: true },
      { label: 'protocol' },
      { label: 'compared with' },
      { label: 'saving', unit: 'ms', numeric: true },
      { label: '95 % CI', unit: 'ms', numeric: true },
      { label: 'saving', unit: 'RTT', numeric: true },
      { label: 'model', unit: 'RTT', numeric: true },
      { label: '+ processing at zero RTT', unit: 'ms', numeric: true },
      { label: 'C1 check' },
    ],
    rows,
  };
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function caveatsFor(run: RunFolder, figures: readonly Figure[], totals: readonly Figure[]): string[] {
  const out: string[] = [];
  const link = (run.meta.link ?? {}) as Record<string, unknown>;
  const backends = new Set(figures.map((f) => f.link_backend).filter((b) => b !== ''));
  if (typeof link.backend === 'string') backends.add(link.backend);
  if (backends.has('none')) {
    out.push(
      'Measured on the none link (plain loopback): it adds no delay, so savings are host CPU and kernel time, not round trips. For RTT figures run with --link tun (or tc) and --profile wan.',
    );
  }
  if (backends.has('proxy')) {
    out.push(
      "Measured on the proxy link: it charges the TCP handshake RTT when a connection opens instead of carrying real packets, so the TCP part of the saving is the proxy's emulation; there is no slow start or loss recovery.",
    );
  }
  const caveatTexts = new Set([...strings(link.caveats), ...figures.map((f) => f.link_caveat).filter((c) => c !== '')]);
  for (const c of caveatTexts) out.push(`Link: ${c}`);
  for (const fc of failedCases(run.samples, 'handshake')) {
    const reasons = fc.reasons.map(([r, n]) => `${r} ×${n}`).join(', ');
    const all = fc.failed === fc.measured;
    out.push(
      `${fc.failed} of ${fc.measured} requests failed in ${fc.case_key} (${reasons})${all ? ': the case has no figure' : '; its figures use the successful ones'}.`,
    );
  }
  const noCi = totals.filter((f) => f.median !== null && (f.ci95_low === null || f.ci95_high === null));
  if (noCi.length > 0)
    out.push(
      `${noCi.length} case${noCi.length === 1 ? ' has' : 's have'} fewer than 6 successful samples: no 95 % CI, so no verdict can rest on ${noCi.length === 1 ? 'it' : 'them'}.`,
    );
  const options = (run.meta.options ?? {}) as Record<string, unknown>;
  if (options.quick === true) out.push('Quick run (--quick): few samples per case, so confidence intervals are wide.');
  for (const p of Array.isArray(run.meta.profiles) ? run.meta.profiles : []) {
    const rec = (p ?? {}) as Record<string, unknown>;
    const cal = (rec.calibration ?? {}) as Record<string, unknown>;
    for (const w of strings(cal.warnings)) out.push(`Calibration of ${String(rec.name)}: ${w}`);
  }
  out.push(
    'The model counts round trips only (TCP 1, TLS 1.3 1, TLS 1.2 2, resumed 1, request 1): server and crypto CPU time are not in it, which is why measured times sit a little above it.',
  );
  return out;
}
