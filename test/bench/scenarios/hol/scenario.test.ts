import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requirePrivileged } from '../../../helpers/privileged.ts';
import { startAgent } from '../../../../bench/drivers/agent-client.ts';
import type { BatchRequest } from '../../../../bench/drivers/batch.ts';
import { openTunLink } from '../../../../netem/tun.ts';
import { newRunId } from '../../../../netem/topology.ts';
import { startServer } from '../../../../servers/launch.ts';
import { holMode, retransSegs } from '../../../../bench/scenarios/hol/common.ts';
import { APP_BATCH_SIZE, APP_SLOW_DELAY_MS, appPath, blockedMs, classOf } from '../../../../bench/scenarios/hol/app.ts';
import { PAGE_ITEMS, pageItems } from '../../../../bench/scenarios/hol/transport.ts';

test('hol on the tun link: a slow first response blocks pipelined h1 responses, not h2 streams; loss makes retransmits', async (t) => {
  if (!requirePrivileged(t)) return;
  const RTT_MS = 20;
  const link = await openTunLink({
    runId: newRunId(),
    params: { rtt_ms: RTT_MS, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 },
  });
  t.after(() => link.close());
  const agent = await startAgent(link.clientNetns);
  t.after(() => agent.stop());
  const h1 = await startServer({ protocol: 'h1', host: link.serverListenHost }, link.serverNetns);
  t.after(() => h1.stop());
  const h2 = await startServer({ protocol: 'h2', host: link.serverListenHost }, link.serverNetns);
  t.after(() => h2.stop());
  const targets = { h1: await link.clientTarget(h1.ready.port), h2: await link.clientTarget(h2.ready.port) };
  const batch = (protocol: 'h1' | 'h2', over: Partial<BatchRequest>) =>
    agent.batch({
      target: targets[protocol],
      protocol,
      tls: null,
      connections: 1,
      depth: 1,
      conn_key: `t-${protocol}`,
      fresh: false,
      items: [],
      timeout_ms: 10_000,
      ...over,
    });

  const aloneFast = async (protocol: 'h1' | 'h2'): Promise<number> => {
    const values: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await batch(protocol, { conn_key: `solo-${protocol}`, items: [{ path: appPath('fast') }] });
      const it = r.items[0];
      assert.ok(it && it.error === null && it.done_ms !== null && it.write_ms !== null, JSON.stringify(it));
      if (i > 0) values.push(it.done_ms - it.write_ms);
    }
    return values.sort((a, b) => a - b)[1] ?? Number.NaN;
  };
  const unblocked = { h1: await aloneFast('h1'), h2: await aloneFast('h2') };
  assert.ok(
    unblocked.h1 > RTT_MS - 1 && unblocked.h1 < RTT_MS * 2,
    `h1 fast request alone ${unblocked.h1} ms at ${RTT_MS} ms RTT`,
  );

  const items = Array.from({ length: APP_BATCH_SIZE }, (_, i) => ({ path: appPath(classOf(i + 1)) }));
  const piped = holMode('h1_pipelined', APP_BATCH_SIZE);
  await batch('h1', { depth: piped.depth, items: items.slice(1) }); // opens the connection
  const p = await batch('h1', { depth: piped.depth, items });
  assert.equal(p.errors, 0);
  for (const it of p.items.slice(1)) {
    const blocked = blockedMs(it, unblocked.h1);
    assert.ok(
      blocked !== null && blocked >= APP_SLOW_DELAY_MS - 10,
      `pipelined request ${it.pos} blocked ${blocked} ms (D = ${APP_SLOW_DELAY_MS})`,
    );
  }

  const streams = holMode('h2_streams', APP_BATCH_SIZE);
  await batch('h2', { depth: streams.depth, items: items.slice(1) });
  const s = await batch('h2', { depth: streams.depth, items });
  assert.equal(s.errors, 0);
  for (const it of s.items.slice(1)) {
    // Issue 8's goal (within 10 % of the unblocked time) is judged by the report on a real run; on a busy 2-core
    // machine a test only checks a loose bound: at most 1.5 RTT later than alone, far below D (it once missed
    // 1 RTT by 0.2 ms with the whole suite running beside it).
    assert.ok(
      (it.done_ms ?? Infinity) < unblocked.h2 + 1.5 * RTT_MS,
      `h2 stream ${it.pos} done at ${it.done_ms} ms, alone ${unblocked.h2} ms`,
    );
  }

  // Pipelined load (autocannon, depth 4): a request must not wait a round trip in the client's kernel (Nagle).
  const load = await agent.load({
    target: targets.h1,
    protocol: 'h1',
    path: '/bytes/100',
    connections: 1,
    per_connection: 4,
    loop: 'closed',
    rate_rps: null,
    keep_alive: true,
    duration_ms: 1_000,
    max_requests: null,
    timeout_ms: 5_000,
  });
  assert.equal(load.errors, 0);
  assert.ok(
    (load.latency.p50_us ?? Infinity) < RTT_MS * 1.5 * 1000,
    `pipelined p50 ${load.latency.p50_us} µs at ${RTT_MS} ms RTT`,
  );

  await link.configure({ ...link.params(), loss_pct: 5 });
  const before = (await link.counters())!;
  const r0 = (retransSegs(h2.pid) ?? 0) + (retransSegs(agent.pid) ?? 0);
  let pageErrors = 0;
  for (let i = 0; i < 2; i++) {
    const page = await batch('h2', { depth: PAGE_ITEMS, fresh: true, conn_key: 'page', items: pageItems()! });
    pageErrors += page.errors;
  }
  const after = (await link.counters())!;
  const r1 = (retransSegs(h2.pid) ?? 0) + (retransSegs(agent.pid) ?? 0);
  assert.equal(pageErrors, 0);
  const dropped = after.down.dropped_loss + after.up.dropped_loss - before.down.dropped_loss - before.up.dropped_loss;
  assert.ok(dropped > 0, 'the link dropped packets at 5 % loss');
  assert.ok(r1 - r0 > 0, `the kernel retransmitted (${r1 - r0} segments for ${dropped} drops)`);
});
