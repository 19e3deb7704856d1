import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrivileged } from '../../../helpers/privileged.ts';
import { openTunLink } from '../../../../netem/tun.ts';
import { newRunId } from '../../../../netem/topology.ts';
import { startServer } from '../../../../servers/launch.ts';
import { CsvAppender, readCsv } from '../../../../lib/csv-file.ts';
import { Progress } from '../../../../lib/progress.ts';
import type { Agent } from '../../../../bench/drivers/agent-client.ts';
import type { BenchOptions, RunningServer, ScenarioContext } from '../../../../bench/scenarios/types.ts';
import type { Calibration } from '../../../../bench/drivers/calibrate.ts';
import type { Profile } from '../../../../netem/link.ts';
import { startLifecycleAgent } from '../../../../bench/scenarios/lifecycle/agent.ts';
import { makePartContext, seededUniform, type LifecycleColumn } from '../../../../bench/scenarios/lifecycle/common.ts';
import { LIFECYCLE_COLUMNS } from '../../../../bench/scenarios/lifecycle/definition.ts';
import { c8Cases, c8Plan, c8SpreadMs, hintedClientIdleMs, runC8, serverConfiguredMs } from '../../../../bench/scenarios/lifecycle/c8.ts';
import { detection, runC10, runC9 } from '../../../../bench/scenarios/lifecycle/faults.ts';
import { runC7 } from '../../../../bench/scenarios/lifecycle/idle.ts';
import { runC12 } from '../../../../bench/scenarios/lifecycle/pools.ts';
import { lifecyclePlannedUnits, selectedParts } from '../../../../bench/scenarios/lifecycle/scenario.ts';
import { c8Rates, verdictC7, verdictC8, wilson } from '../../../../report/sections/lifecycle/analysis.ts';
import { buildLifecycle } from '../../../../report/sections/lifecycle/section.ts';
import { isResetLike } from '../../../../bench/drivers/lifecycle-ops.ts';
import type { CsvRow } from '../../../../report/load-run.ts';
import { harnessServer } from '../../../../servers/under-test.ts';

test('lifecycle: C8 cases, timing helpers and the plan', () => {
  // Node 20 pads the server's keepAliveTimeout by 1 s; its Agent keeps a socket for the hint minus 1 s.
  assert.equal(serverConfiguredMs(5_000), 4_000);
  assert.equal(hintedClientIdleMs(5_000), 3_000);
  const cases = c8Cases();
  const lb = cases.filter((c) => c.path === 'lb');
  assert.deepEqual(lb.map((c) => [c.x_ms, c.y_ms, c.edge_ms]), [[6_000, 5_000, 5_000], [6_000, 7_000, 6_000]]);
  assert.equal(c8SpreadMs(1), 25);
  assert.equal(c8SpreadMs(50), 100);
  assert.equal(c8Plan({ quick: false, requests: null }).lanes * c8Plan({ quick: false, requests: null }).trials_per_lane, 1_000);
  assert.ok(lifecyclePlannedUnits({ quick: true, requests: null } as BenchOptions, ['c8']) < lifecyclePlannedUnits({ quick: false, requests: null } as BenchOptions, ['c8']));
  assert.deepEqual(selectedParts('c8, c10'), ['c8', 'c10']);
  assert.deepEqual(selectedParts(undefined), ['c7', 'c8', 'c9', 'c10', 'c12']);
  assert.deepEqual(selectedParts(undefined, 'quick'), ['c7', 'c12'], 'a smoke run leaves out the parts that wait on scaled timeouts');
  const a = seededUniform(3);
  const b = seededUniform(3);
  const xs = Array.from({ length: 50 }, () => a(-10, 10));
  assert.deepEqual(xs, Array.from({ length: 50 }, () => b(-10, 10)), 'same seed, same gaps');
  assert.ok(xs.every((x) => x >= -10 && x <= 10) && new Set(xs).size === 50);
  assert.ok(isResetLike('ECONNRESET') && isResetLike('socket hang up') && !isResetLike('timeout') && !isResetLike('ECONNREFUSED'));
});

test('lifecycle: detection takes the first FIN/error of a pre-fault connection or the failed request', () => {
  const ev = (conn_id: number, kind: 'open' | 'end' | 'error' | 'close', at: number, code: string | null = null) => ({ conn_id, kind, code, at_epoch_ms: at });
  const base = { status: null, first_error: null, retried: false, started_epoch_ms: 0, ended_epoch_ms: 0, kab_headers: {}, total_ms: null, queue_ms: null, connect_ms: null, reused: true, conn_id: 1, body_bytes: null, server_conn_id: null };
  const events = [ev(1, 'open', 900), ev(1, 'close', 1_050), ev(2, 'error', 1_020, 'ECONNRESET'), ev(1, 'error', 1_200, 'ETIMEDOUT')];
  // conn 2 opened after the fault; conn 1's bare close is the client's own destroy.
  assert.deepEqual(detection(1_000, events, new Set([1]), null), { detect_ms: 200, how: 'socket error ETIMEDOUT' });
  assert.deepEqual(detection(1_000, events, new Set([1]), { ...base, error: 'ECONNRESET', failed_epoch_ms: 1_100 }), { detect_ms: 100, how: 'request ECONNRESET' });
  // A request that hit the harness's cap was never told anything.
  assert.deepEqual(detection(1_000, [], new Set([1]), { ...base, error: 'cap', failed_epoch_ms: 9_000 }), { detect_ms: null, how: null });
});

function c8Row(note: string, strategy: string, x: number | null, y: number, outcome: string, gap: number): CsvRow {
  return { part: 'c8', case_key: `k-${note}`, profile: 'wan', strategy, x_ms: x === null ? '' : String(x), y_ms: String(y), outcome, gap_ms: String(gap), reused: '1', note };
}

test('lifecycle report: C8 rates and verdict', () => {
  const w = wilson(0, 100);
  assert.equal(w.low, 0);
  assert.ok(w.high > 0.03 && w.high < 0.04, `Wilson upper bound for 0/100 is ~3.7 %, got ${w.high}`);
  const rows: CsvRow[] = [];
  for (let i = 0; i < 100; i++) rows.push(c8Row('below', 'lb', 6000, 5000, i < 20 ? 'http_502' : 'ok', i < 20 ? -40 + i : 50));
  for (let i = 0; i < 100; i++) rows.push(c8Row('above', 'lb', 6000, 7000, 'ok', i - 50));
  const rates = c8Rates(rows);
  const below = rates.find((r) => r.label === 'below');
  assert.ok(below);
  assert.equal(below.per_1000, 200);
  // Failed gaps −40…−21 (n = 20), type-7 quantiles as in lib/stats.ts, shown to 0.1 ms:
  //   5 %: h = 19 × 0.05 = 0.95 → −40 + 0.95 = −39.05 → Math.round(−390.5) / 10 = −39
  //  95 %: h = 19 × 0.95 = 18.05 → −22 + 0.05 = −21.95 → Math.round(−219.5) / 10 = −21.9
  assert.equal(below.window_low_ms, -39);
  assert.equal(below.window_high_ms, -21.9);
  const v = verdictC8(rates, 10);
  // The notes' advice (server a little below the LB) is what fails.
  assert.equal(v.kind, 'refuted');
  assert.match(v.figure, /200 per 1 000/);
  // Failures on both sides: no clear answer.
  rows.push(c8Row('above', 'lb', 6000, 7000, 'http_502', 0));
  assert.equal(verdictC8(c8Rates(rows), 10).kind, 'depends');
  const section = buildLifecycle(rows, 10);
  assert.ok(section.specs.some((s) => s.id === 'lifecycle-c8-rate'));
  assert.ok(section.caveats.some((c) => c.includes('1:10')));
});

test('lifecycle on the tun link: one short case of each part (C7, C8, C9, C10, C12)', { timeout: 240_000 }, async (t) => {
  if (!requirePrivileged(t)) return;
  const RTT_MS = 10;
  const dir = mkdtempSync(join(tmpdir(), 'kab-lifecycle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const params = { rtt_ms: RTT_MS, jitter_ms: 0, loss_pct: 0, rate_mbit: null, queue_packets: null, mtu_bytes: 1500 };
  const link = await openTunLink({ runId: newRunId(), params });
  t.after(() => link.close());
  const agent = await startLifecycleAgent(link.clientNetns);
  t.after(() => agent.stop());
  const servers: RunningServer[] = [];
  t.after(() => Promise.all(servers.map((s) => s.handle.stop())));
  const profile: Profile = { name: 'test', params, source: 'test' };
  const calibration: Calibration = { rtt_ms_configured: RTT_MS, connect: null, request: null, goodput_mbit: null, rate_mbit_configured: null, rtt_ms_calibrated: RTT_MS, errors: 0, warnings: [] };
  const samples: unknown[] = [];
  const ctx: ScenarioContext = {
    runId: 'test',
    options: { scenarios: ['lifecycle'], profiles: null, link: 'tun', quick: false, size: 'standard', requests: 60, out: dir, request_timeout_ms: 10_000, congestion_control: null, slow_start_after_idle: null, argv: [] },
    profile,
    link,
    calibration,
    congestion_control: 'bbr',
    agent: {} as Agent,
    async startServer(config) {
      const handle = await startServer({ ...config, host: link.serverListenHost }, link.serverNetns);
      const s: RunningServer = { handle: harnessServer(handle), target: await link.clientTarget(handle.ready.port), clientTls: () => null };
      servers.push(s);
      return s;
    },
    record: (row) => void samples.push(row),
    csv: <C extends string>(name: string, columns: readonly C[]) => new CsvAppender<C>(join(dir, `${name}.csv`), columns),
    progress: new Progress(process.stderr, true),
    signal: new AbortController().signal,
  };
  const p = makePartContext(ctx, agent, new CsvAppender<LifecycleColumn>(join(dir, 'lifecycle.csv'), LIFECYCLE_COLUMNS));
  const rowsOf = (part: string): CsvRow[] => readCsv(join(dir, 'lifecycle.csv')).filter((r) => r.part === part);

  await runC7(p);
  for (const r of rowsOf('c7')) {
    const close = Number(r.idle_ms);
    assert.ok(close > 1_400 && close < 1_900, `server closed after ${close} ms (0.5 s + Node's 1 s pad)`);
    assert.match(r.outcome ?? '', /reuse_(EPIPE|ECONNRESET)/);
  }

  await runC12(p);
  const c12 = rowsOf('c12');
  assert.ok(c12.length > 0 && c12.every((r) => r.outcome === 'ok'));
  const warmSmall = c12.filter((r) => r.max_sockets === '2' && r.fault === 'warm').map((r) => Number(r.queue_ms));
  assert.ok(Math.max(...warmSmall) > 2 * RTT_MS, `8 requests on 2 sockets queue up to ~3 RTT, max ${Math.max(...warmSmall)} ms`);
  const coldConnects = c12.filter((r) => r.fault === 'cold' && r.reused === '0').map((r) => Number(r.connect_ms));
  // Eight connects at once on a busy 2-core machine: each costs at least the RTT; the median stays near it.
  const sortedConnects = [...coldConnects].sort((x, y) => x - y);
  const medianConnect = sortedConnects[Math.floor(sortedConnects.length / 2)] ?? Number.NaN;
  assert.ok(coldConnects.every((c) => c >= RTT_MS - 1) && medianConnect < RTT_MS * 3, `connects ${coldConnects.join(', ')} ms at ${RTT_MS} ms RTT`);

  await runC9(p);
  const c9 = new Map(rowsOf('c9').map((r) => [r.strategy, r]));
  assert.equal(c9.get('tcp_keepalive')?.outcome, 'survived');
  assert.equal(c9.get('h2_ping')?.outcome, 'survived');
  assert.notEqual(c9.get('none')?.outcome, 'survived');
  assert.equal(c9.get('none')?.next_ok, '1', 'a new connection (a new flow) works again');

  await runC10(p);
  const c10 = rowsOf('c10');
  const get = (fault: string, s: string): CsvRow | undefined => c10.find((r) => r.fault === fault && r.strategy === s);
  for (const r of c10.filter((x) => x.fault === 'process_killed')) assert.ok(Number(r.detect_ms) < 1_000, `killed process noticed by FIN: ${r.strategy} ${r.detect_ms}`);
  assert.equal(get('host_gone', 'none')?.detect_ms, '', 'silence is not noticed without a timer');
  assert.ok(Number(get('host_gone', 'h2_ping')?.detect_ms) < 3_500);
  assert.ok(Number(get('host_gone', 'tcp_keepalive')?.detect_ms) < 4_000);
  assert.equal(get('host_rebooted', 'retry_once')?.outcome, 'ok_after_retry');
  assert.ok(c10.every((r) => r.next_ok === '1'), 'every client recovers once the fault is cleared');

  await runC8(p);
  const c8 = rowsOf('c8');
  const failed = c8.filter((r) => r.outcome !== 'ok');
  const bad = (s: string, y: string): CsvRow[] => failed.filter((r) => r.strategy === s && r.y_ms === y);
  assert.equal(bad('lb', '7000').length, 0, 'Y > X: no 502');
  assert.equal(bad('idle_below_server', '5000').length, 0);
  assert.equal(bad('node_default', '5000').length, 0);
  assert.ok(bad('lb', '5000').length + bad('no_idle_timeout', '5000').length > 0, 'Y < X: the race shows up in ~15 % of 120 trials');
  // The window is about one RTT before Y; timer lag of a busy 2-core machine (either process) blurs its edges.
  for (const r of failed) assert.ok(Math.abs(Number(r.gap_ms)) < RTT_MS + 50, `failed gap ${r.gap_ms} ms is near the race window`);
  assert.ok(samples.length >= c8.length);
});

test('C7 without a measured close: "not run" on the proxy link (it hides the FIN), "depends" on a packet link', () => {
  const proxy = verdictC7([], 10, 'proxy');
  assert.equal(proxy.kind, 'not_run');
  assert.match(proxy.figure, /proxy link hides the server's close/);
  assert.equal(verdictC7([], 10, 'tun').kind, 'depends');
});
