import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileged } from '../../../helpers/privileged.ts';
import { testScenarioContext } from '../../../helpers/scenario-context.ts';
import { readCsv } from '../../../../lib/csv-file.ts';
import { openTunLink } from '../../../../netem/tun.ts';
import { listNetns, newRunId, readNamespaceSysctls } from '../../../../netem/topology.ts';
import { startAgent } from '../../../../bench/drivers/agent-client.ts';
import { costWriter } from '../../../../bench/scenarios/cost/common.ts';
import { startCrowdAgent } from '../../../../bench/scenarios/cost/agent.ts';
import { FD_LIMIT, FD_LIMIT_CROWD, idleCase, runFdLimit } from '../../../../bench/scenarios/cost/idle.ts';
import {
  churnPlan,
  PORT_RANGE_NARROW,
  portRangeForRep,
  runChurn,
  runPorts,
} from '../../../../bench/scenarios/cost/churn.ts';
import { loadPoints } from '../../../../report/sections/cost/analysis.ts';
import type { CsvRow } from '../../../../report/load-run.ts';

test(
  'cost on the tun link: idle crowd, FD limit, churn and ports; limits restored, nothing left',
  { timeout: 300_000 },
  async (t) => {
    if (!requirePrivileged(t)) return;
    const RTT_MS = 2;
    const dir = mkdtempSync(join(tmpdir(), 'kab-cost-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const params = { rtt_ms: RTT_MS, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 };
    const link = await openTunLink({ runId: newRunId(), params });
    const namespaces = [link.clientNetns, link.serverNetns].filter((n): n is string => n !== null);
    const agent = await startAgent(link.clientNetns);
    const crowd = await startCrowdAgent(link.clientNetns, 4_096);
    const { ctx, samples, servers } = testScenarioContext({
      link,
      scenario: 'cost',
      dir,
      agent,
      request_timeout_ms: 5_000,
    });
    const pids = [agent.pid, crowd.pid];
    try {
      const rows = (): CsvRow[] => readCsv(join(dir, 'cost.csv'));
      const metric = (part: string, m: string, protocol?: string): number[] =>
        rows()
          .filter((r) => r.part === part && r.metric === m && (protocol === undefined || r.protocol === protocol))
          .map((r) => Number(r.value));

      const write = costWriter(ctx);
      for (const protocol of ['h1', 'h2'] as const) await idleCase(ctx, crowd, write, protocol, 200);
      for (const protocol of ['h1', 'h2']) {
        assert.deepEqual(metric('idle', 'crowd_open', protocol), [200]);
        const fds = metric('idle', 'fds_per_conn', protocol)[0] ?? 0;
        assert.ok(fds > 0.95 && fds < 1.1, `${protocol}: one FD per idle connection, got ${fds}`);
        assert.ok(
          (metric('idle', 'heap_per_conn_bytes', protocol)[0] ?? 0) > 0,
          `${protocol}: the heap grew with the crowd`,
        );
        assert.equal(metric('idle', 'active_samples', protocol)[0], 20);
        assert.ok(metric('idle', 'eventloop_delay_p99_ms', protocol).length === 1);
      }
      assert.ok(samples.some((s) => s.connections === 200 && s.error === null));

      await runFdLimit(ctx, crowd);
      for (const protocol of ['h1', 'h2']) {
        assert.deepEqual(metric('fdlimit', 'server_nofile_limit', protocol), [FD_LIMIT]);
        const outcomes = rows().filter(
          (r) => r.part === 'fdlimit' && r.protocol === protocol && r.metric === 'crowd_outcome',
        );
        const ok = Number(outcomes.find((r) => r.detail === 'ok')?.value ?? 0);
        const failed = outcomes.filter((r) => r.detail !== 'ok').reduce((a, r) => a + Number(r.value), 0);
        assert.ok(ok > 150 && ok < FD_LIMIT, `${protocol}: fewer connections held than the limit, got ${ok}`);
        assert.equal(ok + failed, FD_LIMIT_CROWD);
        assert.ok(failed > 0, `${protocol}: connections past the limit fail`);
        assert.deepEqual(metric('fdlimit', 'probe_before_ok', protocol), [1]);
        assert.ok(
          metric('fdlimit', 'probe_at_limit_ok', protocol).every((v) => v === 0),
          `${protocol}: a new client fails at the limit`,
        );
        assert.deepEqual(
          metric('fdlimit', 'probe_after_close_ok', protocol),
          [1, 1, 1],
          `${protocol}: served again once connections closed`,
        );
        assert.deepEqual(metric('fdlimit', 'server_alive_after', protocol), [1]);
      }

      const ns = link.clientNetns;
      assert.ok(ns !== null);
      const rangeBefore = (await readNamespaceSysctls(ns))['net.ipv4.ip_local_port_range'];
      assert.notEqual(rangeBefore, PORT_RANGE_NARROW);
      await runPorts(ctx);
      assert.equal(
        (await readNamespaceSysctls(ns))['net.ipv4.ip_local_port_range'],
        rangeBefore,
        'port range restored',
      );
      assert.ok(
        rows().some(
          (r) =>
            r.part === 'ports' && r.keep_alive === '0' && r.metric === 'server_conns_per_req' && Number(r.value) > 0.9,
        ),
      );
      // Size 'standard': 3 runs of every ports case, each run in its own narrowed range.
      const reps = churnPlan('standard').reps;
      assert.equal(reps, 3);
      const portThroughput = rows().filter((r) => r.part === 'ports' && r.metric === 'throughput_rps');
      assert.equal(portThroughput.length, churnPlan('standard').port_rates_rps.length * 2 * reps);
      for (let rep = 1; rep <= reps; rep++)
        assert.ok(
          portThroughput
            .filter((r) => r.rep === String(rep))
            .every((r) => r.port_range === portRangeForRep(rep).replace(' ', '-')),
          `run ${rep}: its own range`,
        );
      assert.ok(loadPoints(rows(), 'ports').every((p) => p.n === reps));

      await runChurn(ctx);
      const ka = loadPoints(rows(), 'churn').filter((p) => p.keep_alive);
      const noka = loadPoints(rows(), 'churn').filter((p) => !p.keep_alive);
      assert.equal(ka.length, 2);
      assert.equal(noka.length, 2);
      // Every case ran `reps` times, each run's rows carrying its rep.
      for (const p of [...ka, ...noka]) {
        assert.deepEqual(
          p.runs.map((r) => r.rep),
          ['1', '2', '3'],
        );
        assert.equal(p.spread.throughput_rps?.n, reps);
      }
      assert.ok(
        rows()
          .filter((r) => r.part === 'churn')
          .every((r) => ['1', '2', '3'].includes(r.rep ?? '')),
      );
      for (const p of ka)
        assert.ok((p.server_conns_per_req ?? 1) < 0.5, `keep-alive reuses connections: ${p.server_conns_per_req}`);
      for (const p of noka)
        assert.ok(
          (p.server_conns_per_req ?? 0) > 0.95,
          `no keep-alive: a connection per request, got ${p.server_conns_per_req}`,
        );
      assert.ok([...ka, ...noka].every((p) => p.client_cpu_per_req_us !== null && p.server_cpu_per_req_us !== null));
      // Every server the parts started was stopped by the part itself.
      assert.ok(servers.every((s) => !s.handle.alive()));
    } finally {
      await crowd.stop();
      await agent.stop();
      await Promise.all(servers.map((s) => s.handle.stop()));
      await link.close();
    }
    const left = await listNetns();
    for (const n of namespaces) assert.ok(!left.includes(n), `namespace ${n} removed`);
    for (const pid of [...pids, ...servers.flatMap((x) => x.handle.pid ?? [])]) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      assert.equal(alive, false, `process ${pid} is gone`);
    }
  },
);
