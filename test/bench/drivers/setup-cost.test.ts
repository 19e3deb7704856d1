import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { SETUP_TASKS, measureSetupCost, taskName, type SetupTask } from '../../../bench/drivers/setup-cost.ts';

test('setup cost: each task completes with tinybench statistics and the CPU per request; resumption is checked', async () => {
  const tasks: SetupTask[] = [
    { protocol: 'h1', security: 'none', conn_mode: 'new' },
    { protocol: 'h1', security: 'tls13', conn_mode: 'resumed' },
    { protocol: 'h2', security: 'tls13', conn_mode: 'reused' },
  ];
  const seen: string[] = [];
  const run = new AbortController();
  const results = await measureSetupCost(
    { time_ms: 50, iterations: 10, warmup_ms: 10, signal: run.signal },
    tasks,
    (r) => seen.push(taskName(r)),
  );
  // tinybench keeps the listener it adds to its signal: none may stay on the run's (11 once made Node warn).
  assert.equal(getEventListeners(run.signal, 'abort').length, 0);
  assert.deepEqual(seen, tasks.map(taskName), 'each result handed over as it is measured, in order');
  for (const r of results) {
    assert.equal(r.state, 'completed', JSON.stringify(r));
    if (r.state !== 'completed') continue;
    assert.ok(r.samples >= 10, `${taskName(r)}: ${r.samples} samples`);
    assert.ok(r.wall_mean_ms > 0 && r.wall_p50_ms > 0 && r.wall_p99_ms >= r.wall_p50_ms, taskName(r));
    assert.ok(Number.isFinite(r.wall_moe_ms) && r.wall_moe_ms >= 0, taskName(r));
    assert.ok(r.cpu_per_op_ms > 0, `${taskName(r)}: CPU per request ${r.cpu_per_op_ms} ms`);
  }
  assert.equal(new Set(SETUP_TASKS.map(taskName)).size, SETUP_TASKS.length, 'task names are unique');
});

test('setup cost: an aborted run marks the tasks it did not measure as aborted, never as figures', async () => {
  const ac = new AbortController();
  ac.abort();
  const results = await measureSetupCost({ time_ms: 50, iterations: 10, warmup_ms: 10, signal: ac.signal }, [
    { protocol: 'h1', security: 'none', conn_mode: 'reused' },
  ]);
  assert.deepEqual(
    results.map((r) => r.state),
    ['aborted'],
  );
});
