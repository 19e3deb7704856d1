import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileged } from '../../../helpers/privileged.ts';
import { testScenarioContext } from '../../../helpers/scenario-context.ts';
import { openTunLink } from '../../../../netem/tun.ts';
import { newRunId } from '../../../../netem/topology.ts';
import { readCsv } from '../../../../lib/csv-file.ts';
import { startAgent } from '../../../../bench/drivers/agent-client.ts';
import { policyScenario } from '../../../../bench/scenarios/policy/scenario.ts';

test(
  "policy on the tun link: Node's own server closes idle connections after its 5 s default",
  { timeout: 120_000 },
  async (t) => {
    if (!requirePrivileged(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'kab-policy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const params = { rtt_ms: 2, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 };
    const link = await openTunLink({ runId: newRunId(), params });
    t.after(() => link.close());
    const agent = await startAgent(link.clientNetns);
    t.after(() => agent.stop());
    const { ctx, servers } = testScenarioContext({ link, scenario: 'policy', dir, agent, request_timeout_ms: 5_000 });
    ctx.options.quick = true;
    ctx.options.size = 'quick';
    t.after(() => Promise.all(servers.map((s) => s.handle.stop())));
    await policyScenario.run(ctx);
    const rows = readCsv(join(dir, 'policy.csv'));
    const idle = rows.filter((r) => r.part === 'idle');
    assert.equal(idle.length, 3);
    for (const r of idle) {
      assert.equal(r.outcome, 'closed');
      // Node's keepAliveTimeout (5 s) plus the server's own timer granularity (up to ~1 s).
      const ms = Number(r.idle_close_ms);
      assert.ok(ms > 4_800 && ms < 6_500, `closed after ${ms} ms`);
      assert.equal(r.keep_alive_header, 'timeout=5');
    }
    assert.equal(rows.find((r) => r.part === 'connection_close')?.outcome, 'honoured');
    const max = rows.find((r) => r.part === 'max_requests');
    assert.deepEqual([max?.requests, max?.cap, max?.outcome], ['20', '20', 'open_at_cap']);
  },
);
