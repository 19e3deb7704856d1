import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoute } from '../../servers/routes.ts';
import {
  HARNESS_ROUTES,
  ServerLacks,
  pidOf,
  routeOr,
  statsOf,
  userRoutes,
  type ServerUnderTest,
} from '../../servers/under-test.ts';

test("the harness's route set names routes its servers answer as meant", () => {
  assert.deepEqual(parseRoute(HARNESS_ROUTES.sized(1234)!), {
    kind: 'bytes',
    size_bytes: 1234,
    delay_ms: 0,
    close: false,
    web: false,
  });
  assert.deepEqual(parseRoute(HARNESS_ROUTES.slow(10, 250)!.path), {
    kind: 'bytes',
    size_bytes: 10,
    delay_ms: 250,
    close: false,
    web: false,
  });
  assert.deepEqual(parseRoute(HARNESS_ROUTES.closing(HARNESS_ROUTES.sized(5)!)!), {
    kind: 'bytes',
    size_bytes: 5,
    delay_ms: 0,
    close: true,
    web: false,
  });
  assert.deepEqual(parseRoute(HARNESS_ROUTES.closing(HARNESS_ROUTES.slow(5, 7)!.path)!), {
    kind: 'bytes',
    size_bytes: 5,
    delay_ms: 7,
    close: true,
    web: false,
  });
});

test('a server that lacks a capability says which, as ServerLacks', () => {
  const remote: ServerUnderTest = {
    origin: 'remote',
    protocol: 'h1',
    tls: false,
    port: 80,
    pid: null,
    routes: { small: () => null, sized: () => null, sizes: () => [], slow: () => null, closing: () => null },
    stats: null,
    closeIdle: null,
    alive: () => true,
    stop: async () => undefined,
  };
  assert.throws(
    () => statsOf(remote),
    (e: unknown) => e instanceof ServerLacks && /counters/.test(e.capability),
  );
  assert.throws(
    () => pidOf(remote),
    (e: unknown) => e instanceof ServerLacks && /process/.test(e.capability),
  );
  assert.throws(
    () => routeOr(remote.routes.slow(1, 1), 'a slow response'),
    (e: unknown) => e instanceof ServerLacks && e.capability === 'a route for a slow response',
  );
  const local = { ...remote, pid: 42, stats: async () => ({}) as never };
  assert.equal(pidOf(local), 42);
  assert.equal(statsOf(local), local.stats);
  assert.equal(routeOr('/x', 'x'), '/x');
});

test("a user's routes: its small path, the sizes its --paths answered, nothing slow or closing", () => {
  const routes = userRoutes({ path: '/small', size_bytes: 612 }, [
    { path: '/big.bin', size_bytes: 1_048_576 },
    { path: '/a.css', size_bytes: 16_384 },
    { path: '/copy.css', size_bytes: 16_384 },
  ]);
  assert.deepEqual(routes.small(100), { path: '/small', size_bytes: 612 });
  assert.deepEqual(routes.sizes(), [16_384, 1_048_576]);
  assert.equal(routes.sized(16_384), '/a.css');
  assert.equal(routes.sized(1_000), null);
  assert.equal(routes.slow(10, 10), null);
  assert.equal(routes.closing('/small'), null);
  assert.equal(HARNESS_ROUTES.sizes(), 'any');
});
