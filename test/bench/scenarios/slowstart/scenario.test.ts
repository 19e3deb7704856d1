import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { tsEntryArgv } from '../../../../lib/child.ts';
import { requirePrivileged } from '../../../helpers/privileged.ts';
import { startAgent } from '../../../../bench/drivers/agent-client.ts';
import type { ProbeRequest } from '../../../../bench/drivers/probe.ts';
import { openTunLink } from '../../../../netem/tun.ts';
import { newRunId, readNamespaceSysctls, readRouteInitcwnd, setNamespaceSysctls } from '../../../../netem/topology.ts';
import { startServer } from '../../../../servers/launch.ts';
import { slowstartModel } from '../../../../bench/scenarios/slowstart/model.ts';
import { startTcpInfoSampler } from '../../../../bench/scenarios/slowstart/tcpinfo.ts';
import { snapshotServerTuning } from '../../../../bench/scenarios/slowstart/scenario.ts';
import { WARMUP_BYTES } from '../../../../bench/scenarios/slowstart/plan.ts';
import { cold1M } from '../../../helpers/slowstart.ts';

test('slowstart on the tun link: cold needs the model’s rounds, warm ~1, idle with ssai=1 (reno) loses the window, ssai=0 keeps it', async (t) => {
  if (!requirePrivileged(t)) return;
  // 40 ms: long enough that a scheduling hiccup of the userspace delay line on a shared 2-core machine stays
  // well under one round, short enough to keep the test at ~10 s.
  const RTT_MS = 40;
  const SIZE = 262144;
  const link = await openTunLink({
    runId: newRunId(),
    params: { rtt_ms: RTT_MS, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 },
  });
  t.after(() => link.close());
  const ns = link.serverNetns;
  const tuning = link.tuning;
  assert.ok(ns && tuning);
  assert.deepEqual(link.capabilities, {
    real_packets: true,
    drops_packets: true,
    configurable: true,
    connect_crosses_link: true,
  });
  // No t.after for it: the namespace (and what was changed in it) goes with the link.
  const restore = await snapshotServerTuning(tuning);
  const agent = await startAgent(link.clientNetns);
  t.after(() => agent.stop());
  const server = await startServer({ protocol: 'h1', host: link.serverListenHost, keep_alive_timeout_ms: 30_000 }, ns);
  t.after(() => server.stop());
  const sampler = await startTcpInfoSampler(ns);
  t.after(() => sampler.stop());
  const target = await link.clientTarget(server.ready.port);
  const probe = (conn_key: string, connection: 'new' | 'reuse', size: number, close_after: boolean): ProbeRequest => ({
    target,
    protocol: 'h1',
    tls: null,
    conn_key,
    connection,
    resume: false,
    path: `/bytes/${size}`,
    close_after,
    timeout_ms: 10_000,
  });
  await setNamespaceSysctls(ns, {
    'net.ipv4.tcp_congestion_control': 'reno',
    'net.ipv4.tcp_slow_start_after_idle': '1',
  });
  // Warm the server process up (JIT) before timing.
  await agent.probe(probe('jit', 'new', 1024, true));

  // Twice, the faster kept (the machine is shared: one late wake-up of the delay line costs a round); timed
  // without the sampler, whose polling takes CPU from the delay line. Then one traced transfer.
  let coldRounds = Infinity;
  for (let i = 0; i < 2; i++) {
    const s = await agent.probe(probe(`cold${i}`, 'new', SIZE, true));
    assert.equal(s.error, null);
    coldRounds = Math.min(coldRounds, (s.total_ms ?? Infinity) / RTT_MS);
  }
  const traced = await sampler.trace(server.ready.port, () => agent.probe(probe('traced', 'new', SIZE, true)));
  assert.equal(traced.result.error, null);
  const model = slowstartModel({ ...cold1M, size_bytes: SIZE }, RTT_MS, null).total_rtts; // 1 + 5
  t.diagnostic(
    `cold ${SIZE} B: ${coldRounds.toFixed(2)} RTT (model ${model}); ${traced.samples.length} tcp_info samples`,
  );
  // Loose sanity bounds (timing goals are not unit-test assertions): on a quiet machine this is within ±0.5.
  assert.ok(
    coldRounds >= model - 1 && coldRounds <= model + 2,
    `cold took ${coldRounds.toFixed(2)} RTT, model ${model}`,
  );
  const procSamples = traced.samples.filter((s) => s.source === 'proc').length;
  t.diagnostic(`${procSamples} /proc/net/tcp samples, ${traced.samples.length - procSamples} ss samples`);
  assert.ok(procSamples >= 1, '/proc/net/tcp saw the transfer');
  assert.ok(
    traced.samples.some((s) => s.source === 'ss'),
    'ss saw the transfer',
  );
  assert.ok(
    traced.samples.filter((s) => s.source === 'ss').every((s) => s.cc === 'reno'),
    'the namespace congestion control applies to new connections',
  );
  const cwnds = traced.samples.map((s) => s.cwnd_segments ?? 0);
  assert.ok(Math.min(...cwnds) <= 20 && Math.max(...cwnds) > 40, `cwnd grew during slow start: ${cwnds.join(' ')}`);

  const warmedUp = async (key: string): Promise<number> => {
    const w = await agent.probe(probe(key, 'new', WARMUP_BYTES, false));
    assert.equal(w.error, null);
    return performance.now();
  };
  // Each state measured twice, the faster one kept: the machine is shared and one late wake-up costs a round.
  const rounds = async (key: string, idle_ms: number): Promise<number> => {
    let best = Infinity;
    for (let i = 0; i < 2; i++) {
      const ended = await warmedUp(`${key}${i}`);
      if (idle_ms > 0) await new Promise((r) => setTimeout(r, ended + idle_ms - performance.now()));
      const s = await agent.probe(probe(`${key}${i}`, 'reuse', SIZE, true));
      assert.equal(s.error, null);
      best = Math.min(best, (s.total_ms ?? Infinity) / RTT_MS);
    }
    return best;
  };
  const warmRounds = await rounds('warm', 0);
  const idle1Rounds = await rounds('idle1-', 1000);
  await setNamespaceSysctls(ns, { 'net.ipv4.tcp_slow_start_after_idle': '0' });
  const idle0Rounds = await rounds('idle0-', 1000);
  // Model at 40 ms: warm 1 RTT; idle 1 s with ssai=1: 735 → 45 segments (4 RTOs of 240 ms in 1040 ms) → 3 RTT.
  t.diagnostic(
    `warm ${warmRounds.toFixed(2)} RTT; idle 1 s ssai=1 ${idle1Rounds.toFixed(2)} RTT; ssai=0 ${idle0Rounds.toFixed(2)} RTT`,
  );
  assert.ok(warmRounds <= 2.5, `warm ≤ 2.5 RTT, got ${warmRounds.toFixed(2)}`);
  assert.ok(idle1Rounds >= warmRounds + 1, 'slow start after idle costs at least one more round');
  assert.ok(idle0Rounds <= 2.5, `ssai=0 behaves as warm, got ${idle0Rounds.toFixed(2)}`);

  // initcwnd on the server route is set, then restored by the snapshot.
  await tuning.setInitcwnd('server', 32, null);
  assert.ok((await readRouteInitcwnd(ns)).some((r) => r.initcwnd === 32));
  assert.ok((await tuning.readRoutes('server')).every((r) => r.initcwnd === 32 && r.dev !== 'lo'));
  await restore();
  assert.ok((await readRouteInitcwnd(ns)).every((r) => r.initcwnd === null));
  assert.equal((await readNamespaceSysctls(ns))['net.ipv4.tcp_slow_start_after_idle'], '1');
});

test('the tcp_info sampler child exits by itself when its stdin closes', async () => {
  const entry = fileURLToPath(new URL('../../../../bench/scenarios/slowstart/sampler.ts', import.meta.url));
  for (const mode of ['ss', 'proc']) {
    const [file, ...args] = tsEntryArgv(entry, [mode]);
    const child = execa(file as string, args, {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    try {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      const ready = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as {
        ready: boolean;
      };
      assert.equal(ready.ready, true);
      // A start/stop round trip on a port nobody uses: no samples, no errors.
      child.stdin?.write('{"id":1,"op":"start","port":1,"interval_ms":2,"max_ms":1000,"max_samples":100}\n');
      await new Promise<string>((resolve) => lines.once('line', resolve));
      child.stdin?.write('{"id":2,"op":"stop"}\n');
      const stopped = JSON.parse(await new Promise<string>((resolve) => lines.once('line', resolve))) as {
        id: number;
        ok: boolean;
        samples: unknown[];
      };
      assert.deepEqual([stopped.id, stopped.ok, stopped.samples.length], [2, true, 0]);
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.stdin?.end();
      const r = await child;
      clearTimeout(t);
      assert.equal(r.exitCode, 0, `${mode} sampler exits 0 on stdin EOF`);
    } finally {
      child.kill('SIGKILL');
    }
  }
});
