import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchOptions } from '../../../../bench/scenarios/types.ts';
import { cpuDeltaMs, cpuTimeMs, parseSkmem, parseSockstat } from '../../../../bench/scenarios/cost/common.ts';
import { quantileOf } from '../../../../lib/stats.ts';
import { costScenario, isLocalProfile } from '../../../../bench/scenarios/cost/scenario.ts';

test('cost: parsers, quantile, CPU time and the plan', () => {
  const ss = parseSockstat('sockets: used 10\nTCP: inuse 7 orphan 1 tw 3 alloc 9 mem 4\nUDP: inuse 0 mem 0\n');
  assert.deepEqual(ss, { tcp_inuse: 7, tcp_orphan: 1, tcp_tw: 3, tcp_alloc: 9, tcp_mem_pages: 4 });
  assert.throws(() => parseSockstat('nothing'));
  const mem = parseSkmem(
    'ESTAB 0 0 1.1.1.1:1 2.2.2.2:2\n\t skmem:(r0,rb131072,t0,tb46080,f1920,w512,o0,bl0,d0)\nESTAB 0 0 1.1.1.1:1 2.2.2.2:3\n\t skmem:(r100,rb131072,t8,tb46080,f0,w0,o0,bl0,d3)\n',
  );
  // rb/tb are limits, d is drops: neither is memory held.
  assert.deepEqual(mem, { sockets: 2, alloc_bytes: 1920 + 512 + 100 + 8 });
  // type 7, as everywhere in the project (this scenario used nearest rank once: 2 and 4)
  assert.equal(quantileOf([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs((quantileOf([1, 2, 3, 4], 0.99) ?? 0) - 3.97) < 1e-12);
  assert.equal(quantileOf([], 0.5), null);
  const cpu = cpuTimeMs(process.pid);
  assert.ok(cpu !== null && cpu > 0, `this process has used CPU: ${cpu}`);
  assert.equal(cpuTimeMs(2 ** 22 + 12345), null);
  // Finer than the 10 ms clock tick: a few ms of work shows (the tick-based reading would often show 0 or 10).
  const before = cpuTimeMs(process.pid);
  const until = performance.now() + 3;
  while (performance.now() < until);
  const spent = cpuDeltaMs(before, cpuTimeMs(process.pid));
  assert.ok(spent !== null && spent > 0 && spent % 10 !== 0, `3 ms of work read as ${spent} ms`);
  assert.equal(cpuDeltaMs(5, 4), null, 'a sum that went backwards (a thread exited) is no measurement');
  assert.equal(cpuDeltaMs(null, 4), null);
  assert.ok(isLocalProfile(1) && !isLocalProfile(50));
  const quick = costScenario.plannedUnits({ quick: true, requests: null } as unknown as BenchOptions);
  const full = costScenario.plannedUnits({ quick: false, requests: null } as unknown as BenchOptions);
  assert.ok(quick > 0 && quick < full);
});
