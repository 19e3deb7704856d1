/**
 * One benchmark run: link → agent → calibration → scenarios, writing samples as they are measured, then the
 * summary. Everything started is registered with the teardown, which runs on every way out.
 */
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent, type Agent } from './drivers/agent-client.ts';
import type { ClientTls } from './drivers/target.ts';
import { readTcpSysctls } from './environment.ts';
import { UserError, errorMessage } from '../lib/errors.ts';
import { claimSignals } from '../lib/signals.ts';
import { Progress } from '../lib/progress.ts';
import { Teardown } from '../lib/teardown.ts';
import { extendHostAllowedCc, restoreHostAllowedCc } from '../netem/host-cc.ts';
import { CsvAppender } from '../lib/csv-file.ts';
import { MetaFile, gitCommit, machineInfo, packageVersions, type RunStatus } from './results/meta.ts';
import { createRunDir, newRunDirName, pointLatest } from './results/run-dir.ts';
import { SAMPLE_COLUMNS, type SampleColumn, type SummaryRow } from '../lib/schema.ts';
import { writeSummaryFile } from './results/summarize-run.ts';
import { loadScenarios } from './scenarios/definitions.ts';
import { bySize, scenarioProfiles, type BenchOptions, type RunningServer, type Scenario, type ScenarioContext, type ScenarioDefinition, type SizeName } from './scenarios/types.ts';
import { calibrate, type Calibration } from './drivers/calibrate.ts';
import { cleanStale } from '../netem/cleanup.ts';
import type { DirectionCounters, Link, LinkCounters, LinkParams, Profile } from '../netem/link.ts';
import { addsNothing, getProfile, profileKey } from '../netem/profiles.ts';
import { openLink } from '../netem/select.ts';
import { destroyNamespaces, namespaceNames, newRunId } from '../netem/topology.ts';
import { liveChildHandles } from '../lib/child.ts';
import { openRemoteLink, remoteProfile, type RemoteTarget } from '../netem/remote.ts';
import { DEFAULT_SERVER_CONFIG } from '../servers/config.ts';
import { CERT_SERVERNAME } from '../servers/tls-cert.ts';
import { startServer } from '../servers/launch.ts';
import type { ServerConfig } from '../servers/config.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RunOutcome {
  runDir: string;
  status: RunStatus;
  summary: SummaryRow[];
}

/** The link is opened for the most demanding profile so that `auto` never picks a backend a later profile cannot use. */
export interface ProfilePlan<S extends ScenarioDefinition = Scenario> {
  profile: Profile;
  scenarios: S[];
}

/** Which scenarios run on which profile: the given profiles for all, or each scenario's defaults (by RTT). */
export function planProfiles<S extends ScenarioDefinition = Scenario>(scenarios: readonly S[], given: readonly Profile[] | null, size: SizeName = 'full'): ProfilePlan<S>[] {
  if (given !== null) return given.map((profile) => ({ profile, scenarios: [...scenarios] }));
  const byName = new Map<string, ProfilePlan<S>>();
  for (const s of scenarios) {
    for (const name of scenarioProfiles(s, size)) {
      let entry = byName.get(name);
      if (!entry) byName.set(name, (entry = { profile: getProfile(name), scenarios: [] }));
      entry.scenarios.push(s);
    }
  }
  return [...byName.values()].sort((a, b) => a.profile.params.rtt_ms - b.profile.params.rtt_ms);
}

function paramsToOpenWith(profiles: readonly Profile[]): LinkParams {
  const first = profiles[0];
  if (!first) throw new UserError('no profile to run');
  return profiles.find((p) => !addsNothing(p.params))?.params ?? first.params;
}

export async function runBench(options: BenchOptions, progress = new Progress()): Promise<RunOutcome> {
  const scenarios = await loadScenarios(options.scenarios);
  const remote = options.target ?? null;
  if (remote !== null) {
    const local = scenarios.filter((s) => !s.remoteCapable).map((s) => s.name);
    if (local.length) throw new UserError(`scenario ${local.join(', ')} cannot run against a remote target: it needs to control the server or the link; run it without --target`);
    if (options.profiles !== null) throw new UserError('a remote target cannot be given a profile: the network is what it is; drop --profile/--rtt/--loss');
  }
  const plan = remote !== null ? [{ profile: remoteProfile(remote), scenarios }] : planProfiles(scenarios, options.profiles, options.size ?? (options.quick ? 'quick' : 'full'));
  const runId = newRunId();
  const runDir = createRunDir(options.out, newRunDirName(runId));
  pointLatest(runDir);
  const meta = new MetaFile(join(runDir, 'meta.json'), {
    run_id: runId,
    status: { kind: 'running' } satisfies RunStatus,
    started_at: new Date().toISOString(),
    ended_at: null,
    command_line: options.argv,
    options: { ...options, profiles: plan.map((p) => p.profile.name) },
    plan: plan.map((p) => ({ profile: p.profile.name, scenarios: p.scenarios.map((s) => s.name) })),
    git_commit: gitCommit(REPO_ROOT),
    machine: machineInfo(),
    // A busy machine is the first suspect when two runs disagree: compare and the report can see it here.
    load_average_at_start: os.loadavg(),
    versions: packageVersions(REPO_ROOT, ['autocannon', 'tinybench', 'execa', 'csv-stringify', 'koffi', 'selfsigned', 'tsx']),
    scenarios: scenarios.map((s) => ({ name: s.name, title: s.title, claims: s.claims })),
  });
  const samples = new CsvAppender(join(runDir, 'samples.csv'), Object.keys(SAMPLE_COLUMNS) as SampleColumn[]);
  const calibrationCsv = new CsvAppender(join(runDir, 'calibration.csv'), [
    'run_id',
    'profile',
    'link_backend',
    'rtt_ms_configured',
    'kind',
    'value_ms',
    'size_bytes',
    'error',
  ] as const);

  const extraCsvs = new Map<string, CsvAppender<string>>();
  const teardown = new Teardown();
  const abort = new AbortController();
  let status: RunStatus = { kind: 'running' };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) {
      progress.log(`${signal} again: exiting now`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    progress.log(`${signal}: stopping, cleaning up (samples so far are kept in ${runDir})`);
    status = { kind: 'aborted', signal };
    abort.abort(new Error(`interrupted by ${signal}`));
    void teardown.run().then((failures) => {
      for (const f of failures) progress.log(`cleanup: ${f}`);
      meta.update({ status, ended_at: new Date().toISOString() });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  const releaseSignals = claimSignals(onSignal);

  try {
    if (process.getuid?.() === 0) {
      const { removed } = await cleanStale();
      if (removed.length) progress.log(`removed what an earlier run left: ${removed.join(', ')}`);
    }
    // Registered before the link exists: a signal that lands while the link is being built must still
    // remove whatever part of it was made. Runs last (steps run in reverse).
    teardown.add('child processes', async () => {
      await Promise.all(liveChildHandles().map((c) => c.stop()));
    });
    if (process.getuid?.() === 0) {
      teardown.add('namespaces of this run', async () => {
        await destroyNamespaces(namespaceNames(runId));
        // An `ip netns add` spawned just before the signal may finish after the first pass.
        await new Promise((r) => setTimeout(r, 200));
        await destroyNamespaces(namespaceNames(runId));
      });
    }
    if ((options.allow_host_cc ?? []).length > 0 && remote === null) {
      let extending: Promise<unknown> = Promise.resolve();
      // Registered first and awaiting the extension: a signal while the list is being changed still restores it.
      teardown.add('host congestion-control list', async () => {
        await extending.catch(() => undefined);
        const outcome = await restoreHostAllowedCc(runId);
        if (outcome === 'restored') progress.log('restored the host net.ipv4.tcp_allowed_congestion_control');
        meta.update({ host_settings_restored: outcome });
      });
      meta.update({ host_settings_changed: [{ key: 'net.ipv4.tcp_allowed_congestion_control', wanted: options.allow_host_cc, restore: 'at exit; after a SIGKILL by npm run clean or the next run' }] });
      const pending = extendHostAllowedCc(runId, options.allow_host_cc ?? []);
      extending = pending;
      const change = await pending;
      if (change !== null) {
        progress.log(`--allow-host-cc: host net.ipv4.tcp_allowed_congestion_control changed from "${change.from}" to "${change.to}" for this run; it is restored at exit (after a SIGKILL: npm run clean)`);
        meta.update({ host_settings_changed: [{ key: 'net.ipv4.tcp_allowed_congestion_control', from: change.from, to: change.to, restore: 'at exit; after a SIGKILL by npm run clean or the next run' }] });
      }
    }
    const { link, why } =
      remote !== null
        ? { link: openRemoteLink(remote), why: `--target ${remote.url} (real network, no emulation)` }
        : await openLink(options.link, { runId, params: paramsToOpenWith(plan.map((p) => p.profile)) });
    teardown.add('link', () => link.close());
    progress.log(`link: ${why}`);

    const processes: Array<{ role: string; pid: number; config?: Record<string, unknown> }> = [];
    const noteProcess = (role: string, pid: number, config?: Record<string, unknown>): void => {
      processes.push(config ? { role, pid, config } : { role, pid });
      meta.update({ processes });
    };
    const agent = await startAgent(link.clientNetns);
    teardown.add('client agent', () => agent.stop());
    noteProcess('client agent', agent.pid);

    await applyTcpSettings(link, options);
    const sysctls = {
      client: await readTcpSysctls(link.clientNetns),
      server: await readTcpSysctls(link.serverNetns),
    };
    const routes = link.tuning ? { server: await link.tuning.readRoutes('server'), client: await link.tuning.readRoutes('client') } : null;
    const congestion_control = sysctls.server['net.ipv4.tcp_congestion_control'] ?? 'unknown';
    meta.update({ link: { backend: link.backend, why, caveats: link.caveats }, sysctls, routes, congestion_control });

    const serves = (config: Pick<ServerConfig, 'protocol' | 'tls'>): boolean =>
      remote === null || (config.protocol === remote.protocol && config.tls === remote.tls);
    const startScenarioServer = async (config: Partial<ServerConfig>, registry: Teardown): Promise<RunningServer> => {
      if (remote !== null) return remoteServer(remote, config);
      const handle = await startServer({ ...config, host: link.serverListenHost }, link.serverNetns);
      registry.add(`${handle.config.protocol} server ${handle.pid}`, () => handle.stop());
      const { cert_pem: _cert, key_pem: _key, ...recorded } = handle.config;
      noteProcess(`${handle.config.protocol}${handle.config.tls ? '+tls' : ''} server`, handle.pid, recorded);
      const target = await link.clientTarget(handle.ready.port);
      const cert = handle.ready.cert_pem;
      return {
        handle,
        target,
        clientTls: (version): ClientTls | null =>
          cert === null ? null : { ca: cert, servername: CERT_SERVERNAME, min_version: version, max_version: version },
      };
    };

    const calibrationServer = await startScenarioServer(remote !== null ? { protocol: remote.protocol, tls: remote.tls } : { protocol: 'h1', tls: false }, teardown);
    const profileRecords: Array<Record<string, unknown>> = [];
    const scenarioTimes: Array<{ profile: string; scenario: string; duration_s: number }> = [];
    for (const p of plan) for (const s of p.scenarios) progress.plan(s.plannedUnits(options, p.profile));

    // What the endpoints themselves take on this path at 0 ms (kernel, TUN hops, Node's event loop): each
    // profile's connect time minus this is what the link adds, the figure to hold against the configured RTT.
    let endpointConnect_ms: number | null = null;
    const firstPlan = plan[0];
    if (link.capabilities.real_packets && link.capabilities.configurable && firstPlan) {
      await link.configure({ ...firstPlan.profile.params, rtt_ms: 0, jitter_ms: 0, loss_pct: 0, rate_mbit: null });
      const zero = await calibrate(agent, calibrationServer.target, link.params(), {
        samples: 30,
        timeout_ms: options.request_timeout_ms,
        rtt_from: 'connect',
        protocol: 'h1',
        tls: null,
      });
      endpointConnect_ms = zero.connect?.median_ms ?? null;
      meta.update({ endpoint_baseline: { what: 'TCP connect and small request through the same link at rtt 0', connect: zero.connect, request: zero.request } });
    }

    for (const { profile, scenarios: profileScenarios } of plan) {
      if (abort.signal.aborted) break;
      await link.configure(profile.params);
      const calibrationSamples = bySize(options, { quick: 10, standard: 30, full: 30 });
      const countersAtStart = await link.counters();
      progress.log(`[${profile.name}] calibrating the link (${profileKey(profile.params)})…`);
      const calibration = await calibrate(
        agent,
        calibrationServer.target,
        profile.params,
        {
          samples: calibrationSamples,
          timeout_ms: options.request_timeout_ms,
          rtt_from: link.capabilities.connect_crosses_link ? 'connect' : 'request',
          protocol: calibrationServer.handle.config.protocol,
          tls: calibrationServer.clientTls('TLSv1.3'),
        },
        (s) =>
          calibrationCsv.append({
            run_id: runId,
            profile: profile.name,
            link_backend: link.backend,
            rtt_ms_configured: profile.params.rtt_ms,
            kind: s.kind,
            value_ms: s.value_ms,
            size_bytes: s.size_bytes,
            error: s.error,
          }),
      );
      if (endpointConnect_ms !== null && calibration.connect !== null) {
        calibration.rtt_ms_link_added = calibration.connect.median_ms - endpointConnect_ms;
      }
      for (const w of calibration.warnings) progress.log(`[${profile.name}] warning: ${w}`);
      progress.log(`[${profile.name}] ${describeCalibration(calibration)}`);
      const record: Record<string, unknown> = { name: profile.name, source: profile.source, key: profileKey(profile.params), configured: profile.params, calibration };
      profileRecords.push(record);
      meta.update({ profiles: profileRecords });

      for (const scenario of profileScenarios) {
        if (abort.signal.aborted) break;
        const scenarioTeardown = new Teardown();
        const removeScenarioStep = teardown.add(`scenario ${scenario.name}`, async () => {
          await scenarioTeardown.run();
        });
        const ctx = makeContext({ runId, runDir, declaredCsvs: scenario.csvFiles, options, profile, link, calibration, congestion_control, agent, progress, signal: abort.signal, samples, extraCsvs });
        ctx.startServer = (config) => startScenarioServer(config, scenarioTeardown);
        ctx.serves = serves;
        const scenarioStart_ms = performance.now();
        try {
          await scenario.run(ctx);
        } finally {
          scenarioTimes.push({ profile: profile.name, scenario: scenario.name, duration_s: Math.round(performance.now() - scenarioStart_ms) / 1000 });
          meta.update({ scenario_durations_s: scenarioTimes });
          await agent.closeAll();
          const failures = await scenarioTeardown.run();
          for (const f of failures) progress.log(`cleanup: ${f}`);
          removeScenarioStep();
        }
      }
      // What the link did while this profile was in force: packets, and drops by cause, per direction.
      const countersAtEnd = await link.counters();
      if (countersAtStart && countersAtEnd) {
        record.link_counters = diffCounters(countersAtStart, countersAtEnd);
        meta.update({ profiles: profileRecords });
      }
    }
    if (abort.signal.aborted) await new Promise(() => undefined); // the signal handler exits
    status = { kind: 'completed' };
  } catch (e) {
    if (abort.signal.aborted) await new Promise(() => undefined);
    status = { kind: 'errored', error: errorMessage(e) };
    meta.update({ status, ended_at: new Date().toISOString() });
    const failures = await teardown.run();
    releaseSignals();
    for (const f of failures) progress.log(`cleanup: ${f}`);
    progress.finish();
    throw e;
  }
  // The signal handlers stay installed through the teardown: a Ctrl-C now must still let it finish.
  const failures = await teardown.run();
  // From here a signal goes to the caller's handler (the report phase), claimed before this run began.
  releaseSignals();
  for (const f of failures) progress.log(`cleanup: ${f}`);
  progress.finish();
  const summary = writeSummaryFile(join(runDir, 'samples.csv'), join(runDir, 'summary.csv'));
  meta.update({ status, ended_at: new Date().toISOString(), load_average_at_end: os.loadavg() });
  return { runDir: resolve(runDir), status, summary };
}

function makeContext(args: {
  runId: string;
  runDir: string;
  /** The CSV files the scenario's definition declares: the only ones it may write. */
  declaredCsvs: ScenarioDefinition['csvFiles'];
  extraCsvs: Map<string, CsvAppender<string>>;
  options: BenchOptions;
  profile: Profile;
  link: Link;
  calibration: Calibration;
  congestion_control: string;
  agent: Agent;
  progress: Progress;
  signal: AbortSignal;
  samples: CsvAppender<SampleColumn>;
}): ScenarioContext {
  const { runId, runDir, declaredCsvs, extraCsvs, profile, link, calibration, congestion_control, samples } = args;
  const caveat = link.caveats.join('; ');
  return {
    ...args,
    startServer: () => Promise.reject(new Error('startServer is set by the runner')),
    csv<C extends string>(name: string, columns: readonly C[]): CsvAppender<C> {
      if (!/^[a-z][a-z0-9-]*$/.test(name) || name === 'samples' || name === 'summary' || name === 'calibration') {
        throw new Error(`bad extra CSV name "${name}"`);
      }
      const declared = declaredCsvs[name];
      if (!declared || declared.join(',') !== columns.join(',')) {
        throw new Error(`${name}.csv is not declared with these columns in the scenario's definition (csvFiles)`);
      }
      let w = extraCsvs.get(name);
      if (!w) extraCsvs.set(name, (w = new CsvAppender<string>(join(runDir, `${name}.csv`), columns)));
      return w as CsvAppender<C>;
    },
    record(row) {
      const full = Object.fromEntries(Object.keys(SAMPLE_COLUMNS).map((c) => [c, null])) as Record<SampleColumn, null>;
      samples.append({
        ...full,
        ...row,
        run_id: runId,
        profile: profile.name,
        link_backend: link.backend,
        link_caveat: caveat,
        rtt_ms_configured: profile.params.rtt_ms,
        rtt_ms_calibrated: calibration.rtt_ms_calibrated,
        // A scenario that sweeps loss within a profile says what was in force for the row.
        loss_pct_configured: row.loss_pct_configured ?? profile.params.loss_pct,
        rate_mbit_configured: profile.params.rate_mbit,
        // A scenario that switches congestion control per case says which one served the row.
        congestion_control: row.congestion_control ?? congestion_control,
      });
    },
  };
}

export function describeCalibration(c: Calibration): string {
  const f = (x: { median_ms: number; p99_ms: number; n: number } | null, what: string): string =>
    x === null ? `${what}: no samples` : `${what} median ${x.median_ms.toFixed(3)} ms, p99 ${x.p99_ms.toFixed(3)} ms (n=${x.n})`;
  const parts = [`configured RTT ${c.rtt_ms_configured} ms`, f(c.connect, 'TCP connect'), f(c.request, 'small request')];
  if (c.rtt_ms_link_added != null) parts.push(`the link adds ${c.rtt_ms_link_added.toFixed(3)} ms (connect minus the endpoints' own time at 0 ms)`);
  if (c.goodput_mbit !== null) parts.push(`goodput ${c.goodput_mbit.toFixed(2)} Mbit/s of ${c.rate_mbit_configured} configured`);
  return parts.join('; ');
}

function diffDirection(a: DirectionCounters, b: DirectionCounters): DirectionCounters & { loss_pct_applied: number | null } {
  const d = {
    packets: b.packets - a.packets,
    bytes: b.bytes - a.bytes,
    dropped_loss: b.dropped_loss - a.dropped_loss,
    dropped_queue: b.dropped_queue - a.dropped_queue,
    dropped_idle: b.dropped_idle - a.dropped_idle,
    dropped_blackhole: b.dropped_blackhole - a.dropped_blackhole,
    dropped_device: (b.dropped_device ?? 0) - (a.dropped_device ?? 0),
  };
  return { ...d, loss_pct_applied: d.packets > 0 ? (100 * d.dropped_loss) / d.packets : null };
}

export function diffCounters(a: LinkCounters, b: LinkCounters): { up: ReturnType<typeof diffDirection>; down: ReturnType<typeof diffDirection> } {
  return { up: diffDirection(a.up, b.up), down: diffDirection(a.down, b.down) };
}

/** --cc and --slow-start-after-idle: per-namespace sysctls, so they need a link with namespaces. */
async function applyTcpSettings(link: Link, options: BenchOptions): Promise<void> {
  const values: Record<string, string> = {};
  if (options.congestion_control !== null) values['net.ipv4.tcp_congestion_control'] = options.congestion_control;
  if (options.slow_start_after_idle !== null) values['net.ipv4.tcp_slow_start_after_idle'] = String(options.slow_start_after_idle);
  if (Object.keys(values).length === 0) return;
  if (link.tuning === null) {
    throw new UserError(`--cc and --slow-start-after-idle set namespace sysctls, and the ${link.backend} link has no namespaces: use --link tun or tc (root)`);
  }
  for (const side of ['client', 'server'] as const) await link.tuning.setSysctls(side, values);
}

/**
 * A server elsewhere stands in for the one a scenario would start, when it is of the same kind; the harness
 * cannot read its stats or stop it.
 */
function remoteServer(target: RemoteTarget, config: Partial<ServerConfig>): RunningServer {
  const protocol = config.protocol ?? 'h1';
  const tls = config.tls ?? false;
  if (protocol !== target.protocol || tls !== target.tls) {
    throw new UserError(`the remote target ${target.url} is ${target.protocol}${target.tls ? '+TLS' : ''}; this case needs ${protocol}${tls ? '+TLS' : ''}`);
  }
  const full: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...config, host: target.host, port: target.port };
  return {
    handle: {
      config: full,
      ready: { ready: true, protocol, tls, host: target.host, port: target.port, pid: -1, cert_pem: target.ca_pem, cert_key_type: null },
      pid: -1,
      netns: null,
      stats: () => Promise.reject(new Error('a remote server has no stats channel')),
      alive: () => true,
      stop: async () => undefined,
    },
    target: { host: target.host, port: target.port },
    clientTls: (version) => (tls ? { ca: target.ca_pem, servername: target.servername, min_version: version, max_version: version } : null),
  };
}
