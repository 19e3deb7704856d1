/**
 * Builds report.html and summary.md into a run folder, from the run's files alone. The bench calls
 * buildReport() at the end of each run; `npm run report` calls it on any run folder.
 */
import { writeFileAtomic } from '../lib/atomic-file.ts';
import { join } from 'node:path';
import { UserError, errorMessage } from '../lib/errors.ts';
import { ownWritten } from '../lib/ownership.ts';
import { browserBundles } from './assets.ts';
import { renderChart, type RenderedChart } from './charts.ts';
import { renderPage } from './html.ts';
import { loadRun } from './load-run.ts';
import { buildModel, type ReportModel } from './model.ts';
import { renderSummaryMd } from './summary-md.ts';

export interface BuiltReport {
  htmlPath: string;
  mdPath: string;
  /** Size of report.html. */
  bytes: number;
  /** Wall time of the build. */
  ms: number;
}

export interface BuiltReportDetail extends BuiltReport {
  model: ReportModel;
  /** Warnings of vega-lite/vega while rendering, prefixed with the chart id. */
  warnings: string[];
}

/** Writes via a temporary file and a rename, so a reader never sees half a report. */
function writeAtomic(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    throw new UserError(
      `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}; check the run folder's permissions`,
    );
  }
}

function failedChart(message: string): RenderedChart {
  const note = `<p class="notice">This chart could not be drawn: ${message.replace(/[&<>"']/g, ' ')}</p>`;
  return { light: note, dark: note, warnings: [message] };
}

export async function buildReportDetailed(runDir: string, now = new Date()): Promise<BuiltReportDetail> {
  const t0 = performance.now();
  const run = loadRun(runDir);
  const model = buildModel(run, now);
  const charts = new Map<string, RenderedChart>();
  const warnings: string[] = [];
  for (const s of model.sections) {
    for (const c of s.output?.specs ?? []) {
      // Chart ids are anchors: keep them unique across sections.
      let id = c.id;
      for (let i = 2; charts.has(id); i++) id = `${c.id}-${i}`;
      c.id = id;
      let rendered: RenderedChart;
      try {
        rendered = await renderChart(c.spec);
      } catch (e) {
        rendered = failedChart(errorMessage(e));
      }
      charts.set(id, rendered);
      // Vega resolves through microtasks only; a macrotask turn lets a Ctrl-C during the report be handled.
      await new Promise<void>((resolve) => setImmediate(resolve));
      warnings.push(...rendered.warnings.map((w) => `${id}: ${w}`));
    }
  }
  const htmlPath = join(run.dir, 'report.html');
  const mdPath = join(run.dir, 'summary.md');
  await new Promise<void>((resolve) => setImmediate(resolve));
  const html = renderPage(model, charts, browserBundles());
  writeAtomic(htmlPath, html);
  writeAtomic(mdPath, renderSummaryMd(model, htmlPath));
  // Under sudo (npm run report of a user's run), the files written here go to the invoking user.
  ownWritten([htmlPath, mdPath], run.dir);
  return { htmlPath, mdPath, bytes: Buffer.byteLength(html), ms: performance.now() - t0, model, warnings };
}

export async function buildReport(runDir: string): Promise<BuiltReport> {
  const { htmlPath, mdPath, bytes, ms } = await buildReportDetailed(runDir);
  return { htmlPath, mdPath, bytes, ms };
}
