/**
 * The harness's own client loads the flat page the browser loads, on the same link and congestion control,
 * right after it: cold (connections opened in the timed load, as a new browser does) then warm (the same
 * connections). h2 on one connection, h1 on six (a browser's per-origin limit), as in C5's page loads.
 */
import type { BatchResult } from '../../drivers/batch.ts';
import { errorMessage } from '../../../lib/errors.ts';
import { harnessVersion } from '../../../lib/package-dir.ts';
import type { ResourceSeen } from './in-page.ts';
import { loadFigures } from './observe.ts';
import { BROWSER_PAGE, pagePaths } from './plan.ts';
import { acceptedSoFar, appendLoad, serverFor, type BrowserSweep, type Round } from './sweep.ts';
import { diff, holMode } from '../hol/common.ts';

/** A batch's responses as resources: which server connection served each (no browser timings). */
function resourcesOf(batch: BatchResult, protocol: string, items: readonly { path: string }[]): ResourceSeen[] {
  return batch.items.map((it) => ({
    name: items[it.pos - 1]?.path ?? String(it.pos),
    start_ms: 0,
    request_ms: it.write_ms ?? 0,
    end_ms: it.done_ms ?? Number.NaN,
    connect_ms: 0,
    tls_ms: 0,
    dns_ms: 0,
    protocol,
    status: it.status ?? 0,
    conn_id: it.server_conn_id,
    tls_session: null,
  }));
}

export async function runHarnessRound(sw: BrowserSweep, r: Round): Promise<void> {
  const { ctx } = sw;
  const server = serverFor(sw, r.case);
  const h2 = r.case === 'h2';
  const mode = holMode(h2 ? 'h2_streams' : 'h1_6conn', BROWSER_PAGE.resources);
  const conn_key = `browser-harness-${++sw.harness_sets}`;
  const browser_id = `${sw.head.profile}/harness/${sw.harness_sets}`;
  const seen = new Set<string>();
  const items = pagePaths(r.page, r.case).map((path) => ({ path }));
  try {
    for (const state of ['cold', 'warm'] as const) {
      if (ctx.signal.aborted) break;
      let batch: BatchResult | null = null;
      let error: string | null = null;
      const before = await acceptedSoFar(sw, r.case);
      try {
        batch = await ctx.agent.batch({
          target: server.target,
          protocol: h2 ? 'h2' : 'h1',
          tls: server.clientTls('TLSv1.3'),
          connections: mode.connections,
          depth: mode.depth,
          conn_key,
          fresh: false,
          items,
          // The browser's page deadline: both sides give up on a load at the same time.
          timeout_ms: sw.page_timeout_ms,
        });
        error = batch.items.find((it) => it.error !== null)?.error ?? null;
      } catch (e) {
        error = errorMessage(e);
      }
      const after = await acceptedSoFar(sw, r.case);
      if (ctx.signal.aborted) break;
      const resources = batch ? resourcesOf(batch, h2 ? 'h2' : 'http/1.1', items) : [];
      const figures = loadFigures(resources, seen, diff(before, after));
      const errors = batch ? batch.errors : items.length;
      const version = `keepalive-bench ${harnessVersion()}`;
      appendLoad(
        sw,
        { round: r, client: 'harness', state, browser_id, client_version: version },
        figures,
        { page_ms: batch && errors === 0 ? batch.batch_ms : null, errors, error },
        resources,
      );
      ctx.progress.advance(
        BROWSER_PAGE.resources,
        `[${sw.head.profile}] harness ${r.page} ${r.case} ${state} loss ${r.loss_pct}% ${r.cc} rep ${r.rep}: ${batch && errors === 0 ? `${batch.batch_ms.toFixed(0)} ms` : `failed: ${error}`}`,
      );
    }
  } finally {
    await ctx.agent.close(conn_key);
  }
}
