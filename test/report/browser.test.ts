/**
 * Opens report.html in real headless Chromium (Debian's, never a downloaded one) from file:// with the
 * network off: every chart must render interactively, nothing may log an error or load from elsewhere, the
 * verdict table must show. Screenshots go to test-artifacts/ (gitignored) for a human look.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildReport } from '../../report/build.ts';
import { REPO } from '../helpers/run-cli.ts';
import { requireProgram } from '../helpers/privileged.ts';
import { copyFixture } from './fixture-copy.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO, 'test-artifacts');

function haveChromium(t: TestContext): boolean {
  return requireProgram(t, CHROMIUM, 'chromium');
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

interface Visit {
  page: Page;
  errors: string[];
  foreign: string[];
}

/** Loads the page offline and waits until the inline script has embedded every chart. */
async function visit(browser: Browser, htmlPath: string, colorScheme: 'light' | 'dark'): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme, offline: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data|blob|about):/.test(r.url())) foreign.push(r.url());
  });
  await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-charts=ready]', { timeout: 30_000 });
  return { page, errors, foreign };
}

interface ChartState {
  id: string;
  state: string | null;
  marks: number;
  width: number;
  height: number;
  staticSvgs: number;
  background: string | null;
}

async function charts(page: Page): Promise<ChartState[]> {
  return page.$$eval('figure.chart', (figs) =>
    figs.map((f) => {
      const svg = f.querySelector('.interactive svg');
      const box = svg?.getBoundingClientRect();
      return {
        id: f.id,
        state: f.getAttribute('data-state'),
        // Drawn marks: symbols, rects, lines, ticks inside vega's mark groups.
        marks: svg
          ? svg.querySelectorAll('g[class*="mark-"] path, g[class*="mark-"] line, g[class*="mark-"] rect').length
          : 0,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        staticSvgs: f.querySelectorAll('.static svg').length,
        background: svg ? (svg as unknown as { style: { backgroundColor: string } }).style.backgroundColor : null,
      };
    }),
  );
}

test(
  'report.html renders every chart in headless Chromium, offline, without console errors',
  { timeout: 180_000 },
  async (t) => {
    if (!haveChromium(t)) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const normal = await buildReport(copyFixture(t, 'report-normal'));
    const broken = await buildReport(copyFixture(t, 'report-broken'));
    const browser = await launch();
    t.after(() => browser.close());

    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors, foreign } = await visit(browser, normal.htmlPath, scheme);
      const list = await charts(page);
      assert.deepEqual(
        list.map((c) => c.id),
        ['handshake-latency', 'handshake-saving', 'handshake-rtt-trend', 'handshake-phases'],
      );
      for (const c of list) {
        assert.equal(c.state, 'interactive', `${c.id} embedded`);
        assert.ok(c.marks > 5, `${c.id} draws marks (${c.marks})`);
        assert.ok(c.width > 200 && c.height > 100, `${c.id} has a size (${c.width}×${c.height})`);
        assert.equal(c.staticSvgs, 2, `${c.id} keeps its pre-rendered light and dark SVG`);
        assert.equal(
          c.background,
          scheme === 'dark' ? 'rgb(22, 27, 34)' : 'rgb(255, 255, 255)',
          `${c.id} drawn in the ${scheme} theme`,
        );
      }
      // (No DOM lib in this project's tsconfig: reach the window through the element.)
      const bodyBg = await page.$eval('body', (b) => b.ownerDocument.defaultView?.getComputedStyle(b).backgroundColor);
      assert.equal(bodyBg, scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(246, 248, 250)');
      // The verdict table shows, with the measured claims first.
      await page.locator('#verdict-table').waitFor({ state: 'visible' });
      const rows = await page.$$eval('#verdict-table tbody tr:not(.group)', (trs) =>
        trs.map((tr) => (tr as unknown as { innerText: string }).innerText),
      );
      assert.equal(rows.length, 12);
      assert.match(rows[0] ?? '', /^C1\s[\s\S]*confirmed[\s\S]*keep-alive saves 1\.00 RTT/);
      assert.match(rows[1] ?? '', /^C3\s[\s\S]*confirmed/);
      assert.deepEqual(errors, [], 'no console errors');
      assert.deepEqual(foreign, [], 'nothing loaded from outside the file');
      await page.screenshot({ path: join(ARTIFACTS, `report-normal-${scheme}.png`), fullPage: true });
      if (scheme === 'light') {
        // Interactive: hovering a point of the first chart shows its numbers in a tooltip.
        await page.locator('#handshake-latency .interactive g.mark-symbol path').first().hover();
        const tip = page.locator('#vg-tooltip-element');
        await tip.waitFor({ state: 'visible', timeout: 5_000 });
        assert.match(await tip.innerText(), /median \(ms\)/);
      }
      await page.context().close();
    }

    // First paint / no JavaScript: the pre-rendered SVG of the reader's scheme shows, the other stays hidden.
    {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        colorScheme: 'dark',
        offline: true,
        javaScriptEnabled: false,
      });
      const page = await context.newPage();
      await page.goto(pathToFileURL(normal.htmlPath).href);
      const shown = await page.$$eval('figure.chart', (figs) =>
        // (No named helpers in here: tsx would wrap them in __name(), which the page does not have.)
        figs.map((f) => ({
          dark: f.querySelector('.svg-dark svg')?.getBoundingClientRect().width ?? 0,
          light: f.querySelector('.svg-light svg')?.getBoundingClientRect().width ?? 0,
        })),
      );
      assert.equal(shown.length, 4);
      for (const s of shown) {
        assert.ok(s.dark > 200, `dark SVG shown (${s.dark})`);
        assert.equal(s.light, 0, 'light SVG hidden');
      }
      await context.close();
    }

    const { page, errors, foreign } = await visit(browser, broken.htmlPath, 'light');
    assert.match(await page.locator('.banner').innerText(), /interrupted \(SIGINT\)/);
    assert.match(await page.locator('#scenario-slowstart .notice').innerText(), /never measured/);
    for (const c of await charts(page)) assert.equal(c.state, 'interactive', c.id);
    assert.deepEqual(errors, []);
    assert.deepEqual(foreign, []);
    await page.screenshot({ path: join(ARTIFACTS, 'report-broken-light.png'), fullPage: true });
    await page.context().close();
  },
);
