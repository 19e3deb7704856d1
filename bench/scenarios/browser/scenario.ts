/**
 * The browser scenario: Chromium, in the client namespace, loads a page from the harness's TLS servers over the
 * emulated link — h2, h1 with keep-alive, h1 with `Connection: close` after every response — cold (a new
 * browser), warm (the same browser, its connections open) and resumed (the same browser after the server closed
 * them: new connections, TLS sessions resumed where the browser has tickets). The flat page is also loaded by the
 * harness's own client, interleaved, so the report can set the two side by side. Per loss rate and congestion
 * control the host allows.
 */
import type { Browser, Page } from 'playwright-core';
import { errorMessage } from '../../../lib/errors.ts';
import { sleep, withDeadline } from '../../../lib/sleep.ts';
import { NeedUnmet } from '../needs.ts';
import { diff, rotate } from '../hol/common.ts';
import { allowedCcs } from '../cc-loss-sweep.ts';
import type { RunningServer, Scenario, ScenarioContext } from '../types.ts';
import { chromiumMissing, findChromium, inNetnsLaunch, launchChromium, spkiHash } from './chromium.ts';
import { browserDefinition } from './definition.ts';
import { documentTimingsScript, flatLoadScript, type LoadSeen } from './in-page.ts';
import { loadFigures } from './observe.ts';
import { BROWSER_PAGE, BROWSER_STATES, browserPlan, harnessCounterpart, pagePaths, type BrowserCase } from './plan.ts';
import { runHarnessRound } from './harness-round.ts';
import {
  acceptedSoFar,
  appendLoad,
  openSweep,
  serverFor,
  sweepConditions,
  type BrowserSweep,
  type Round,
} from './sweep.ts';

function originOf(server: RunningServer): string {
  return `https://${server.target.host}:${server.target.port}`;
}

/** Above the page's own deadline: what a browser call may take before the load counts as failed. */
const CALL_MARGIN_MS = 5_000;
const LAUNCH_DEADLINE_MS = 30_000;
const CLOSE_DEADLINE_MS = 15_000;

async function loadOnce(page: Page, sw: BrowserSweep, r: Round): Promise<LoadSeen> {
  const origin = originOf(serverFor(sw, r.case));
  const paths = pagePaths(r.page, r.case);
  const deadline_ms = sw.page_timeout_ms + CALL_MARGIN_MS;
  try {
    if (r.page === 'flat') {
      const script = flatLoadScript(
        paths.map((p) => origin + p),
        sw.page_timeout_ms,
      );
      return await withDeadline(page.evaluate<LoadSeen>(script), deadline_ms, 'the page');
    }
    await page.goto(origin + paths[0]!, { waitUntil: 'load', timeout: sw.page_timeout_ms });
    const script = documentTimingsScript(BROWSER_PAGE.resources);
    return await withDeadline(page.evaluate<LoadSeen>(script), deadline_ms, 'reading the timings');
  } catch (e) {
    // Playwright's errors carry a multi-line call log: the first line says what happened.
    const error = errorMessage(e).split('\n')[0] ?? 'failed';
    return { page_ms: Number.NaN, resources: [], errors: BROWSER_PAGE.resources, error };
  }
}

/**
 * After the warm load: the server closes the connections, as its idle timeout would, and the FINs and GOAWAYs
 * cross the link. Under loss one may be lost and resent after a retransmission timeout (≥ 200 ms + RTT): the
 * wait covers one, so the browser finds its connections closed rather than racing a close in flight.
 */
async function closeServerConnections(sw: BrowserSweep, r: Round): Promise<void> {
  const server = serverFor(sw, r.case).handle;
  if (server.closeIdle === null) throw new Error('the server under test cannot close its idle connections');
  await server.closeIdle();
  const rto_ms = 200 + sw.rtt_ms;
  await sleep(4 * sw.rtt_ms + (r.loss_pct > 0 ? 2 * rto_ms : 200), sw.ctx.signal);
}

/** A new Chromium, closed by the run's teardown too (Ctrl-C while it starts or loads); null once aborted. */
async function launch(sw: BrowserSweep): Promise<{ browser: Browser; close(): Promise<void> } | null> {
  const holder: { browser: Browser | null } = { browser: null };
  const dropStep = sw.ctx.onEnd('chromium', () => holder.browser?.close());
  const close = async (): Promise<void> => {
    dropStep();
    if (holder.browser !== null) await withDeadline(holder.browser.close(), CLOSE_DEADLINE_MS, 'closing Chromium');
  };
  try {
    holder.browser = await withDeadline(
      launchChromium({ ...sw.launch, trusted_spki: sw.trusted_spki }),
      LAUNCH_DEADLINE_MS,
      'starting Chromium',
    );
  } catch (e) {
    await close().catch(() => undefined);
    // The first launch failing says this Chromium cannot run here: the scenario is skipped, with why.
    if (sw.launches === 1)
      throw new NeedUnmet(`a Chromium that starts (${sw.launch.env.CHROMIUM_BIN}): ${errorMessage(e).split('\n')[0]}`);
    throw e;
  }
  if (sw.ctx.signal.aborted) {
    await close();
    return null;
  }
  return { browser: holder.browser, close };
}

/** One browser launch: a cold, a warm and a resumed load of the page, each a row. */
async function runBrowserRound(sw: BrowserSweep, r: Round): Promise<void> {
  const { ctx } = sw;
  const browser_id = `${sw.head.profile}/browser/${++sw.launches}`;
  const launched = await launch(sw);
  if (launched === null) return;
  const version = `Chromium ${launched.browser.version()}`;
  try {
    const page = await withDeadline(launched.browser.newPage(), LAUNCH_DEADLINE_MS, 'opening a page');
    const seen = new Set<string>();
    for (const state of BROWSER_STATES) {
      if (ctx.signal.aborted) break;
      if (state === 'resumed') await closeServerConnections(sw, r);
      const before = await acceptedSoFar(sw, r.case);
      const load = await loadOnce(page, sw, r);
      const after = await acceptedSoFar(sw, r.case);
      // A load cut short by Ctrl-C is no measurement: no row.
      if (ctx.signal.aborted) break;
      const figures = loadFigures(load.resources, seen, diff(before, after));
      const ok = load.errors === 0 && Number.isFinite(load.page_ms);
      appendLoad(
        sw,
        { round: r, client: 'chromium', state, browser_id, client_version: version },
        figures,
        { page_ms: ok ? load.page_ms : null, errors: load.errors, error: load.error },
        load.resources,
      );
      ctx.progress.advance(
        BROWSER_PAGE.resources,
        `[${sw.head.profile}] browser ${r.page} ${r.case} ${state} loss ${r.loss_pct}% ${r.cc} rep ${r.rep}: ${ok ? `${load.page_ms.toFixed(0)} ms, ${figures.new_connections ?? '?'} new connection(s)` : `failed: ${load.error}`}`,
      );
    }
  } finally {
    await launched.close();
  }
}

function plannedUnits(options: Parameters<Scenario['plannedUnits']>[0]): number {
  const p = browserPlan(options);
  const ccs = p.ccs === null ? 1 : Math.max(1, p.ccs.filter((c) => allowedCcs().includes(c)).length);
  let loads = 0;
  for (const page of p.pages)
    for (const c of p.cases) loads += BROWSER_STATES.length + (harnessCounterpart(page, c) ? 2 : 0);
  return loads * (p.reps * p.losses.length * ccs + 1) * BROWSER_PAGE.resources;
}

export const browserScenario: Scenario = {
  ...browserDefinition,
  plannedUnits,
  async run(ctx: ScenarioContext) {
    const chromium = findChromium();
    if (chromium === null) throw new NeedUnmet(chromiumMissing());
    const netns = ctx.link.clientNetns;
    if (netns === null) throw new NeedUnmet('a link with network namespaces of its own (tun or tc, root)');
    const sw = await openSweep(ctx, inNetnsLaunch(chromium, netns), spkiHash);
    const plan = browserPlan(ctx.options);
    await sweepConditions(sw, async (r) => {
      for (const page of rotate(plan.pages, r.rep)) {
        for (const c of rotate(plan.cases, r.rep + r.loss_index)) {
          if (ctx.signal.aborted) return;
          const round = { ...r, page, case: c };
          await runBrowserRound(sw, round);
          if (harnessCounterpart(page, c) && !ctx.signal.aborted) await runHarnessRound(sw, round);
        }
      }
    });
  },
};
