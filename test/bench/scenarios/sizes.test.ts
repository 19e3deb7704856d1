import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCENARIOS } from '../../../bench/scenarios/index.ts';
import { bySize, runSize, type BenchOptions, type RunSize } from '../../../bench/scenarios/types.ts';
import { planProfiles } from '../../../bench/runner.ts';

const opts = (size: RunSize): BenchOptions => ({
  scenarios: [],
  profiles: null,
  link: 'tun',
  quick: size === 'quick',
  size,
  requests: null,
  out: 'results',
  request_timeout_ms: 10_000,
  congestion_control: null,
  slow_start_after_idle: null,
  argv: [],
});

test('runSize: an explicit size wins; option objects without one keep their old meaning', () => {
  assert.equal(runSize({ quick: false, size: 'standard' }), 'standard');
  assert.equal(runSize({ quick: true }), 'quick');
  assert.equal(runSize({ quick: false }), 'full');
  assert.equal(bySize({ quick: false, size: 'standard' }, { quick: 1, standard: 2, full: 3 }), 2);
});

test('every scenario plans strictly less work quick < standard and no more standard ≤ full', () => {
  for (const s of SCENARIOS) {
    const [q, st, f] = (['quick', 'standard', 'full'] as const).map((size) => s.plannedUnits(opts(size)));
    assert.ok(q !== undefined && st !== undefined && f !== undefined);
    assert.ok(q > 0 && q < st, `${s.name}: quick ${q} < standard ${st}`);
    assert.ok(st <= f, `${s.name}: standard ${st} ≤ full ${f}`);
  }
});

test('the default suite covers every claim C1–C12, on fewer profiles than --full', () => {
  const claims = new Set(SCENARIOS.flatMap((s) => s.claims));
  for (let i = 1; i <= 12; i++) assert.ok(claims.has(`C${i}`), `C${i} is measured by some scenario`);
  const count = (size: RunSize) => planProfiles(SCENARIOS, null, size).reduce((n, p) => n + p.scenarios.length, 0);
  assert.ok(count('quick') <= count('standard') && count('standard') < count('full'), `${count('quick')} ≤ ${count('standard')} < ${count('full')}`);
  // Profiles run in order of RTT so a run's cheap cases come first.
  const rtts = planProfiles(SCENARIOS, null, 'standard').map((p) => p.profile.params.rtt_ms);
  assert.deepEqual(rtts, [...rtts].sort((a, b) => a - b));
});
