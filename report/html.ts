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
import { MAX_WRAP_COLUMNS, MODE_COLORS, MODE_ORDER, PAGE_CSS, vegaConfig } from './theme.ts';
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

/**
 * Opens the box a wide table or chart scrolls in, inside its card. The page script makes a box that overflows a
 * labelled, focusable region (arrow keys scroll it) and marks its wrapper, whose CSS shows a hint and edge shadows.
 */
function scrollBox(label: string): string {
  return `<div class="scroll-x" data-label="${esc(label)}">`;
}

/** A text column with a cell longer than this wraps (PAGE_CSS keeps it 11em wide); shorter ones stay on one line. */
const WRAP_AFTER_CHARS = 24;

/** The 1-based columns of a table whose text may wrap: text columns with a long cell. */
function wrapColumns(t: Table): number[] {
  return t.columns.flatMap((c, i) =>
    !c.numeric && i < MAX_WRAP_COLUMNS && t.rows.some((r) => cell(r[i] ?? null).length > WRAP_AFTER_CHARS)
      ? [i + 1]
      : [],
  );
}

export function renderTable(t: Table, extraClass = ''): string {
  const wrap = wrapColumns(t);
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
  return `<div class="table-wrap${extraClass ? ` ${extraClass}` : ''}">${scrollBox(t.title)}<table${wrap.length ? ` data-wrap="${wrap.join(' ')}"` : ''}>
<caption>${esc(t.title)}</caption>
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div></div>`;
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
  // Other sections' lines on the claim (a browser's page loads), under the figure in small text.
  const addenda = (r.addenda ?? []).map((a) => `<div class="addendum muted">${esc(a)}</div>`).join('');
  return `<tr class="row-${r.kind}"><th scope="row">${esc(r.claim.id)}</th><td class="claim-text">${esc(r.claim.text)}</td><td class="verdict-cell">${badge(r.kind)}${reason}</td><td class="figure">${esc(r.figure)}${addenda}</td><td class="where">${where}</td></tr>`;
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
  return `<div class="table-wrap">${scrollBox('Verdicts')}<table class="verdicts" id="verdict-table">
<thead><tr><th scope="col">claim</th><th scope="col">what the notes say</th><th scope="col">verdict</th><th scope="col">key figure</th><th scope="col">charts / how to measure</th></tr></thead>
<tbody>
${first}
</tbody>
${rest}
</table></div></div>`;
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
<div class="table-wrap prose">${scrollBox('The published record beside each claim')}<table>
<thead><tr><th scope="col">claim</th><th scope="col">this run</th><th scope="col">source</th><th scope="col">what it states</th><th scope="col">agreement</th></tr></thead>
<tbody>
${body}
</tbody></table></div></div></details>`;
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
<div class="chart-box">${scrollBox(`chart: ${c.title}`)}
<div class="static"><div class="svg-light">${r.light}</div><div class="svg-dark">${r.dark}</div></div>
<div class="interactive"></div>
</div></div>
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

/**
 * Runs in the page: marks every scroll box that overflows (a focusable, labelled region; its wrapper's
 * data-overflow says which way there is more, for the hint and edge shadows), again whenever a size changes or it
 * scrolls; then embeds every chart interactively in the reader's colour scheme; the SVGs stay if that fails.
 */
const PAGE_SCRIPT = `(function () {
  'use strict';
  var root = document.documentElement;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('.scroll-x'));
  function mark(box) {
    var wrap = box.parentElement;
    if (box.scrollWidth <= box.clientWidth + 1) {
      wrap.removeAttribute('data-overflow');
      box.removeAttribute('tabindex');
      box.removeAttribute('role');
      box.removeAttribute('aria-label');
      return;
    }
    var start = box.scrollLeft <= 1;
    var end = box.scrollLeft + box.clientWidth >= box.scrollWidth - 1;
    wrap.setAttribute('data-overflow', start ? 'right' : end ? 'left' : 'both');
    box.setAttribute('tabindex', '0');
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', (box.getAttribute('data-label') || 'table') + ' (scrolls sideways)');
  }
  function markAll() { boxes.forEach(mark); }
  boxes.forEach(function (box) {
    box.addEventListener('scroll', function () { mark(box); }, { passive: true });
  });
  if (typeof ResizeObserver === 'function') {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (e) {
        var box = e.target.closest('.scroll-x');
        if (box) mark(box);
      });
    });
    boxes.forEach(function (box) {
      observer.observe(box);
      Array.prototype.forEach.call(box.children, function (c) { observer.observe(c); });
    });
  } else {
    window.addEventListener('resize', markAll);
  }
  markAll();
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
    })).then(function () {
      markAll();
      root.setAttribute('data-charts', 'ready');
    });
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
<style>${PAGE_CSS}</style>
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
