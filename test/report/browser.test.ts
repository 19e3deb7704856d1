/**
 * Opens report.html in real headless Chromium (Debian's, never a downloaded one) from file:// with the
 * network off: every chart must render interactively, nothing may log an error or load from elsewhere, the
 * verdict table must show, and a full run's page must fit its cards at 1280 px and at a phone's 390 px.
 * Screenshots go to test-artifacts/ (gitignored) for a human look.
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
async function visit(
  browser: Browser,
  htmlPath: string,
  colorScheme: 'light' | 'dark',
  viewport = { width: 1280, height: 900 },
): Promise<Visit> {
  const context = await browser.newContext({ viewport, colorScheme, offline: true });
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

/** One table or chart of the page, measured against the card it sits in. */
interface Fit {
  what: string;
  /** How far it reaches past the right (or left) edge of its card's content box, in CSS px. */
  overflow: number;
  /** Its nearest horizontal scroll container inside the card, if any. */
  scroller: {
    overflowX: string;
    scrollWidth: number;
    clientWidth: number;
    withinCard: boolean;
    tabIndex: number;
    role: string | null;
    label: string | null;
    /** The scroll hint shown above it ('' when none shows). */
    hint: string;
  } | null;
}

interface PageFit {
  items: Fit[];
  docScrollWidth: number;
  innerWidth: number;
}

/*
 * Runs in the page, as source text: tsx would wrap named helpers of a function in __name(), which the page lacks.
 * Every visible table and chart (the SVG on show) inside a card; tables of <details> count once opened.
 */
const MEASURE = `(() => {
  var items = [];
  var els = Array.prototype.slice.call(document.querySelectorAll('.card table, .card figure.chart svg.marks'));
  els.forEach(function (el) {
    if (el.tagName.toLowerCase() === 'svg' && el.parentElement.closest('svg')) return;
    var r = el.getBoundingClientRect();
    if (r.width === 0) return;
    var card = el.closest('.card');
    var cr = card.getBoundingClientRect();
    var cs = getComputedStyle(card);
    var left = cr.left + parseFloat(cs.borderLeftWidth) + parseFloat(cs.paddingLeft);
    var right = cr.right - parseFloat(cs.borderRightWidth) - parseFloat(cs.paddingRight);
    var what = el.tagName.toLowerCase() === 'table'
      ? 'table "' + ((el.querySelector('caption') || {}).textContent || el.id || (el.closest('[id]') || {}).id || '?').slice(0, 60) + '"'
      : 'chart ' + el.closest('figure.chart').id;
    var sc = null;
    for (var p = el.parentElement; p && p !== card; p = p.parentElement) {
      var o = getComputedStyle(p).overflowX;
      if (o !== 'visible') { sc = p; break; }
    }
    var scroller = null;
    if (sc) {
      var sr = sc.getBoundingClientRect();
      var before = getComputedStyle(sc.parentElement, '::before').content;
      scroller = {
        overflowX: getComputedStyle(sc).overflowX,
        scrollWidth: sc.scrollWidth,
        clientWidth: sc.clientWidth,
        withinCard: sr.left >= left - 0.5 && sr.right <= right + 0.5,
        tabIndex: sc.tabIndex,
        role: sc.getAttribute('role'),
        label: sc.getAttribute('aria-label'),
        hint: before && before !== 'none' && before !== 'normal' ? before : ''
      };
    }
    items.push({ what: what, overflow: Math.max(0, r.right - right, left - r.left), scroller: scroller });
  });
  return { items: items, docScrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth };
})()`;

/**
 * What is wrong with one table or chart, in one line (null: nothing): reaching past its card is fine only inside a
 * scroll container within the card that can scroll, can be reached by keyboard, is a labelled region and shows a
 * hint that it scrolls sideways.
 */
function fitProblem(f: Fit): string | null {
  if (f.overflow <= 1) return null;
  const s = f.scroller;
  const past = `${f.what} reaches ${Math.round(f.overflow)} px past its card`;
  if (!s) return `${past} and sits in no scroll container`;
  const wrong = [
    s.overflowX !== 'auto' && s.overflowX !== 'scroll' ? `is cut off (overflow-x ${s.overflowX})` : '',
    s.withinCard ? '' : 'its scroll container is itself wider than the card',
    s.scrollWidth > s.clientWidth ? '' : 'its scroll container cannot scroll',
    s.tabIndex >= 0 ? '' : 'no keyboard focus (tabindex)',
    s.role === 'region' && s.label ? '' : 'not a labelled region',
    s.hint ? '' : 'no hint that it scrolls',
  ].filter(Boolean);
  return wrong.length ? `${past}: ${wrong.join('; ')}` : null;
}

async function measure(page: Page): Promise<PageFit> {
  return (await page.evaluate(MEASURE)) as PageFit;
}

function find(fit: PageFit, what: RegExp): Fit {
  const f = fit.items.find((i) => what.test(i.what));
  assert.ok(f, `${what} is on the page`);
  return f;
}

test(
  'a full run’s report fits its cards at 1280 px and on a phone: wide tables and charts scroll in a labelled, hinted box',
  { timeout: 180_000 },
  async (t) => {
    if (!haveChromium(t)) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const full = await buildReport(copyFixture(t, 'report-full'));
    const browser = await launch();
    t.after(() => browser.close());

    for (const viewport of [
      { width: 1280, height: 900 },
      { width: 390, height: 844 },
    ]) {
      const { page, errors, foreign } = await visit(browser, full.htmlPath, 'light', viewport);
      // Every <details> open, so the tables inside are measured too; two frames for the page to mark them.
      await page.$$eval('details', (ds) => ds.forEach((d) => d.setAttribute('open', '')));
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      const fit = await measure(page);
      const tables = fit.items.filter((i) => i.what.startsWith('table'));
      const charts = fit.items.filter((i) => i.what.startsWith('chart'));
      assert.ok(tables.length >= 25, `tables measured (${tables.length})`);
      assert.equal(charts.length, 25, 'charts measured');
      assert.deepEqual(
        fit.items.map(fitProblem).filter((p) => p !== null),
        [],
        `at ${viewport.width} px`,
      );
      assert.ok(
        fit.docScrollWidth <= fit.innerWidth,
        `the page itself does not scroll sideways at ${viewport.width} px (${fit.docScrollWidth} > ${fit.innerWidth})`,
      );
      // The verdicts wrap rather than scroll: at 1280 px (and the literature beside them), and on a phone too.
      const mustFit = [/^table "verdict-table"/, ...(viewport.width >= 1280 ? [/^table "literature"/] : [])];
      if (viewport.width >= 1280) mustFit.push(/^table "Saving of a kept-alive connection/);
      for (const what of mustFit) {
        const f = find(fit, what);
        assert.ok(
          f.overflow <= 1,
          `${f.what} fits its card at ${viewport.width} px (${Math.round(f.overflow)} px over)`,
        );
        assert.ok(f.scroller, `${f.what} sits in its wrapper`);
        assert.ok(
          f.scroller.scrollWidth <= f.scroller.clientWidth,
          `${f.what} does not scroll at ${viewport.width} px`,
        );
        assert.equal(f.scroller.hint, '', `${f.what} shows no scroll hint when nothing scrolls`);
      }
      // A box that scrolls is reached with Tab and scrolled with the arrow keys; its hint follows where it is.
      const box = page.locator('.table-wrap[data-overflow] > .scroll-x').first();
      assert.equal(await box.evaluate((b) => b.parentElement?.getAttribute('data-overflow')), 'right');
      await box.focus();
      for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
      await page.waitForFunction(
        (b) => (b as unknown as { scrollLeft: number }).scrollLeft > 0,
        await box.elementHandle(),
      );
      assert.match((await box.evaluate((b) => b.parentElement?.getAttribute('data-overflow'))) ?? '', /^(both|left)$/);
      assert.deepEqual(errors, [], 'no console errors');
      assert.deepEqual(foreign, [], 'nothing loaded from outside the file');
      await page.screenshot({ path: join(ARTIFACTS, `report-full-${viewport.width}-light.png`), fullPage: true });
      await page.context().close();
    }
  },
);
