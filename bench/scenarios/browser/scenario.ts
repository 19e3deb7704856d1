/**
 * The browser scenario: Chromium, in the client namespace, loads a page from the harness's TLS servers over the
 * emulated link — h2, h1 with keep-alive, h1 with `Connection: close` after every response — cold (a new
 * browser), warm (the same browser, its connections open) and resumed (the same browser after the server closed
 * them: new connections, TLS sessions resumed where the browser has tickets). The flat page is also loaded by the
 * harness's own client, interleaved, so the report can set the two side by side. Per loss rate and congestion
 * control the host allows.
 */
import type { Page } from 'playwright-core';
import { errorMessage } from '../../../lib/errors.ts';
import { sleep } from '../../../lib/sleep.ts';
import { NeedUnmet } from '../needs.ts';
import { rotate } from '../hol/common.ts';
import { allowedCcs } from '../hol/transport.ts';
import type { RunningServer, Scenario, ScenarioContext } from '../types.ts';
import { chromiumMissing, findChromium, inNetnsLaunch, launchChromium, spkiHash } from './chromium.ts';
import { browserDefinition } from './definition.ts';
import { documentTimingsScript, flatLoadScript, type LoadSeen } from './in-page.ts';
import { loadFigures } from './observe.ts';
import { BROWSER_PAGE, BROWSER_STATES, browserPlan, harnessCounterpart, pagePaths, type BrowserCase } from './plan.ts';
import { runHarnessRound } from './harness-round.ts';
import { appendLoad, openSweep, serverFor, sweepConditions, type BrowserSweep, type Round } from './sweep.ts';

function originOf(server: RunningServer): string {
  return `https://${server.target.host}:${server.target.port}`;
}

async function loadOnce(page: Page, sw: BrowserSweep, r: Round): Promise<LoadSeen> {
  const origin = originOf(serverFor(sw, r.case));
  const paths = pagePaths(r.page, r.case);
  try {
    if (r.page === 'flat')
      return await page.evaluate<LoadSeen>(
        flatLoadScript(
          paths.map((p) => origin + p),
          sw.page_timeout_ms,
        ),
      );
    await page.goto(origin + paths[0]!, { waitUntil: 'load', timeout: sw.page_timeout_ms });
    return await page.evaluate<LoadSeen>(documentTimingsScript(BROWSER_PAGE.resources));
  } catch (e) {
    return { page_ms: Number.NaN, resources: [], errors: BROWSER_PAGE.resources, error: errorMessage(e) };
  }
}

/** After the warm load: the server closes the connections, as its idle timeout would; the FINs and GOAWAYs cross the link. */
async function closeServerConnections(sw: BrowserSweep, c: BrowserCase): Promise<void> {
  const server = serverFor(sw, c).handle;
  if (server.closeIdle === null) throw new Error('the server under test cannot close its idle connections');
  await server.closeIdle();
  await sleep(Math.max(200, 4 * sw.rtt_ms));
}

/** One browser launch: a cold, a warm and a resumed load of the page, each a row. */
async function runBrowserRound(sw: BrowserSweep, r: Round): Promise<void> {
  const { ctx } = sw;
  const browser_id = `${sw.head.profile}/browser/${++sw.launches}`;
  const browser = await launchChromium({ ...sw.launch, trusted_spki: sw.trusted_spki });
  const dropCloseStep = ctx.onEnd('chromium', () => browser.close());
  const version = `Chromium ${browser.version()}`;
  try {
    const page = await browser.newPage();
    const seen = new Set<string>();
    for (const state of BROWSER_STATES) {
      if (ctx.signal.aborted) break;
      if (state === 'resumed') await closeServerConnections(sw, r.case);
      const load = await loadOnce(page, sw, r);
      const figures = loadFigures(load.resources, seen);
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
    dropCloseStep();
    await browser.close();
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
        for (const c of rotate(plan.cases, r.rep + r.loss_pct)) {
          if (ctx.signal.aborted) return;
          const round = { ...r, page, case: c };
          await runBrowserRound(sw, round);
          if (harnessCounterpart(page, c) && !ctx.signal.aborted) await runHarnessRound(sw, round);
        }
      }
    });
  },
};
