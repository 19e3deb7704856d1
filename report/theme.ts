/**
 * Colours, the page CSS and Vega-Lite configs, light and dark. A connection mode has the same colour in every
 * chart of the page (Okabe–Ito palette: tells apart for colour-blind readers, reads on both backgrounds).
 */
import type { Config } from 'vega-lite';

export const MODE_ORDER = ['new', 'server_close', 'resumed', 'reused'] as const;
export const MODE_COLORS: Record<(typeof MODE_ORDER)[number], string> = {
  new: '#D55E00',
  server_close: '#E69F00',
  resumed: '#CC79A7',
  reused: '#009E73',
};

/** Phases of one request (stacked bars); blues, so they never read as a connection mode. */
export const PHASE_ORDER = ['TCP connect', 'TLS handshake', 'request → response'] as const;
export const PHASE_COLORS = ['#0072B2', '#56B4E9', '#A9B4C2'] as const;

/** A color channel for conn_mode with the page-wide colours; `modes` restricts the legend to those present. */
export function modeColorScale(modes: readonly string[]): { domain: string[]; range: string[] } {
  const domain = MODE_ORDER.filter((m) => modes.includes(m));
  const extra = modes.filter((m) => !(MODE_ORDER as readonly string[]).includes(m));
  return {
    domain: [...domain, ...extra],
    range: [...domain.map((m) => MODE_COLORS[m]), ...extra.map(() => '#7F7F7F')],
  };
}

export type ThemeName = 'light' | 'dark';

interface Palette {
  background: string;
  text: string;
  muted: string;
  grid: string;
  domain: string;
  model: string;
}

const PALETTES: Record<ThemeName, Palette> = {
  light: {
    background: '#ffffff',
    text: '#1f2328',
    muted: '#57606a',
    grid: '#e6e8eb',
    domain: '#8c959f',
    model: '#1f2328',
  },
  dark: {
    background: '#161b22',
    text: '#e6edf3',
    muted: '#9da7b3',
    grid: '#2b323b',
    domain: '#6e7681',
    model: '#f0f3f6',
  },
};

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * Model marks (the analytic prediction) are `tick`s and dashed `line`s without a colour encoding: their
 * colour comes from here, so it flips with the theme.
 */
export function vegaConfig(theme: ThemeName): Config {
  const p = PALETTES[theme];
  return {
    background: p.background,
    font: FONT,
    padding: 8,
    view: { stroke: p.grid },
    axis: {
      labelColor: p.muted,
      titleColor: p.text,
      gridColor: p.grid,
      domainColor: p.domain,
      tickColor: p.domain,
      labelFontSize: 11,
      titleFontSize: 12,
      titleFontWeight: 600,
    },
    header: { labelColor: p.text, titleColor: p.text, labelFontSize: 12, labelFontWeight: 600, titleFontSize: 12 },
    legend: {
      labelColor: p.text,
      titleColor: p.text,
      labelFontSize: 12,
      titleFontSize: 12,
      orient: 'top',
      direction: 'horizontal',
    },
    title: { color: p.text, subtitleColor: p.muted },
    tick: { color: p.model, thickness: 2 },
    point: { color: p.model },
    line: { color: p.model },
    text: { color: p.text },
  };
}

/** Columns a table's data-wrap can name (the page CSS has a rule per column). */
export const MAX_WRAP_COLUMNS = 30;
const WRAP_MIN = '11em';

/**
 * The report page's CSS, light and dark. Tables and charts sit in a scroll box inside their card (the hint and
 * edge shadows show once the page script marks a box that overflows); long text columns wrap (data-wrap), numbers
 * do not; below 700 px the verdict table stacks each claim.
 */
export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#f6f8fa;--card:#fff;--text:#1f2328;--muted:#57606a;--border:#d0d7de;--accent:#0969da;--code:#eff2f5;
--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--dep:#9a6700;--dep-bg:#fff8c5;--nr:#57606a;--nr-bg:#eaeef2;--edge:rgba(31,35,40,.22)}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9da7b3;--border:#30363d;--accent:#4493f8;--code:#21262d;
--ok:#3fb950;--ok-bg:rgba(46,160,67,.18);--bad:#f85149;--bad-bg:rgba(248,81,73,.16);--dep:#d29922;--dep-bg:rgba(187,128,9,.18);--nr:#9da7b3;--nr-bg:rgba(110,118,129,.2);--edge:rgba(1,4,9,.85)}}
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
.table-wrap{position:relative;margin:0 0 14px}
.scroll-x{overflow-x:auto}
.scroll-x:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.table-wrap[data-overflow]::before,.chart-box[data-overflow]::before{content:"scroll sideways for more →";display:block;height:18px;line-height:18px;font-size:12px;color:var(--muted);text-align:right}
.table-wrap[data-overflow=left]::before,.chart-box[data-overflow=left]::before{content:"← scroll back for the start"}
.table-wrap[data-overflow=both]::before,.chart-box[data-overflow=both]::before{content:"← scroll sideways for more →"}
.table-wrap[data-overflow]::after,.chart-box[data-overflow]::after{content:"";position:absolute;top:18px;bottom:0;left:0;right:0;pointer-events:none;
background:linear-gradient(to left,var(--edge),transparent 18px),linear-gradient(to right,var(--edge),transparent 18px)}
.table-wrap[data-overflow=right]::after,.chart-box[data-overflow=right]::after{background:linear-gradient(to left,var(--edge),transparent 18px)}
.table-wrap[data-overflow=left]::after,.chart-box[data-overflow=left]::after{background:linear-gradient(to right,var(--edge),transparent 18px)}
table{border-collapse:collapse;width:100%;font-size:13px}
caption{text-align:left;font-weight:600;padding:0 0 6px;color:var(--text)}
th,td{border-bottom:1px solid var(--border);padding:6px 8px;text-align:left;vertical-align:top}
thead th{font-size:12px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}
.table-wrap td{white-space:nowrap}
.table-wrap.sysctls td,.table-wrap.prose td,table.verdicts td{white-space:normal}
${Array.from({ length: MAX_WRAP_COLUMNS }, (_, i) => `table[data-wrap~="${i + 1}"] td:nth-child(${i + 1})`).join(',')}{white-space:normal;min-width:${WRAP_MIN}}
table.verdicts tbody.not-run td,table.verdicts tbody.not-run th[scope=row]{font-size:12.5px;padding-top:4px;padding-bottom:4px}
table.verdicts tr.group th{background:var(--code);color:var(--muted);font-weight:600;font-size:12px}
.unit{font-weight:400}
table.verdicts th[scope=row]{font-size:14px;white-space:nowrap}
table.verdicts td.claim-text{max-width:300px}
table.verdicts td.verdict-cell{max-width:300px}
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
.chart-box{position:relative}
.chart-box svg{max-width:none;height:auto}
.static svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.static .svg-dark{display:none}
@media (prefers-color-scheme:dark){.static .svg-light{display:none}.static .svg-dark{display:block}}
figure[data-state=interactive] .static{display:none}
.notice{border:1px dashed var(--border);border-radius:8px;padding:10px 14px;color:var(--muted);margin:10px 0}
ul.caveats{margin:0;padding-left:20px}ul.caveats li{margin:0 0 4px}
.env-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(320px,100%),1fr));gap:4px 28px;margin-bottom:12px}
.env-group h3{margin-top:10px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:0;font-size:13px}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
details summary{cursor:pointer;font-weight:600;margin:8px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
.vega-embed{width:auto}
@media (max-width:700px){
main{padding:12px 8px 32px}
.card{padding:14px 12px}
table.verdicts thead{display:none}
table.verdicts,table.verdicts tbody,table.verdicts tr,table.verdicts th,table.verdicts td{display:block;max-width:none}
table.verdicts tr{padding:8px 0;border-bottom:1px solid var(--border)}
table.verdicts th,table.verdicts td,table.verdicts td.where,table.verdicts td.claim-text,table.verdicts td.verdict-cell{border:0;padding:2px 0;max-width:none}
table.verdicts th[scope=row]{float:left;margin-right:8px}
table.verdicts tr.group th{padding:6px 8px}
table.verdicts td.figure::before{content:"key figure: ";color:var(--muted)}
table.verdicts .reason{max-width:none}
}
`;
