/**
 * The self-contained report page: verdict table, one section per scenario, environment panel. Every text
 * from the run is escaped; specs travel as JSON inside <script type="application/json"> with `<` escaped.
 * Charts paint first as pre-rendered SVG (light and dark), then vega-embed replaces them with interactive ones.
 */
import type { Bundle } from './assets.ts';
import type { RenderedChart } from './charts.ts';
import { CONN_MODE_LABEL } from './format.ts';
import type { ReportModel } from './model.ts';
import type { Cell, ChartSpec, Table, Verdict } from './sections/types.ts';
import { MODE_COLORS, MODE_ORDER, vegaConfig } from './theme.ts';
import { VERDICT_LABEL, evidenceText, type SectionResult, type VerdictRow } from './verdicts.ts';
import type { LiteratureRow } from './literature-panel.ts';

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no line separators that break JS. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Library code inlined in a <script>: break up any `</script` or `<!--` it might contain. */
export function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** Table numbers: 3 significant decimals below 10, fewer above, no trailing zeros (102.5, 10.42, 0.421, 51). */
export function fmtNumber(v: number): string {
  const a = Math.abs(v);
  return String(Number(v.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : 3)));
}

function cell(c: Cell): string {
  if (c === null) return '—';
  return typeof c === 'number' ? fmtNumber(c) : c;
}

export function renderTable(t: Table, extraClass = ''): string {
  const head = t.columns
    .map(
      (c) =>
        `<th${c.numeric ? ' class="num"' : ''} scope="col">${esc(c.label)}${c.unit ? ` <span class="unit">(${esc(c.unit)})</span>` : ''}</th>`,
    )
    .join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${t.columns[i]?.numeric ? ' class="num"' : ''}>${esc(cell(c))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap${extraClass ? ` ${extraClass}` : ''}"><table>
<caption>${esc(t.title)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>`;
}

function badge(kind: VerdictRow['kind']): string {
  return `<span class="badge v-${kind}">${esc(VERDICT_LABEL[kind])}</span>`;
}

function verdictRow(r: VerdictRow): string {
  const evidence = r.evidence
    ? `<div class="evidence evidence-${r.evidence.strength}">${esc(evidenceText(r.evidence))}</div>`
    : '';
  const reason = `${r.reason ? `<div class="reason">${esc(r.reason)}</div>` : ''}${evidence}`;
  const where = r.command
    ? `<code>${esc(r.command)}</code>`
    : r.sectionId
      ? `<a href="#${esc(r.sectionId)}">charts ↓</a>`
      : '';
  return `<tr class="row-${r.kind}"><th scope="row">${esc(r.claim.id)}</th><td class="claim-text">${esc(r.claim.text)}</td><td class="verdict-cell">${badge(r.kind)}${reason}</td><td class="figure">${esc(r.figure)}</td><td class="where">${where}</td></tr>`;
}

/** Measured claims first; the ones this run did not measure below, each with the command that would. */
function verdictTable(rows: readonly VerdictRow[]): string {
  const measured = rows.filter((r) => r.kind !== 'not_run');
  const notRun = rows.filter((r) => r.kind === 'not_run');
  const first = measured.length
    ? measured.map(verdictRow).join('\n')
    : '<tr><td colspan="5" class="muted">This run measured no claim.</td></tr>';
  const rest = notRun.length
    ? `<tbody class="not-run"><tr class="group"><th colspan="5" scope="rowgroup">Not measured in this run (${notRun.length}) — the command on the right would measure each</th></tr>
${notRun.map(verdictRow).join('\n')}
</tbody>`
    : '';
  return `<div class="table-wrap"><table class="verdicts" id="verdict-table">
<thead><tr><th scope="col">claim</th><th scope="col">what the notes say</th><th scope="col">verdict</th><th scope="col">key figure</th><th scope="col">charts / how to measure</th></tr></thead>
<tbody>
${first}
</tbody>
${rest}
</table></div>`;
}

/** Each claim's verdict beside what the published record says; a verdict a source does not support is marked. */
function literaturePanel(rows: readonly LiteratureRow[]): string {
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (r) =>
        `<tr class="lit-${r.agreement.replace(' ', '-')}"><th scope="row">${esc(r.claim)}</th><td>${esc(VERDICT_LABEL[r.verdict])}</td><td><a href="${esc(r.citation.url)}">${esc(r.citation.source)}</a>, ${esc(r.citation.where)}</td><td>${esc(r.citation.states)}${r.citation.quote ? ` — “${esc(r.citation.quote)}”` : ''} <span class="muted">(${esc(r.citation.checked ? `checked: ${r.citation.checked}` : 'unchecked here')})</span></td><td><strong>${esc(r.agreement)}</strong></td></tr>`,
    )
    .join('\n');
  const differ = rows.filter((r) => r.agreement === 'disagrees').length;
  const judged = rows.filter((r) => r.agreement === 'agrees' || r.agreement === 'disagrees').length;
  return `<details class="literature" id="literature"${differ > 0 ? ' open' : ''}><summary>The published record beside each claim (${rows.length} sources; this run disagrees with ${differ} of the ${judged} it settles)</summary>
<div class="table-wrap"><table>
<thead><tr><th scope="col">claim</th><th scope="col">this run</th><th scope="col">source</th><th scope="col">what it states</th><th scope="col">agreement</th></tr></thead>
<tbody>
${body}
</tbody></table></div></details>`;
}

function modeLegend(): string {
  const items = MODE_ORDER.map(
    (m) =>
      `<li><span class="swatch" style="background:${MODE_COLORS[m]}"></span><strong>${esc(CONN_MODE_LABEL[m] ?? m)}</strong></li>`,
  ).join('');
  return `<ul class="mode-legend" aria-label="colours of connection modes">${items}</ul>`;
}

function chartFigure(c: ChartSpec, r: RenderedChart): string {
  return `<figure class="chart" id="${esc(c.id)}" data-state="static">
<figcaption><strong>${esc(c.title)}</strong><span>${esc(c.caption)}</span></figcaption>
<div class="chart-box">
<div class="static"><div class="svg-light">${r.light}</div><div class="svg-dark">${r.dark}</div></div>
<div class="interactive"></div>
</div>
<script type="application/json" class="spec">${jsonForScript(c.spec)}</script>
</figure>`;
}

function sectionVerdict(v: Verdict): string {
  const reason = v.reason
    ? `<p class="reason">${v.kind === 'depends' ? 'Depends: ' : 'Why: '}${esc(v.reason)}</p>`
    : '';
  const rule = v.rule ? `<p class="rule">How this verdict is decided: ${esc(v.rule)}.</p>` : '';
  return `<div class="verdict v-box-${v.kind}"><div>${badge(v.kind)} <strong>${esc(v.claim)}</strong> ${esc(v.figure)}</div>${reason}${rule}</div>`;
}

function section(s: SectionResult, charts: ReadonlyMap<string, RenderedChart>): string {
  const claims = s.claims.length ? `<span class="claims">${esc(s.claims.join(' · '))}</span>` : '';
  const head = `<h2>${esc(s.title)} ${claims}</h2><p class="scenario-name">scenario <code>${esc(s.scenario)}</code></p>`;
  const notice = s.notice ? `<div class="notice" role="status">${esc(s.notice)}</div>` : '';
  if (!s.output)
    return `<section class="card" id="${esc(s.id)}">${head}${notice || '<div class="notice">no output</div>'}</section>`;
  const o = s.output;
  const figures = o.specs
    .map((c) => {
      const r = charts.get(c.id);
      return r ? chartFigure(c, r) : '';
    })
    .join('\n');
  const noCharts =
    o.specs.length === 0 && !s.notice
      ? '<div class="notice" role="status">No chart: no case of this scenario has a successful sample.</div>'
      : '';
  const tables = o.tables.length
    ? `<h3>Numbers behind the charts</h3>${o.tables.map((t) => renderTable(t)).join('\n')}`
    : '';
  const caveats = o.caveats.length
    ? `<h3>Caveats</h3><ul class="caveats">${o.caveats.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`
    : '';
  return `<section class="card" id="${esc(s.id)}">
${head}
${o.claimSentence ? `<p class="claim-sentence">${esc(o.claimSentence)}</p>` : ''}
${notice}
${o.verdicts.map(sectionVerdict).join('\n')}
${noCharts}
${figures}
${tables}
${caveats}
</section>`;
}

function environmentPanel(m: ReportModel): string {
  const env = m.environment;
  const groups = env.groups
    .map(
      (g) =>
        `<div class="env-group"><h3>${esc(g.title)}</h3><dl>${g.rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === 'command line' ? `<code>${esc(v)}</code>` : esc(v)}</dd>`).join('')}</dl></div>`,
    )
    .join('\n');
  const profiles = env.profiles.rows.length
    ? renderTable(env.profiles)
    : '<div class="notice">meta.json records no profile calibration (the run ended before the first profile).</div>';
  const sysctls = env.sysctls.rows.length
    ? `<details><summary>Kernel settings (${env.sysctls.rows.length} sysctls, client and server namespace)</summary>${renderTable(env.sysctls, 'sysctls')}</details>`
    : '<div class="notice">meta.json records no sysctls.</div>';
  const processes = env.processes.rows.length
    ? `<details><summary>Processes the run started (${env.processes.rows.length}, servers with their settings)</summary>${renderTable(env.processes, 'sysctls')}</details>`
    : '';
  return `<section class="card" id="environment">
<h2>Environment</h2>
<div class="env-grid">${groups}</div>
${profiles}
${sysctls}
${processes}
</section>`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--text:#1f2328;--muted:#57606a;--border:#d0d7de;--accent:#0969da;--code:#eff2f5;
--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--dep:#9a6700;--dep-bg:#fff8c5;--nr:#57606a;--nr-bg:#eaeef2}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9da7b3;--border:#30363d;--accent:#4493f8;--code:#21262d;
--ok:#3fb950;--ok-bg:rgba(46,160,67,.18);--bad:#f85149;--bad-bg:rgba(248,81,73,.16);--dep:#d29922;--dep-bg:rgba(187,128,9,.18);--nr:#9da7b3;--nr-bg:rgba(110,118,129,.2)}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 20px 48px}
header.top h1{font-size:24px;margin:8px 0 4px}
header.top .sub{color:var(--muted);margin:0 0 12px}
nav.toc{display:flex;gap:14px;flex-wrap:wrap;margin:0 0 16px;font-size:13px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);padding:1px 5px;border-radius:4px;word-break:break-word}
.card{background:var(--card);border:1px solid var(--border);border-radius:10px;padding:18px 22px;margin:0 0 20px}
h2{font-size:19px;margin:0 0 4px}h3{font-size:15px;margin:22px 0 8px}
.claims{font-size:13px;font-weight:600;color:var(--muted);margin-left:6px}
.scenario-name{color:var(--muted);margin:0 0 10px;font-size:12.5px}
.claim-sentence{font-size:15px;border-left:3px solid var(--accent);padding:2px 0 2px 12px;margin:10px 0 16px}
.banner{border-radius:8px;padding:10px 14px;margin:0 0 16px;font-weight:600;border:1px solid}
.banner-errored,.banner-unfinished{background:var(--bad-bg);color:var(--bad);border-color:var(--bad)}
.banner-aborted{background:var(--dep-bg);color:var(--dep);border-color:var(--dep)}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:1px 9px;border-radius:999px;white-space:nowrap;border:1px solid transparent}
.v-confirmed{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.v-refuted{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
.v-depends{color:var(--dep);background:var(--dep-bg);border-color:var(--dep)}
.v-not_run{color:var(--nr);background:var(--nr-bg)}
.table-wrap{overflow-x:auto;margin:0 0 14px}
table{border-collapse:collapse;width:100%;font-size:13px}
caption{text-align:left;font-weight:600;padding:0 0 6px;color:var(--text)}
th,td{border-bottom:1px solid var(--border);padding:6px 8px;text-align:left;vertical-align:top}
thead th{font-size:12px;color:var(--muted);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.table-wrap:not(.sysctls) table:not(.verdicts) td{white-space:nowrap}
table.verdicts tbody.not-run td,table.verdicts tbody.not-run th[scope=row]{font-size:12.5px;padding-top:4px;padding-bottom:4px}
table.verdicts tr.group th{background:var(--code);color:var(--muted);font-weight:600;font-size:12px}
.unit{font-weight:400}
table.verdicts th[scope=row]{font-size:14px;white-space:nowrap}
table.verdicts td.claim-text{max-width:300px}
table.verdicts td.figure{max-width:420px}
table.verdicts tr.row-not_run td.claim-text,table.verdicts tr.row-not_run td.figure{color:var(--muted)}
table.verdicts .reason{font-size:12px;color:var(--dep);margin-top:4px;max-width:260px}
td.where{font-size:12px;max-width:260px}
.muted{color:var(--muted);font-size:12px}
.mode-legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 18px;padding:0;margin:8px 0 0;font-size:12.5px}
.mode-legend li{display:flex;align-items:center;gap:6px}
.swatch{width:12px;height:12px;border-radius:50%;display:inline-block}
.verdict{border:1px solid var(--border);border-radius:8px;padding:8px 12px;margin:0 0 10px}
.v-box-confirmed{border-left:4px solid var(--ok)}.v-box-refuted{border-left:4px solid var(--bad)}.v-box-depends{border-left:4px solid var(--dep)}
.verdict .reason{margin:4px 0 0}.verdict .rule{margin:4px 0 0;color:var(--muted);font-size:12px}
figure.chart{margin:20px 0;padding:0}
figure.chart figcaption{display:flex;flex-direction:column;margin:0 0 6px}
figure.chart figcaption span{color:var(--muted);font-size:12.5px}
.chart-box{overflow-x:auto}
.chart-box svg{max-width:none;height:auto}
.static svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.static .svg-dark{display:none}
@media (prefers-color-scheme:dark){.static .svg-light{display:none}.static .svg-dark{display:block}}
figure[data-state=interactive] .static{display:none}
.notice{border:1px dashed var(--border);border-radius:8px;padding:10px 14px;color:var(--muted);margin:10px 0}
ul.caveats{margin:0;padding-left:20px}ul.caveats li{margin:0 0 4px}
.env-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:4px 28px;margin-bottom:12px}
.env-group h3{margin-top:10px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:0;font-size:13px}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
details summary{cursor:pointer;font-weight:600;margin:8px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
.vega-embed{width:auto}
`;

/** Runs in the page: embeds every chart interactively in the reader's colour scheme; the SVGs stay if it fails. */
const PAGE_SCRIPT = `(function () {
  'use strict';
  var root = document.documentElement;
  if (typeof vegaEmbed !== 'function') {
    root.setAttribute('data-charts', 'static');
    console.error('vega-embed did not load: charts stay static');
    return;
  }
  var configs = JSON.parse(document.getElementById('kab-vega-configs').textContent);
  var dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  var results = [];
  function embedAll() {
    results.forEach(function (r) { r.finalize(); });
    results = [];
    var theme = dark && dark.matches ? 'dark' : 'light';
    var figures = Array.prototype.slice.call(document.querySelectorAll('figure.chart'));
    root.setAttribute('data-charts', 'rendering');
    return Promise.all(figures.map(function (fig) {
      var spec = JSON.parse(fig.querySelector('script.spec').textContent);
      return vegaEmbed(fig.querySelector('.interactive'), spec, {
        renderer: 'svg',
        config: configs[theme],
        actions: { export: true, source: true, compiled: false, editor: false },
        tooltip: { theme: theme }
      }).then(function (result) {
        results.push(result);
        fig.setAttribute('data-state', 'interactive');
      }, function (e) {
        fig.setAttribute('data-state', 'static');
        console.error('chart ' + fig.id + ' stays static: ' + (e && e.message ? e.message : e));
      });
    })).then(function () { root.setAttribute('data-charts', 'ready'); });
  }
  embedAll();
  if (dark && dark.addEventListener) dark.addEventListener('change', embedAll);
})();`;

export function renderPage(
  m: ReportModel,
  charts: ReadonlyMap<string, RenderedChart>,
  bundles: readonly Bundle[],
): string {
  const title = `keepalive-bench report · run ${m.runId}`;
  const banner =
    m.status.kind === 'completed'
      ? ''
      : `<div class="banner banner-${esc(m.status.kind)}" role="alert">${esc(m.status.text)}</div>`;
  const when = m.environment.groups[0]?.rows.find(([k]) => k === 'started')?.[1] ?? '—';
  const sub = [
    `run ${m.runId}`,
    `started ${when}`,
    `link ${m.linkBackend}`,
    `profiles ${m.profiles.join(', ') || '—'}`,
    `${m.sampleCount} requests measured, ${m.failedCount} failed`,
    `status ${m.status.kind}`,
  ];
  const toc = [
    '<a href="#verdicts">Verdicts</a>',
    ...m.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`),
    '<a href="#environment">Environment</a>',
  ].join('');
  const configs = { light: vegaConfig('light'), dark: vegaConfig('dark') };
  const libs = bundles
    .map((b) => `<script data-lib="${esc(b.name)}@${esc(b.version)}">${inlineScript(b.code)}</script>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="keepalive-bench report">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="top">
<h1>What HTTP keep-alive saves: measured</h1>
<p class="sub">${sub.map(esc).join(' · ')}</p>
<nav class="toc">${toc}</nav>
</header>
${banner}
<section class="card" id="verdicts">
<h2>Verdicts</h2>
<p class="muted">Each claim of the source notes, answered by this run's measurements. Claims the run did not measure list the command that would.</p>
<p class="server-under-test">Server under test: <strong>${esc(m.serverUnderTest)}</strong></p>
${verdictTable(m.verdicts)}
${modeLegend()}
${literaturePanel(m.literature)}
</section>
${m.sections.map((s) => section(s, charts)).join('\n')}
${environmentPanel(m)}
<footer>Generated ${esc(m.generatedAt)} from the files of ${esc(m.runDir)} by <code>npm run report</code>. Works offline: vega, vega-lite and vega-embed are inlined.</footer>
</main>
<script id="kab-vega-configs" type="application/json">${jsonForScript(configs)}</script>
${libs}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
