import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requirePrivileged, requireProgram } from '../../../helpers/privileged.ts';
import { runCli, startCli } from '../../../helpers/run-cli.ts';
import { tempDir } from '../../../helpers/files.ts';
import { leftovers, waitFor, waitForRunFolder } from '../../../helpers/run-state.ts';
import { readCsv } from '../../../../lib/csv-file.ts';
import { BROWSER_PAGE_COLUMNS, BROWSER_RESOURCE_COLUMNS } from '../../../../bench/scenarios/browser/definition.ts';
import { CHROMIUM_PATHS, findChromium } from '../../../../bench/scenarios/browser/chromium.ts';

/** Chromium processes a run started: their environment names the run's client namespace (chromium.ts sets it). */
function browsersLeft(runId: string): string[] {
  const mark = `CHROMIUM_NETNS=kab-${runId}-c`;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(mark);
      } catch {
        return false; // gone meanwhile, or not ours to read
      }
    });
}

test('browser on the tun link: Chromium loads the page cold, warm and resumed over h2, h1 keep-alive and h1 close', async (t) => {
  if (!requirePrivileged(t) || !requireProgram(t, findChromium() ?? CHROMIUM_PATHS[0], 'chromium')) return;
  const out = tempDir(t, 'kab-browser-');
  const r = await runCli(
    'bench',
    ['--scenario', 'browser', '--link', 'tun', '--rtt', '20', '--quick', '--out', out],
    180_000,
  );
  assert.equal(r.code, 0, r.stderr);
  const dir = join(out, 'latest');
  const runId = (JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { run_id: string }).run_id;
  assert.deepEqual(leftovers(runId), []);
  assert.deepEqual(browsersLeft(runId), [], 'every browser the run launched is closed');

  const rows = readCsv(join(dir, 'browser-pages.csv'), BROWSER_PAGE_COLUMNS).filter((x) => x.warmup === '0');
  const one = (client: string, page: string, c: string, state: string): Record<string, string> => {
    const found = rows.filter((x) => x.client === client && x.page === page && x.case === c && x.state === state);
    assert.equal(found.length, 1, `one measured ${client} ${page} ${c} ${state} load in a --quick run`);
    const row = found[0]!;
    assert.equal(row.errors, '0', `${client} ${page} ${c} ${state}: ${row.error}`);
    assert.ok(Number(row.page_ms) > 20, `${client} ${page} ${c} ${state}: a page takes more than one 20 ms RTT`);
    assert.equal(row.resources, '41');
    return row;
  };
  // Which connection served each response: in a warm load, none first used now (a spare socket the browser opened
  // and never used would count in new_connections, the server's accepted count, but serves nothing).
  const responses = readCsv(join(dir, 'browser-resources.csv'), BROWSER_RESOURCE_COLUMNS).filter(
    (x) => x.warmup === '0',
  );
  const onNew = (client: string, page: string, c: string, state: string): string[] =>
    responses
      .filter((x) => x.client === client && x.page === page && x.case === c && x.state === state)
      .filter((x) => x.on_new_connection !== '0')
      .map((x) => `${x.resource} on ${x.conn_id} (${x.on_new_connection || 'unknown'})`);
  for (const page of ['flat', 'document']) {
    const h2 = one('chromium', page, 'h2', 'cold');
    assert.equal(h2.protocol, 'h2');
    assert.equal(h2.connections, '1', 'h2: every resource on one connection');
    const ka = one('chromium', page, 'h1_keepalive', 'cold');
    assert.equal(ka.protocol, 'http/1.1');
    assert.ok(
      Number(ka.connections) > 1 && Number(ka.connections) <= 6,
      `h1: the browser's 6 per origin, got ${ka.connections}`,
    );
    const close = one('chromium', page, 'h1_close', 'cold');
    assert.equal(close.connections, '41', 'Connection: close: one connection a resource');
    // The server's accepted count: Chromium may open a spare connection it never uses (42 seen once in CI).
    assert.ok(Number(close.new_connections) >= 41, `Connection: close: ${close.new_connections} opened`);
    for (const c of ['h2', 'h1_keepalive']) {
      assert.deepEqual(onNew('chromium', page, c, 'warm'), [], `${c} warm: every response on a connection used before`);
      const resumed = one('chromium', page, c, 'resumed');
      assert.ok(Number(resumed.new_connections) >= 1, `${c} resumed: the server closed them, so new ones`);
      // Chromium resumed every document-page load of two 25-minute runs (62/62 a case), but not every flat one
      // (58/62 h2, 59/62 h1): its script's uncredentialed fetches from a blank page sometimes start afresh.
      if (page === 'document')
        assert.ok(Number(resumed.resumed_connections) >= 1, `${c} resumed: a TLS session resumed (server's word)`);
    }
    assert.ok(Number(one('chromium', page, 'h1_close', 'warm').resumed_connections) >= 1);
  }
  for (const c of ['h2', 'h1_keepalive']) {
    assert.ok(Number(one('harness', 'flat', c, 'cold').new_connections) >= 1);
    assert.deepEqual(onNew('harness', 'flat', c, 'warm'), []);
  }
  assert.equal(rows.filter((x) => x.client === 'harness' && x.page === 'document').length, 0);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /Browser page loads/);
});

test('browser without Chromium: the scenario is skipped with the reason, and the run still succeeds', async (t) => {
  if (!requirePrivileged(t)) return;
  const out = tempDir(t, 'kab-browser-none-');
  const missing = join(out, 'no-chromium-here');
  const r = await runCli(
    'bench',
    ['--scenario', 'browser', '--link', 'tun', '--rtt', '5', '--quick', '--out', out],
    120_000,
    { KAB_CHROMIUM: missing },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, new RegExp(`browser skipped: needs Chromium at KAB_CHROMIUM=${missing}`));
  const meta = readFileSync(join(out, 'latest', 'meta.json'), 'utf8');
  assert.match(meta, /no-chromium-here/);
  assert.equal(existsSync(join(out, 'latest', 'browser-pages.csv')), false, 'nothing measured, no rows');
});

test('browser: Ctrl-C in the middle of a load closes the browser and removes the namespaces', async (t) => {
  if (!requirePrivileged(t) || !requireProgram(t, findChromium() ?? CHROMIUM_PATHS[0], 'chromium')) return;
  const out = tempDir(t, 'kab-browser-int-');
  const { child, done } = startCli('bench', [
    '--scenario',
    'browser',
    '--link',
    'tun',
    '--rtt',
    '20',
    '--quick',
    '--out',
    out,
  ]);
  t.after(() => child.kill('SIGKILL'));
  const runDir = await waitForRunFolder(out, 60_000);
  const csv = join(runDir, 'browser-pages.csv');
  // The second row: a browser is open and its warm load under way.
  await waitFor('a browser load', () => existsSync(csv) && readFileSync(csv, 'utf8').split('\n').length > 2, 90_000);
  const runId = (JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as { run_id: string }).run_id;
  // Between two launches no browser runs: wait for one.
  await waitFor('a running browser', () => browsersLeft(runId).length > 0, 30_000);
  child.kill('SIGINT');
  const r = await done;
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(browsersLeft(runId), []);
  assert.deepEqual(leftovers(runId), []);
});
