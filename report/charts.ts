/**
 * Pre-renders Vega-Lite charts to SVG with vega's headless renderer, in both themes, for the page's first
 * paint (and for readers with JavaScript off). Warnings of vega-lite and vega are collected, not printed.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { VegaLiteSpec } from './sections/types.ts';
import { vegaConfig, type ThemeName } from './theme.ts';

export interface RenderedChart {
  light: string;
  dark: string;
  warnings: string[];
}

function collectingLogger(warnings: string[]): vega.LoggerInterface {
  const logger = vega.logger(vega.Warn);
  const push = (...args: readonly unknown[]): void => {
    warnings.push(args.map(String).join(' '));
  };
  logger.warn = (...args: readonly unknown[]) => {
    push(...args);
    return logger;
  };
  logger.error = (...args: readonly unknown[]) => {
    push('error:', ...args);
    return logger;
  };
  return logger;
}

export async function renderSvg(spec: VegaLiteSpec, theme: ThemeName, warnings: string[] = []): Promise<string> {
  const logger = collectingLogger(warnings);
  // Static copies are hidden once the interactive chart is up: no ARIA labels there (the interactive one has
  // them), and a short font name — the page's CSS gives their text the real font stack.
  const config = { ...vegaConfig(theme), font: 'sans-serif', aria: false };
  const compiled = compile({ ...spec, config } as VegaLiteSpec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger, logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderChart(spec: VegaLiteSpec): Promise<RenderedChart> {
  const warnings: string[] = [];
  const light = await renderSvg(spec, 'light', warnings);
  const dark = await renderSvg(spec, 'dark', warnings);
  return { light, dark, warnings: [...new Set(warnings)] };
}
