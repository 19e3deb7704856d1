import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultScenarioNames, loadScenarios, scenarioNames } from '../../../bench/scenarios/definitions.ts';
import { bySize, runSize, scenarioProfiles, type BenchOptions, type SizeName } from '../../../bench/scenarios/types.ts';
import { CI_REQUESTS_FAR, CI_REQUESTS_NEAR, samplingPlan } from '../../../bench/scenarios/handshake/scenario.ts';
import { getProfile } from '../../../netem/profiles.ts';
import { planProfiles } from '../../../bench/run/plan.ts';

const SCENARIOS = await loadScenarios(scenarioNames());

const opts = (size: SizeName): BenchOptions => ({
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
  const count = (size: SizeName) => planProfiles(SCENARIOS, null, size).reduce((n, p) => n + p.scenarios.length, 0);
  assert.ok(
    count('quick') <= count('standard') && count('standard') < count('full'),
    `${count('quick')} ≤ ${count('standard')} < ${count('full')}`,
  );
  // Profiles run in order of RTT so a run's cheap cases come first.
  const rtts = planProfiles(SCENARIOS, null, 'standard').map((p) => p.profile.params.rtt_ms);
  assert.deepEqual(
    rtts,
    [...rtts].sort((a, b) => a - b),
  );
});

test("--ci: a fixed n per handshake case decided up front (no early stop), by the profile's RTT; others run standard", () => {
  const ci = opts('ci');
  assert.equal(runSize(ci), 'standard');
  assert.deepEqual(samplingPlan(ci, getProfile('lan')), { warmup: 1, min: CI_REQUESTS_NEAR, max: CI_REQUESTS_NEAR });
  assert.deepEqual(samplingPlan(ci, getProfile('wan')), { warmup: 1, min: CI_REQUESTS_FAR, max: CI_REQUESTS_FAR });
  // --requests still wins
  assert.deepEqual(samplingPlan({ ...ci, requests: 7 }, getProfile('lan')), { warmup: 1, min: 7, max: 7 });
  const plan = planProfiles(
    SCENARIOS.filter((s) => s.ciPlan),
    null,
    'ci',
  );
  assert.deepEqual(
    plan.map((p) => [p.profile.name, p.scenarios.map((s) => s.name)]),
    [
      ['lan', ['handshake']],
      ['wan', ['handshake']],
    ],
  );
  const hol = SCENARIOS.find((s) => s.name === 'hol');
  assert.ok(hol);
  assert.deepEqual(scenarioProfiles(hol, 'ci'), scenarioProfiles(hol, 'standard'));
  assert.equal(hol.plannedUnits(ci), hol.plannedUnits(opts('standard')));
});

test('the opt-in browser scenario runs when named or with --full, never in the default, --quick or --ci run', () => {
  const all = scenarioNames();
  assert.ok(all.includes('browser'));
  for (const size of ['quick', 'standard', 'ci'] as const)
    assert.equal(defaultScenarioNames(size, false).includes('browser'), false, size);
  assert.deepEqual(defaultScenarioNames('full', false), all);
  assert.deepEqual(
    defaultScenarioNames('standard', false),
    all.filter((n) => n !== 'browser'),
  );
  assert.equal(
    defaultScenarioNames('full', true).includes('browser'),
    false,
    'a remote target has no client namespace',
  );
});
