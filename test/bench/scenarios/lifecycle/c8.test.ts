import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchOptions } from '../../../../bench/scenarios/types.ts';
import { raceSpreadMs, seededUniform } from '../../../../bench/drivers/idle-race.ts';
import { c8Cases, c8Plan, hintedClientIdleMs, serverConfiguredMs } from '../../../../bench/scenarios/lifecycle/c8.ts';
import { lifecyclePlannedUnits, selectedParts } from '../../../../bench/scenarios/lifecycle/scenario.ts';
import { isResetLike } from '../../../../bench/drivers/lifecycle-clients.ts';

test('lifecycle: C8 cases, timing helpers and the plan', () => {
  // Node 20 pads the server's keepAliveTimeout by 1 s; its Agent keeps a socket for the hint minus 1 s.
  assert.equal(serverConfiguredMs(5_000), 4_000);
  assert.equal(hintedClientIdleMs(5_000), 3_000);
  const cases = c8Cases();
  const lb = cases.filter((c) => c.path === 'lb');
  assert.deepEqual(
    lb.map((c) => [c.x_ms, c.y_ms, c.edge_ms]),
    [
      [6_000, 5_000, 5_000],
      [6_000, 7_000, 6_000],
    ],
  );
  assert.equal(raceSpreadMs(1), 25);
  assert.equal(raceSpreadMs(50), 100);
  assert.equal(
    c8Plan({ quick: false, requests: null }).lanes * c8Plan({ quick: false, requests: null }).trials_per_lane,
    1_000,
  );
  assert.ok(
    lifecyclePlannedUnits({ quick: true, requests: null } as BenchOptions, ['c8']) <
      lifecyclePlannedUnits({ quick: false, requests: null } as BenchOptions, ['c8']),
  );
  assert.deepEqual(selectedParts('c8, c10'), ['c8', 'c10']);
  assert.deepEqual(selectedParts(undefined), ['c7', 'c8', 'c9', 'c10', 'c12']);
  assert.deepEqual(
    selectedParts(undefined, 'quick'),
    ['c7', 'c12'],
    'a smoke run leaves out the parts that wait on scaled timeouts',
  );
  const a = seededUniform(3);
  const b = seededUniform(3);
  const xs = Array.from({ length: 50 }, () => a(-10, 10));
  assert.deepEqual(
    xs,
    Array.from({ length: 50 }, () => b(-10, 10)),
    'same seed, same gaps',
  );
  assert.ok(xs.every((x) => x >= -10 && x <= 10) && new Set(xs).size === 50);
  assert.ok(
    isResetLike('ECONNRESET') &&
      isResetLike('socket hang up') &&
      !isResetLike('timeout') &&
      !isResetLike('ECONNREFUSED'),
  );
});
