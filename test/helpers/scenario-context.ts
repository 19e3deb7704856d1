/**
 * A ScenarioContext for tests that drive a scenario's parts directly on an open link: the harness's servers
 * behind the link, rows kept in memory (samples) or written under `dir` (extra CSVs), calibration taken as the
 * link's configured RTT. Not the runner's context (bench/run/context.ts): no run folder, no declared-CSV check.
 */
import { join } from 'node:path';
import { CsvAppender } from '../../lib/csv-file.ts';
import { Progress } from '../../lib/progress.ts';
import type { Agent } from '../../bench/drivers/agent-client.ts';
import type { Calibration } from '../../bench/drivers/calibrate.ts';
import type { BenchOptions, RunningServer, ScenarioContext } from '../../bench/scenarios/types.ts';
import type { Link, Profile } from '../../netem/link.ts';
import { startServer } from '../../servers/launch.ts';
import { HARNESS_OFFER, harnessServer } from '../../servers/under-test.ts';
import { Teardown } from '../../lib/teardown.ts';

export interface TestScenarioContext {
  ctx: ScenarioContext;
  /** What ctx.record() was given, in order. */
  samples: Array<Record<string, unknown>>;
  /** Every server ctx.startServer() started (the caller stops them). */
  servers: RunningServer[];
  /** Parts the scenario skipped (ctx.skipPart), in order. */
  skips: Array<{ part: string; reason: string }>;
  /** What the scenario asked to undo at its end (ctx.onEnd): the caller runs it. */
  ends: Teardown;
}

export function testScenarioContext(args: {
  link: Link;
  scenario: string;
  dir: string;
  agent: Agent;
  requests?: number | null;
  request_timeout_ms: number;
}): TestScenarioContext {
  const { link, dir } = args;
  const params = link.params();
  const profile: Profile = { name: 'test', params, source: 'test' };
  const calibration: Calibration = {
    rtt_ms_configured: params.rtt_ms,
    connect: null,
    request: null,
    goodput_mbit: null,
    rate_mbit_configured: null,
    rtt_ms_calibrated: params.rtt_ms,
    errors: 0,
    warnings: [],
  };
  const options: BenchOptions = {
    scenarios: [args.scenario],
    profiles: null,
    link: link.backend === 'remote' ? 'none' : link.backend,
    quick: false,
    size: 'standard',
    requests: args.requests ?? null,
    out: dir,
    request_timeout_ms: args.request_timeout_ms,
    congestion_control: null,
    slow_start_after_idle: null,
    argv: [],
  };
  const samples: Array<Record<string, unknown>> = [];
  const skips: Array<{ part: string; reason: string }> = [];
  const servers: RunningServer[] = [];
  const ends = new Teardown();
  const ctx: ScenarioContext = {
    runId: 'test',
    options,
    profile,
    link,
    calibration,
    congestion_control: 'bbr',
    agent: args.agent,
    async startServer(config) {
      const handle = await startServer({ ...config, host: link.serverListenHost }, link.serverNetns);
      const s: RunningServer = {
        handle: harnessServer(handle),
        target: await link.clientTarget(handle.ready.port),
        clientTls: () => null,
      };
      servers.push(s);
      return s;
    },
    onEnd: (label, fn) => ends.add(label, fn),
    offer: HARNESS_OFFER,
    record: (row) => void samples.push(row),
    skipPart: (part, reason) => void skips.push({ part, reason }),
    csv: <C extends string>(name: string, columns: readonly C[]) =>
      new CsvAppender<C>(join(dir, `${name}.csv`), columns),
    progress: new Progress(process.stderr, true),
    signal: new AbortController().signal,
  };
  return { ctx, samples, servers, skips, ends };
}
