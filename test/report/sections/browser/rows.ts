/** Hand-made browser-pages.csv rows for the browser section's tests. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROWSER_PAGE_COLUMNS } from '../../../../bench/scenarios/browser/definition.ts';
import { writeCsv } from '../../../../lib/csv-file.ts';

export type Row = Record<string, string>;
type Column = (typeof BROWSER_PAGE_COLUMNS)[number];

/** A measured Chromium load of the flat page, h2, cold, 0 % loss, bbr: every column of the file, as strings. */
export const BASE: Row = Object.fromEntries(BROWSER_PAGE_COLUMNS.map((c) => [c, ''])) as Row;
Object.assign(BASE, {
  profile: 'wan',
  rtt_ms_configured: '50',
  rtt_ms_calibrated: '50.4',
  loss_pct: '0',
  congestion_control: 'bbr',
  client: 'chromium',
  page: 'flat',
  case: 'h2',
  state: 'cold',
  protocol: 'h2',
  rep: '1',
  warmup: '0',
  resources: '41',
  connections: '1',
  new_connections: '1',
  resumed_connections: '0',
  errors: '0',
});

/** One row per page time, the rest of each row from `over`. */
export function loads(over: Row, page_ms: readonly number[]): Row[] {
  return page_ms.map((ms, i) => ({ ...BASE, ...over, rep: String(i + 1), page_ms: String(ms) }));
}

/** Six page times with median m and (n = 6: the extremes) 95 % CI [m − 30, m + 30]. */
export function around(m: number): number[] {
  return [m - 30, m - 20, m - 10, m + 10, m + 20, m + 30];
}

/**
 * A browser run in a run folder (a copy of a fixture): browser-pages.csv with Chromium's flat page, h2, h1
 * keep-alive and Connection: close, cold and warm (0 % loss, bbr), and the scenario in meta.json.
 */
export function addBrowserRun(dir: string): void {
  const rows = [
    ...loads({ case: 'h2' }, around(456)),
    ...loads({ case: 'h1_keepalive', connections: '6', new_connections: '6' }, around(612)),
    ...loads({ case: 'h1_close', connections: '41', new_connections: '41' }, around(1_310)),
    ...loads({ case: 'h1_keepalive', state: 'warm', connections: '6', new_connections: '0' }, around(402)),
  ];
  // BASE has every column of the file.
  writeCsv(join(dir, 'browser-pages.csv'), BROWSER_PAGE_COLUMNS, rows as Record<Column, string>[]);
  const metaPath = join(dir, 'meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { scenarios: unknown[] };
  meta.scenarios.push({ name: 'browser', title: 'browser', claims: [] });
  writeFileSync(metaPath, JSON.stringify(meta, null, 2));
}
