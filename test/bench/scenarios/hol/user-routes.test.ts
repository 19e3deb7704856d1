import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HARNESS_ROUTES, userRoutes } from '../../../../servers/under-test.ts';
import { appCaseKey, appRoutes, holCaseModel, slowDelayMs } from '../../../../bench/scenarios/hol/app.ts';
import { pageItems } from '../../../../bench/scenarios/hol/transport.ts';
import { pipelineItems, pipelinedAnswer, PIPELINE_DEPTH } from '../../../../bench/scenarios/hol/pipelining.ts';

const user = userRoutes(
  { path: '/small', size_bytes: 612 },
  [
    { path: '/a.css', size_bytes: 16_384 },
    { path: '/b.js', size_bytes: 4_096 },
    { path: '/big.bin', size_bytes: 1_048_576 },
  ],
  { path: '/slow', size_bytes: 5 },
);

test("hol app routes: the harness's 200 ms route, a user's --path and --slow-path, none without a slow route", () => {
  const h = appRoutes(HARNESS_ROUTES);
  assert.deepEqual(h, {
    fast: { path: '/bytes/1000', size_bytes: 1000 },
    slow: { path: '/bytes/1000?delay_ms=200', size_bytes: 1000, delay_ms: 200 },
  });
  const u = appRoutes(user);
  assert.deepEqual(u, { fast: { path: '/small', size_bytes: 612 }, slow: { path: '/slow', size_bytes: 5 } });
  assert.equal(appRoutes(userRoutes({ path: '/', size_bytes: 1 })), null);
  // The harness's delay is set; a user's is the slow request's time alone minus the fast one's.
  const alone = (cls: 'fast' | 'slow'): number | null => (cls === 'fast' ? 51.2 : 253.9);
  assert.equal(slowDelayMs(h!.slow, alone), 200);
  assert.equal(slowDelayMs(u!.slow, alone), 203);
  assert.equal(
    slowDelayMs(u!.slow, () => null),
    null,
  );
  // Case keys stay stable across runs: the harness's by its delay, a user's by its path (not a measured delay).
  assert.match(appCaseKey('h1_pipelined', 'fast', 'wan', h!.slow), /delay_ms=200/);
  assert.match(appCaseKey('h1_pipelined', 'fast', 'wan', u!.slow), /slow=\/slow/);
  assert.doesNotMatch(appCaseKey('h1_pipelined', 'fast', 'wan', u!.slow), /delay_ms/);
});

test('the model of an app case uses the delay in its variant (older runs: the harness 200 ms)', () => {
  const tags = (variant: string) => ({ scenario: 'hol', variant, rtt_ms_calibrated: '50', rtt_ms_configured: '50' });
  assert.equal(holCaseModel(tags('part=app;mode=h1_pipelined;req=fast;d_ms=120'), 'total_ms'), 170);
  assert.equal(holCaseModel(tags('part=app;mode=h1_pipelined;req=fast'), 'total_ms'), 250);
  assert.equal(holCaseModel(tags('part=app;mode=h1_pipelined;req=fast;d_ms='), 'total_ms'), null);
});

test("a user's page: the largest of --paths is the document, the others in turn are the 40 sub-resources", () => {
  const page = pageItems(user);
  assert.ok(page);
  assert.equal(page.length, 41);
  assert.deepEqual(page[0], { path: '/big.bin', size_bytes: 1_048_576 });
  assert.deepEqual(
    page.slice(1, 4).map((p) => p.path),
    ['/b.js', '/a.css', '/b.js'],
  );
  const one = pageItems(userRoutes({ path: '/', size_bytes: 1 }, [{ path: '/only', size_bytes: 9 }]));
  assert.ok(one && one.every((p) => p.path === '/only'));
  assert.equal(pageItems(userRoutes({ path: '/', size_bytes: 1 })), null, 'no --paths, no page');
});

test('the pipelining check: requests of different sizes in turn, each answer checked against its own size', () => {
  const h = pipelineItems();
  assert.equal(h.length, PIPELINE_DEPTH);
  assert.deepEqual(
    h.slice(0, 4).map((p) => p.path),
    ['/bytes/100', '/bytes/1000', '/bytes/10000', '/bytes/100'],
  );
  const u = pipelineItems(user);
  assert.deepEqual(
    u.slice(0, 5).map((p) => p.size_bytes),
    [612, 4_096, 16_384, 1_048_576, 612],
  );
  assert.equal(pipelinedAnswer({ error: null, body_bytes: 612 }, 612), 'in_turn');
  assert.equal(pipelinedAnswer({ error: null, body_bytes: 4_096 }, 612), 'wrong_size');
  assert.equal(pipelinedAnswer({ error: 'connection closed by server', body_bytes: null }, 612), 'failed');
});
