import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchOptions } from '../../../../bench/scenarios/types.ts';
import { activeProbes, idleCounts } from '../../../../bench/scenarios/cost/idle.ts';
import { churnPlan, PORT_RANGE_NARROW, portRangeForRep } from '../../../../bench/scenarios/cost/churn.ts';
import { costScenario } from '../../../../bench/scenarios/cost/scenario.ts';

test('cost plan: repetitions per size, ETA units, a port range per run', () => {
  assert.equal(churnPlan('quick').reps, 1);
  assert.equal(churnPlan('standard').reps, 3);
  assert.equal(churnPlan('full').reps, 5);
  // ETA units: idle + fdlimit + one unit per churn / ports / limits run.
  const units = (size: 'quick' | 'standard' | 'full'): number =>
    costScenario.plannedUnits({
      quick: size === 'quick',
      full: size === 'full',
      size,
      requests: null,
    } as unknown as BenchOptions);
  const runUnits = (size: 'quick' | 'standard' | 'full'): number => {
    const p = churnPlan(size);
    return (
      (p.rates_rps.length * 2 + p.port_rates_rps.length * 2) * p.reps +
      (p.max_requests_per_socket.length + p.keep_alive_timeout_ms.length) * p.limits_reps
    );
  };
  assert.equal(runUnits('quick'), 2);
  assert.equal(runUnits('standard'), (4 + 2) * 3, 'the limits chart is --full only');
  assert.equal(runUnits('full'), (8 + 8 + 7) * 5);
  for (const size of ['quick', 'standard', 'full'] as const) {
    const idleAndFd = idleCounts(size).length * 2 * (activeProbes(size) + 1) + 2 * 7;
    assert.equal(units(size), idleAndFd + runUnits(size), size);
  }
  assert.equal(portRangeForRep(1), PORT_RANGE_NARROW);
  assert.equal(portRangeForRep(2), '61128 61255');
  assert.equal(portRangeForRep(5), '61512 61639');
});
