/** The handshake section's Vega-Lite charts: latency per mode, the saving, its trend with RTT, the phases. */
import { CONN_MODE_LABEL, round4, variantLabel } from '../../format.ts';
import { type Figure } from '../../../lib/figures.ts';
import { type Saving } from '../../../bench/scenarios/handshake/savings.ts';
import { MODE_ORDER, PHASE_COLORS, PHASE_ORDER, modeColorScale } from '../../theme.ts';
import type { ChartSpec } from '../types.ts';
import { type ProfileInfo } from './analysis.ts';

const TOOLTIP_NUM = (
  field: string,
  title: string,
): { field: string; type: 'quantitative'; title: string; format: string } => ({
  field,
  type: 'quantitative',
  title,
  format: '.3~f',
});

export function latencyChart(
  totals: readonly Figure[],
  profiles: readonly ProfileInfo[],
  variants: readonly string[],
): ChartSpec {
  const label = new Map(profiles.map((p) => [p.name, p.label]));
  const values = totals
    .filter((f) => f.median !== null)
    .map((f) => ({
      profile: label.get(f.profile) ?? f.profile,
      variant: variantLabel(f.protocol, f.security),
      conn_mode: f.conn_mode,
      mode_label: CONN_MODE_LABEL[f.conn_mode] ?? f.conn_mode,
      median_ms: round4(f.median),
      ci_low_ms: round4(f.ci95_low ?? f.median),
      ci_high_ms: round4(f.ci95_high ?? f.median),
      model_ms: round4(f.model_ms),
      n: f.n,
      errors: f.errors,
    }));
  const modes = [...new Set(totals.map((f) => f.conn_mode))];
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  const y = { field: 'variant', type: 'nominal' as const, sort: variantLabels, title: null };
  const yOffset = { field: 'conn_mode', type: 'nominal' as const, sort: [...MODE_ORDER] };
  const color = {
    field: 'conn_mode',
    type: 'nominal' as const,
    title: 'connection',
    scale: modeColorScale(modes),
    legend: {
      labelExpr:
        "{'new': 'new connection', 'server_close': 'server closes', 'resumed': 'new, TLS resumed', 'reused': 'kept alive (reused)'}[datum.label] || datum.label",
    },
  };
  return {
    id: 'handshake-latency',
    title: 'Time per request by connection mode',
    caption:
      'Median total time per request (dot) with its 95 % CI (whiskers) and the analytic model (thin tick), per protocol, security and link profile.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: {
        row: {
          field: 'profile',
          type: 'nominal',
          sort: profiles.map((p) => p.label),
          title: null,
          header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' },
        },
      },
      spacing: 18,
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 620,
        height: { step: 9 },
        encoding: { y, yOffset },
        layer: [
          {
            mark: { type: 'errorbar', ticks: { size: 5 } },
            encoding: {
              x: {
                field: 'ci_low_ms',
                type: 'quantitative',
                title: 'total time per request (ms)',
                scale: { zero: false },
              },
              x2: { field: 'ci_high_ms' },
              color,
            },
          },
          {
            mark: { type: 'point', filled: true, size: 55, opacity: 1 },
            encoding: {
              x: { field: 'median_ms', type: 'quantitative', title: 'total time per request (ms)' },
              color,
              tooltip: [
                { field: 'profile', title: 'profile' },
                { field: 'variant', title: 'protocol' },
                { field: 'mode_label', title: 'connection' },
                TOOLTIP_NUM('median_ms', 'median (ms)'),
                TOOLTIP_NUM('ci_low_ms', 'CI low (ms)'),
                TOOLTIP_NUM('ci_high_ms', 'CI high (ms)'),
                TOOLTIP_NUM('model_ms', 'model (ms)'),
                { field: 'n', title: 'n' },
                { field: 'errors', title: 'errors' },
              ],
            },
          },
          {
            mark: { type: 'tick', size: 9, orient: 'vertical' },
            encoding: { x: { field: 'model_ms', type: 'quantitative', title: 'total time per request (ms)' } },
          },
        ],
      },
    },
  };
}

export function savingChart(
  savings: readonly Saving[],
  profiles: readonly ProfileInfo[],
  variants: readonly string[],
): ChartSpec {
  const label = new Map(profiles.map((p) => [p.name, p.label]));
  const inRtt = savings.some((s) => s.saving_rtt !== null);
  const list = inRtt ? savings.filter((s) => s.saving_rtt !== null) : [...savings];
  const unit = inRtt ? 'RTT' : 'ms';
  const values = list.map((s) => {
    const div = inRtt && s.rtt_ms ? s.rtt_ms : 1;
    return {
      profile: label.get(s.profile) ?? s.profile,
      variant: variantLabel(s.protocol, s.security),
      versus: s.versus,
      versus_label: `reused vs ${CONN_MODE_LABEL[s.versus] ?? s.versus}`,
      saving: round4(s.saving_ms / div),
      ci_low: round4((s.ci_low_ms ?? s.saving_ms) / div),
      ci_high: round4((s.ci_high_ms ?? s.saving_ms) / div),
      model: s.model_ms === null ? null : round4(s.model_ms / div),
      expected: s.cpu_ms === null || s.expected_ms === null ? null : round4(s.expected_ms / div),
      cpu_ms: round4(s.cpu_ms),
      saving_ms: round4(s.saving_ms),
      rtt_ms: round4(s.rtt_ms),
    };
  });
  const withCpu = list.some((s) => s.cpu_ms !== null);
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  const modes = [...new Set(list.map((s) => s.versus))];
  const color = {
    field: 'versus',
    type: 'nominal' as const,
    title: 'a kept-alive request compared with',
    scale: modeColorScale(modes),
    legend: {
      titleLimit: 400,
      labelExpr:
        "{'new': 'a new connection', 'server_close': 'a server-closed one', 'resumed': 'a TLS-resumed one'}[datum.label] || datum.label",
    },
  };
  return {
    id: 'handshake-saving',
    title: inRtt
      ? 'Saving of keep-alive in round trips, against the model'
      : 'Saving of keep-alive (ms) — the link adds no delay, so not in round trips',
    caption: inRtt
      ? `How many RTTs a kept-alive connection saves per request (bar, with 95 % CI), beside the model (thin tick): 1 RTT for the TCP handshake, +1 for TLS 1.3, +2 for TLS 1.2 (+1 resumed).${withCpu ? ' The hollow diamond adds the processing time the run measured at zero RTT.' : ''}`
      : 'Saving per request in ms with its 95 % CI; with no delay on the link this is CPU and kernel time.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: {
        row: {
          field: 'profile',
          type: 'nominal',
          sort: profiles.map((p) => p.label),
          title: null,
          header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' },
        },
      },
      spacing: 18,
      resolve: inRtt ? {} : { scale: { x: 'independent' } },
      spec: {
        width: 620,
        height: { step: 11 },
        encoding: {
          y: { field: 'variant', type: 'nominal', sort: variantLabels, title: null },
          yOffset: { field: 'versus', type: 'nominal', sort: [...MODE_ORDER] },
        },
        layer: [
          {
            mark: { type: 'bar', height: { band: 0.85 } },
            encoding: {
              x: { field: 'saving', type: 'quantitative', title: `saving per request (${unit})` },
              color,
              tooltip: [
                { field: 'profile', title: 'profile' },
                { field: 'variant', title: 'protocol' },
                { field: 'versus_label', title: 'comparison' },
                TOOLTIP_NUM('saving', `saving (${unit})`),
                TOOLTIP_NUM('ci_low', `CI low (${unit})`),
                TOOLTIP_NUM('ci_high', `CI high (${unit})`),
                TOOLTIP_NUM('model', `model (${unit})`),
                TOOLTIP_NUM('expected', `model + processing (${unit})`),
                TOOLTIP_NUM('cpu_ms', 'processing at zero RTT (ms)'),
                TOOLTIP_NUM('saving_ms', 'saving (ms)'),
                TOOLTIP_NUM('rtt_ms', 'calibrated RTT (ms)'),
              ],
            },
          },
          {
            mark: { type: 'errorbar', ticks: { size: 4 }, color: '#7F7F7F' },
            encoding: {
              x: { field: 'ci_low', type: 'quantitative', title: `saving per request (${unit})` },
              x2: { field: 'ci_high' },
            },
          },
          {
            mark: { type: 'tick', size: 11, orient: 'vertical' },
            encoding: { x: { field: 'model', type: 'quantitative', title: `saving per request (${unit})` } },
          },
          ...(withCpu
            ? [
                {
                  mark: { type: 'point' as const, shape: 'diamond', filled: false, size: 40, strokeWidth: 1.5 },
                  encoding: {
                    x: { field: 'expected', type: 'quantitative' as const, title: `saving per request (${unit})` },
                  },
                },
              ]
            : []),
        ],
      },
    },
  };
}

export function rttTrendChart(savings: readonly Saving[], variants: readonly string[]): ChartSpec {
  const list = savings.filter((s) => s.versus === 'new' && s.rtt_ms !== null && s.rtt_ms > 0);
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  const values = list.map((s) => ({
    profile: s.profile,
    variant: variantLabel(s.protocol, s.security),
    rtt_ms: round4(s.rtt_ms),
    saving_ms: round4(s.saving_ms),
    ci_low_ms: round4(s.ci_low_ms ?? s.saving_ms),
    ci_high_ms: round4(s.ci_high_ms ?? s.saving_ms),
    model_ms: round4(s.model_ms),
    versus: s.versus,
  }));
  // Linear on purpose, even when RTTs span decades: the model is a straight line through the origin whose slope
  // is the RTTs saved, which a log axis would bend.
  const x = { field: 'rtt_ms', type: 'quantitative' as const, title: 'calibrated RTT (ms)', scale: { zero: true } };
  return {
    id: 'handshake-rtt-trend',
    title: 'Saving against RTT: new connection vs kept alive',
    caption:
      'Each point is one link profile: the saving per request (ms, with 95 % CI) against the calibrated RTT; the dashed line is the model. A slope of 1 means one RTT saved.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: { column: { field: 'variant', type: 'nominal', sort: variantLabels, title: null } },
      spacing: 14,
      spec: {
        width: 160,
        height: 180,
        layer: [
          {
            mark: { type: 'line', strokeDash: [4, 3], strokeWidth: 1.5, point: false },
            encoding: {
              x,
              y: { field: 'model_ms', type: 'quantitative', title: 'saving per request (ms)' },
              order: { field: 'rtt_ms', type: 'quantitative' },
            },
          },
          {
            mark: { type: 'errorbar', ticks: { size: 5 } },
            encoding: {
              x,
              y: { field: 'ci_low_ms', type: 'quantitative', title: 'saving per request (ms)' },
              y2: { field: 'ci_high_ms' },
              color: { field: 'versus', type: 'nominal', scale: modeColorScale(['new']), legend: null },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 60, opacity: 1 },
            encoding: {
              x,
              y: { field: 'saving_ms', type: 'quantitative', title: 'saving per request (ms)' },
              color: { field: 'versus', type: 'nominal', scale: modeColorScale(['new']), legend: null },
              tooltip: [
                { field: 'profile', title: 'profile' },
                { field: 'variant', title: 'protocol' },
                TOOLTIP_NUM('rtt_ms', 'calibrated RTT (ms)'),
                TOOLTIP_NUM('saving_ms', 'saving (ms)'),
                TOOLTIP_NUM('ci_low_ms', 'CI low (ms)'),
                TOOLTIP_NUM('ci_high_ms', 'CI high (ms)'),
                TOOLTIP_NUM('model_ms', 'model (ms)'),
              ],
            },
          },
        ],
      },
    },
  };
}

export function phaseChart(
  figures: readonly Figure[],
  profiles: readonly ProfileInfo[],
  variants: readonly string[],
): ChartSpec {
  const label = new Map(profiles.map((p) => [p.name, p.label]));
  const get = (f: Figure, metric: string): number | null =>
    figures.find((x) => x.case_key === f.case_key && x.metric === metric)?.median ?? null;
  const values: Array<Record<string, string | number | null>> = [];
  for (const total of figures) {
    if (total.metric !== 'total_ms' || total.median === null) continue;
    const connect = get(total, 'connect_ms') ?? 0;
    const tls = get(total, 'tls_ms') ?? 0;
    const base = {
      profile: label.get(total.profile) ?? total.profile,
      variant: variantLabel(total.protocol, total.security),
      conn_mode: total.conn_mode,
      mode_label: CONN_MODE_LABEL[total.conn_mode] ?? total.conn_mode,
      total_ms: round4(total.median),
    };
    // Medians of the parts need not add up to the median of the whole: the rest takes up the difference.
    const phases: Array<[string, number]> = [
      ['TCP connect', connect],
      ['TLS handshake', tls],
      ['request → response', Math.max(0, total.median - connect - tls)],
    ];
    phases.forEach(([phase, ms], i) => values.push({ ...base, phase, phase_order: i, ms: round4(ms) }));
  }
  const variantLabels = variants.map((v) => {
    const [p = '', s = ''] = v.split('/');
    return variantLabel(p, s);
  });
  return {
    id: 'handshake-phases',
    title: 'Where the time goes: phases of one request',
    caption:
      'Median TCP connect and TLS handshake times, and the rest of the request, per connection mode. A kept-alive request is only the last part.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { values },
      facet: {
        row: {
          field: 'profile',
          type: 'nominal',
          sort: profiles.map((p) => p.label),
          title: null,
          header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' },
        },
        column: { field: 'variant', type: 'nominal', sort: variantLabels, title: null },
      },
      spacing: { row: 14, column: 10 },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 150,
        height: { step: 14 },
        mark: { type: 'bar' },
        encoding: {
          y: {
            field: 'conn_mode',
            type: 'nominal',
            sort: [...MODE_ORDER],
            title: null,
            axis: {
              labelExpr:
                "{'new': 'new', 'server_close': 'server close', 'resumed': 'resumed', 'reused': 'reused'}[datum.label] || datum.label",
            },
          },
          x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'time (ms)' },
          color: {
            field: 'phase',
            type: 'nominal',
            title: 'phase',
            scale: { domain: [...PHASE_ORDER], range: [...PHASE_COLORS] },
          },
          order: { field: 'phase_order', type: 'quantitative' },
          tooltip: [
            { field: 'profile', title: 'profile' },
            { field: 'variant', title: 'protocol' },
            { field: 'mode_label', title: 'connection' },
            { field: 'phase', title: 'phase' },
            TOOLTIP_NUM('ms', 'phase median (ms)'),
            TOOLTIP_NUM('total_ms', 'total median (ms)'),
          ],
        },
      },
    },
  };
}
