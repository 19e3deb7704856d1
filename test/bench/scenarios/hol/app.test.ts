import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holMode, retransSegs, rotate } from '../../../../bench/scenarios/hol/common.ts';
import { APP_SLOW_DELAY_MS, appPath, blockedMs, classOf, holCaseModel } from '../../../../bench/scenarios/hol/app.ts';
import {
  PAGE_BIG_BYTES,
  PAGE_ITEMS,
  PAGE_SMALL_BYTES,
  pageItems,
  transportPlan,
} from '../../../../bench/scenarios/hol/transport.ts';

test('hol: the four modes, blocked time, the page and the plans', () => {
  assert.deepEqual(holMode('h1_pipelined', 10), { mode: 'h1_pipelined', protocol: 'h1', connections: 1, depth: 10 });
  assert.deepEqual(holMode('h1_6conn', 10), { mode: 'h1_6conn', protocol: 'h1', connections: 6, depth: 1 });
  assert.deepEqual(holMode('h2_streams', 41), { mode: 'h2_streams', protocol: 'h2', connections: 1, depth: 41 });
  assert.deepEqual(rotate([1, 2, 3], 4), [2, 3, 1]);
  assert.equal(classOf(1), 'slow');
  assert.equal(classOf(2), 'fast');
  assert.match(appPath('slow'), new RegExp(`delay_ms=${APP_SLOW_DELAY_MS}`));
  // Written at 1 ms, alone it takes 50 ms, it arrived at 260 ms: 209 ms behind others.
  assert.equal(blockedMs({ write_ms: 1, done_ms: 260 }, 50), 209);
  assert.equal(blockedMs({ write_ms: 1, done_ms: 40 }, 50), 0);
  assert.equal(blockedMs({ write_ms: null, done_ms: 40 }, 50), null);
  const page = pageItems()!;
  assert.equal(page.length, PAGE_ITEMS);
  assert.equal(page[0]?.path, `/bytes/${PAGE_BIG_BYTES}`);
  assert.equal(page.filter((p) => p.path === `/bytes/${PAGE_SMALL_BYTES}`).length, 40);
  assert.deepEqual(transportPlan({ quick: false, requests: null }).losses, [0, 0.5, 1, 2, 5]);
  assert.equal(transportPlan({ quick: true, requests: null }).ccs, null);
  // The standard run sweeps loss on every congestion control the host allows, 5 pages a side per loss rate.
  const standard = transportPlan({ quick: false, size: 'standard', requests: null });
  assert.deepEqual(standard.ccs, ['bbr', 'cubic', 'reno']);
  assert.equal(standard.reps, 5);
  assert.deepEqual(
    standard.cases.map((c) => `${c.mode}/${c.conn}`),
    ['h2_streams/fresh', 'h1_6conn/fresh'],
  );
  assert.ok((retransSegs(process.pid) ?? -1) >= 0, 'RetransSegs readable from /proc/<pid>/net/snmp');
  const tags = (variant: string) => ({ scenario: 'hol', variant, rtt_ms_calibrated: '50', rtt_ms_configured: '50' });
  assert.equal(holCaseModel(tags('part=app;mode=h1_pipelined;req=fast'), 'total_ms'), 50 + APP_SLOW_DELAY_MS);
  assert.equal(holCaseModel(tags('part=app;mode=h2_streams;req=fast'), 'total_ms'), 50);
  assert.equal(holCaseModel(tags('part=app;mode=h1_6conn;req=slow'), 'total_ms'), 50 + APP_SLOW_DELAY_MS);
  assert.equal(holCaseModel(tags('part=loss;mode=h2_streams;req=big'), 'total_ms'), null);
  assert.equal(holCaseModel(tags('part=app;mode=h2_streams;req=fast'), 'connect_ms'), null);
});
