/**
 * `npm run screenshot [-- <run-dir>] [--out docs/verdicts.png]` — the README's picture of the verdict table: builds
 * the run's report.html if it is missing or older than the run's files or the report code, opens it in headless
 * Chromium at 1280 px (offline, light scheme) and saves the verdict table element as a PNG.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, errorMessage } from '../lib/errors.ts';
import { ownToInvokingUser } from '../lib/ownership.ts';
import { HARNESS_ROOT } from '../lib/package-dir.ts';
import { buildReport } from '../report/build.ts';
import { fmtBytes } from '../report/format.ts';
import { parseCliArgs, runMain, versionHelp } from './cli.ts';

const DEFAULT_RUN_DIR = 'results/latest';
const DEFAULT_OUT = 'docs/verdicts.png';
const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 900 };

const HELP = `npm run screenshot -- [run-dir] [options]

Saves a PNG of a run's verdict table, as report.html shows it at ${VIEWPORT.width} px in Chromium (light scheme,
offline): the picture in the README. Builds report.html first when it is missing or older than the run's files
or the report code (as npm run report would). Needs the dev dependency playwright-core (npm install) and a
Chromium (Debian/Ubuntu: apt-get install chromium); no browser is downloaded.

Arguments:
  run-dir            the run folder (default: ${DEFAULT_RUN_DIR}, the newest run)

Options:
  --out <file.png>   where to write the PNG (default: ${DEFAULT_OUT}); its folder is created
  --chromium <path>  the Chromium binary (default: ${DEFAULT_CHROMIUM})
  -h, --help         this help
  ${versionHelp(19)}

Exit codes: 0 done, 1 failed, 2 bad usage, not a run folder, or no Chromium.`;

interface ShotArgs {
  runDir: string;
  out: string;
  chromium: string;
}

function parseShotArgs(argv: string[]): ShotArgs | 'help' {
  const { values, positionals } = parseCliArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      chromium: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length > 1)
    throw new UserError(`one run folder at a time, got ${positionals.length}: ${positionals.join(' ')}`);
  const out = values.out ?? DEFAULT_OUT;
  if (out === '' || !out.toLowerCase().endsWith('.png'))
    throw new UserError(`--out must name a .png file, got '${out}'`);
  const chromium = values.chromium ?? DEFAULT_CHROMIUM;
  if (chromium === '') throw new UserError('--chromium must name the Chromium binary');
  return { runDir: positionals[0] ?? DEFAULT_RUN_DIR, out, chromium };
}

/** Newest modification time of the files directly in dir whose names pass keep; 0 if none. */
function newestFile(dir: string, keep: (name: string) => boolean): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isFile() && keep(e.name)) newest = Math.max(newest, statSync(join(dir, e.name)).mtimeMs);
  return newest;
}

/** Newest .ts of the report code (report/ and its folders). */
function newestReportCode(dir = join(HARNESS_ROOT, 'report')): number {
  let newest = newestFile(dir, (n) => n.endsWith('.ts'));
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) newest = Math.max(newest, newestReportCode(join(dir, e.name)));
  return newest;
}

/** Whether report.html must be (re)built: missing, or older than the run's data or the code that draws it. */
function reportIsStale(runDir: string, reportCodeMtime = newestReportCode()): boolean {
  const html = join(runDir, 'report.html');
  if (!existsSync(html)) return true;
  const built = statSync(html).mtimeMs;
  const data = newestFile(runDir, (n) => n === 'meta.json' || n.endsWith('.csv'));
  return built < data || built < reportCodeMtime;
}

/** Writes the PNG beside its final name, then renames it over: a reader never sees half a picture. */
function writePngAtomic(path: string, png: Buffer): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    writeFileSync(tmp, png, { flag: 'wx', mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
}

/** playwright-core is a dev dependency: loaded only here, with a one-line error when it is not installed. */
async function loadPlaywright(): Promise<typeof import('playwright-core')> {
  try {
    return await import('playwright-core');
  } catch {
    throw new UserError('the screenshot needs the npm package playwright-core (a dev dependency); run npm install');
  }
}

/** Opens the page offline at the README's width and returns the verdict table as a PNG. */
async function shootVerdictTable(htmlPath: string, chromiumPath: string): Promise<Buffer> {
  const { chromium } = await loadPlaywright();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    // No JavaScript: the verdict table is plain HTML, and the charts' 2 MB of vega need not run for it.
    const context = await browser.newContext({
      viewport: VIEWPORT,
      colorScheme: 'light',
      offline: true,
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    const table = page.locator('#verdict-table');
    if ((await table.count()) !== 1) throw new UserError(`${htmlPath} has no verdict table (#verdict-table)`);
    return await table.screenshot({ animations: 'disabled' });
  } finally {
    await browser.close();
  }
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function main(): Promise<number> {
  const args = parseShotArgs(process.argv.slice(2));
  if (args === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.runDir === DEFAULT_RUN_DIR && !existsSync(DEFAULT_RUN_DIR))
    throw new UserError(`no run yet: ${DEFAULT_RUN_DIR} does not exist; run npm run bench first, or pass a run folder`);
  if (!existsSync(args.runDir)) throw new UserError(`no run folder at ${args.runDir}`);
  if (!existsSync(join(args.runDir, 'meta.json')))
    throw new UserError(`${args.runDir} is not a run folder (no meta.json in it)`);
  if (!existsSync(args.chromium))
    throw new UserError(
      `no Chromium at ${args.chromium}: install it (Debian/Ubuntu: apt-get install chromium) or pass --chromium <path>`,
    );
  const show = (p: string): string => {
    const rel = relative(process.cwd(), p);
    return rel.startsWith('..') ? p : rel;
  };
  let htmlPath = join(args.runDir, 'report.html');
  if (reportIsStale(args.runDir)) {
    htmlPath = (await buildReport(args.runDir)).htmlPath;
    process.stdout.write(`report: ${show(htmlPath)} (built)\n`);
  }
  const png = await shootVerdictTable(resolve(htmlPath), args.chromium);
  const out = resolve(args.out);
  mkdirSync(dirname(out), { recursive: true });
  writePngAtomic(out, png);
  for (const p of ownToInvokingUser(out, dirname(out)))
    process.stderr.write(`warning: could not hand a file to the sudo user (SUDO_UID): ${p}\n`);
  const { width, height } = pngSize(png);
  process.stdout.write(
    `screenshot: ${show(out)} (${width} × ${height} px, ${fmtBytes(png.length)}) of ${show(htmlPath)}\n`,
  );
  return 0;
}

runMain(main);
