/**
 * Colours and Vega-Lite configs, light and dark. A connection mode has the same colour in every chart of the
 * page (Okabe–Ito palette: tells apart for colour-blind readers, reads on both backgrounds).
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
