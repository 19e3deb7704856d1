/**
 * compare.html: one self-contained page (works offline from file://). Two Vega-Lite charts — the change per
 * case with its 95 % CI against the ±threshold band, and base vs head medians with their intervals — and the
 * full table. vega, vega-lite and vega-embed are inlined from node_modules; without them the page keeps the
 * table and says how to get the charts.
 */
import { browserBundles } from '../assets.ts';
import { formatDeltaMs, formatMs, formatP, formatPct } from './format.ts';
import type { CompareResult, MetricComparison } from './types.ts';

const VERDICT_LABEL = {
  regressed: 'regressed',
  improved: 'improved',
  no_change: 'no change',
  not_comparable: 'not comparable',
} as const;
const VERDICT_COLOR = {
  regressed: '#D55E00',
  improved: '#009E73',
  no_change: '#8c959f',
  not_comparable: '#CC79A7',
} as const;
const SIDE_COLOR = { base: '#8c959f', head: '#0072B2' } as const;

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no line separators that break JS. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Library code inlined in a <script>: break up any `</script` or `<!--` it contains. */
function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** `handshake/protocol=h1/security=none/…/profile=lan` → `handshake: h1 · none · … · lan`. */
export function caseLabel(key: string): string {
  const [scenario, ...parts] = key.split('/');
  const values = parts.map((p) => (p.includes('=') ? p.slice(p.indexOf('=') + 1) : p));
  return values.length > 0 ? `${scenario}: ${values.join(' · ')}` : key;
}

/**
 * The browser bundles of vega, vega-lite and vega-embed (report/assets.ts reads them from node_modules), or
 * null when they are not installed: the page then keeps its table and says how to get the charts.
 */
export function vegaBundles(): string[] | null {
  try {
    return browserBundles().map((b) => b.code);
  } catch {
    return null;
  }
}

interface ChartDatum {
  case: string;
  key: string;
  metric: string;
  verdict: string;
  side?: string;
  median?: number;
  low?: number | null;
  high?: number | null;
  change?: number;
  change_low?: number;
  change_high?: number;
}

function compared(rows: readonly MetricComparison[]): MetricComparison[] {
  return rows.filter((r) => r.base_median !== null && r.head_median !== null);
}

export function changeSpec(res: CompareResult): Record<string, unknown> {
  const t = res.options.threshold_pct;
  const values: ChartDatum[] = res.rows
    .filter((r) => r.change_pct !== null && r.change_low_pct !== null && r.change_high_pct !== null)
    .map((r) => ({
      case: caseLabel(r.key),
      key: r.key,
      metric: r.metric,
      verdict: VERDICT_LABEL[r.verdict],
      change: r.change_pct ?? 0,
      change_low: r.change_low_pct ?? 0,
      change_high: r.change_high_pct ?? 0,
    }));
  const verdicts = Object.keys(VERDICT_LABEL) as Array<keyof typeof VERDICT_LABEL>;
  const x = { field: 'change', type: 'quantitative', title: 'change head vs base, % of base median (95 % CI)' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Change per case', subtitle: `shaded: ±${t} % threshold; a verdict needs the whole CI outside it` },
    data: { values },
    facet: { column: { field: 'metric', title: null, sort: res.options.metrics } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 300,
      height: { step: 16 },
      layer: [
        {
          data: { values: [{ lo: -t, hi: t }] },
          mark: { type: 'rect', opacity: 0.15, color: '#8c959f' },
          encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
        },
        {
          data: { values: [{ zero: 0 }] },
          mark: { type: 'rule', strokeDash: [3, 3], color: '#8c959f' },
          encoding: { x: { field: 'zero', type: 'quantitative' } },
        },
        {
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: {
            y: { field: 'case', type: 'nominal', title: null, sort: null },
            x: { ...x, field: 'change_low' },
            x2: { field: 'change_high' },
            color: {
              field: 'verdict',
              type: 'nominal',
              title: 'verdict',
              scale: { domain: verdicts.map((v) => VERDICT_LABEL[v]), range: verdicts.map((v) => VERDICT_COLOR[v]) },
            },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            y: { field: 'case', type: 'nominal', sort: null },
            x,
            color: { field: 'verdict', type: 'nominal' },
            tooltip: [
              { field: 'key', title: 'case' },
              { field: 'metric' },
              { field: 'verdict' },
              { field: 'change', title: 'change %', format: '+.1f' },
              { field: 'change_low', title: 'CI low %', format: '+.1f' },
              { field: 'change_high', title: 'CI high %', format: '+.1f' },
            ],
          },
        },
      ],
    },
  };
}

export function mediansSpec(res: CompareResult): Record<string, unknown> {
  const values: ChartDatum[] = [];
  for (const r of compared(res.rows)) {
    const common = { case: caseLabel(r.key), key: r.key, metric: r.metric, verdict: VERDICT_LABEL[r.verdict] };
    values.push({ ...common, side: 'base', median: r.base_median ?? 0, low: r.base_low, high: r.base_high });
    values.push({ ...common, side: 'head', median: r.head_median ?? 0, low: r.head_low, high: r.head_high });
  }
  const interval = res.unit === 'request' ? '95 % CI of the median' : 'range of run medians';
  const y = { field: 'case', type: 'nominal', title: null, sort: null };
  const color = {
    field: 'side',
    type: 'nominal',
    title: null,
    scale: { domain: ['base', 'head'], range: [SIDE_COLOR.base, SIDE_COLOR.head] },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Base vs head', subtitle: `median per case; bars: ${interval}` },
    data: { values },
    facet: { column: { field: 'metric', title: null, sort: res.options.metrics } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 300,
      height: { step: 16 },
      layer: [
        {
          transform: [{ filter: 'isValid(datum.low) && isValid(datum.high)' }],
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: {
            y,
            yOffset: { field: 'side' },
            x: { field: 'low', type: 'quantitative', title: `ms (${interval})` },
            x2: { field: 'high' },
            color,
          },
        },
        {
          mark: { type: 'point', filled: true, size: 45 },
          encoding: {
            y,
            yOffset: { field: 'side' },
            x: { field: 'median', type: 'quantitative' },
            color,
            tooltip: [
              { field: 'key', title: 'case' },
              { field: 'metric' },
              { field: 'side' },
              { field: 'median', title: 'median ms', format: '.3f' },
              { field: 'low', title: 'low ms', format: '.3f' },
              { field: 'high', title: 'high ms', format: '.3f' },
              { field: 'verdict' },
            ],
          },
        },
      ],
    },
  };
}

function tableHtml(res: CompareResult): string {
  const cell = (v: number | null, f: (x: number) => string): string => (v === null ? '—' : escapeHtml(f(v)));
  const head =
    '<tr><th>case</th><th>metric</th><th>verdict</th><th>base</th><th>head</th><th>change [95 % CI]</th><th>shift</th><th>q (BH)</th><th>why</th></tr>';
  const body = res.rows.map((r) => {
    const ci =
      r.change_low_pct !== null && r.change_high_pct !== null
        ? ` [${formatPct(r.change_low_pct)}, ${formatPct(r.change_high_pct)}]`
        : '';
    const change = r.change_pct === null ? '—' : escapeHtml(`${formatPct(r.change_pct)}${ci}`);
    return (
      `<tr class="${r.verdict}"><td><code>${escapeHtml(r.key)}</code></td><td>${escapeHtml(r.metric)}</td>` +
      `<td class="verdict">${escapeHtml(VERDICT_LABEL[r.verdict])}</td><td class="num">${cell(r.base_median, formatMs)}</td>` +
      `<td class="num">${cell(r.head_median, formatMs)}</td><td class="num">${change}</td>` +
      `<td class="num">${cell(r.shift_ms, formatDeltaMs)}</td><td class="num">${cell(r.p_adjusted, formatP)}</td><td>${escapeHtml(r.why)}</td></tr>`
    );
  });
  return `<table>${head}${body.join('')}</table>`;
}

const CSS = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #30363d; } }
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
.muted { color: var(--muted); }
.counts span { margin-right: 16px; font-weight: 600; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
tr.regressed .verdict { color: ${VERDICT_COLOR.regressed}; font-weight: 600; }
tr.improved .verdict { color: ${VERDICT_COLOR.improved}; font-weight: 600; }
tr.not_comparable .verdict { color: ${VERDICT_COLOR.not_comparable}; }
.chart { margin: 12px 0; overflow-x: auto; }
`;

/** Runs in the page: embeds each spec with a config matching the colour scheme. */
const EMBED = `
(function () {
  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  var fg = dark ? '#e6edf3' : '#1f2328', muted = dark ? '#9da7b3' : '#57606a', grid = dark ? '#30363d' : '#e6e8eb';
  var config = { background: null, font: 'system-ui, sans-serif',
    axis: { labelColor: muted, titleColor: fg, gridColor: grid, domainColor: muted, tickColor: muted, labelLimit: 420 },
    header: { labelColor: fg, labelFontWeight: 600 }, legend: { labelColor: fg, titleColor: fg, orient: 'top' },
    title: { color: fg, subtitleColor: muted }, view: { stroke: grid } };
  var specs = JSON.parse(document.getElementById('kab-specs').textContent);
  specs.forEach(function (s, i) {
    s.spec.config = config;
    vegaEmbed('#chart-' + i, s.spec, { actions: false, renderer: 'svg' }).catch(function (e) {
      document.getElementById('chart-' + i).textContent = 'chart failed: ' + e.message;
    });
  });
})();
`;

const GATE_TEXT = { pass: 'pass (exit 0)', fail: 'fail (exit 1)', underpowered: 'underpowered (exit 2)' } as const;

/** The gate's verdict and its reasons, as compare.md has them. */
function gateHtml(res: CompareResult): string {
  const g = res.gate;
  const rows = g.findings
    .map(
      (f) =>
        `<tr><td>${escapeHtml(f.rule.replace(/_/g, ' '))}</td><td>${f.blocking ? 'yes' : 'no'}</td><td><code>${escapeHtml(f.subject)}</code></td><td>${escapeHtml(f.figure)}</td></tr>`,
    )
    .join('');
  const table =
    rows === ''
      ? ''
      : `<table><thead><tr><th>reason</th><th>fails the gate</th><th>concerns</th><th>figure</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<h2>Gate: ${escapeHtml(GATE_TEXT[g.verdict])}</h2>\n${table}`;
}

export function renderHtml(res: CompareResult, bundles: string[] | null = vegaBundles()): string {
  const ids = (runs: CompareResult['base_runs']): string => runs.map((r) => r.run_id).join(', ');
  const count = (v: MetricComparison['verdict']): number => res.rows.filter((r) => r.verdict === v).length;
  const specs = [{ spec: changeSpec(res) }, { spec: mediansSpec(res) }];
  const charts = bundles
    ? specs.map((_, i) => `<div class="chart" id="chart-${i}"></div>`).join('\n')
    : '<p class="muted">Charts need vega, vega-lite and vega-embed in node_modules (npm install), then re-run compare.</p>';
  const scripts = bundles
    ? [
        ...bundles.map((b) => `<script>${inlineScript(b)}</script>`),
        `<script type="application/json" id="kab-specs">${scriptJson(specs)}</script>`,
        `<script>${EMBED}</script>`,
      ].join('\n')
    : '';
  const o = res.options;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keepalive-bench compare ${escapeHtml(ids(res.base_runs))} vs ${escapeHtml(ids(res.head_runs))}</title>
<style>${CSS}</style>
</head>
<body>
<h1>keepalive-bench compare</h1>
<p>Base <code>${escapeHtml(ids(res.base_runs))}</code> vs head <code>${escapeHtml(ids(res.head_runs))}</code>.
<span class="muted">Threshold ±${escapeHtml(String(o.threshold_pct))} %, α = ${escapeHtml(String(o.alpha))}, unit of replication: ${res.unit === 'request' ? 'the request (one run per side)' : 'the run (run medians)'}.</span></p>
${gateHtml(res)}
<p class="counts"><span>${count('regressed')} regressed</span><span>${count('improved')} improved</span><span>${count('no_change')} no change</span><span>${count('not_comparable')} not comparable</span></p>
${charts}
<h2>All comparisons</h2>
${tableHtml(res)}
${scripts}
</body>
</html>
`;
}
