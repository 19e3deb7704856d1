/**
 * One profile of a run: configure the link, calibrate it (what it actually does, recorded beside what was asked),
 * run the profile's scenarios, and record what the link did meanwhile.
 */
import { UserError } from '../../lib/errors.ts';
import type { Progress } from '../../lib/progress.ts';
import { Teardown } from '../../lib/teardown.ts';
import { ServerLacks } from '../../servers/under-test.ts';
import { NeedUnmet, unmetNeeds } from '../scenarios/needs.ts';
import type { DirectionCounters, LinkCounters } from '../../netem/link.ts';
import { profileKey } from '../../netem/profiles.ts';
import { NoAnswerError, calibrate, type Calibration } from '../drivers/calibrate.ts';
import { bySize, type BenchOptions, type RunningServer } from '../scenarios/types.ts';
import { scenarioContext } from './context.ts';
import type { RunFolder } from './folder.ts';
import type { ProfilePlan } from './plan.ts';
import type { RunSession } from './session.ts';
import type { Testbed } from './testbed.ts';

export interface ProfileRun {
  options: BenchOptions;
  folder: RunFolder;
  bed: Testbed;
  session: RunSession;
  progress: Progress;
  /** The server calibration measures against (h1 cleartext, or the remote target). */
  calibrationServer: RunningServer;
  /** The endpoints' own connect time at 0 ms on this path, or null where it cannot be measured. */
  endpointConnect_ms: number | null;
}

/**
 * What the endpoints themselves take on this path at 0 ms (kernel, TUN hops, Node's event loop): each profile's
 * connect time minus this is what the link adds, the figure to hold against the configured RTT.
 */
export async function measureEndpoints(
  run: Omit<ProfileRun, 'endpointConnect_ms'>,
  first: ProfilePlan | undefined,
): Promise<number | null> {
  const { link } = run.bed;
  if (!link.capabilities.real_packets || !link.capabilities.configurable || !first) return null;
  await link.configure({ ...first.profile.params, rtt_ms: 0, jitter_ms: 0, loss_pct: 0, rate_mbit: null });
  const zero = await answeredOrExplain(run.options, () =>
    calibrate(run.bed.agent, run.calibrationServer.target, link.params(), {
      samples: 30,
      timeout_ms: run.options.request_timeout_ms,
      rtt_from: 'connect',
      protocol: 'h1',
      tls: null,
      routes: run.calibrationServer.handle.routes,
      emulated: true,
    }),
  );
  run.folder.meta.update({
    endpoint_baseline: {
      what: 'TCP connect and small request through the same link at rtt 0',
      connect: zero.connect,
      request: zero.request,
    },
  });
  return zero.connect?.median_ms ?? null;
}

/**
 * Calibration that got no answer ends the run at once: for a --target a usage error naming it (not running, a
 * wrong port, a firewall), else the link or the calibration server is broken.
 */
async function answeredOrExplain(options: BenchOptions, measure: () => Promise<Calibration>): Promise<Calibration> {
  try {
    return await measure();
  } catch (e) {
    if (!(e instanceof NoAnswerError)) throw e;
    const target = options.target ?? null;
    if (target !== null && /^HTTP \d{3}/.test(e.first_error))
      throw new UserError(
        `--target ${target.url} answered ${e.first_error} to ${e.attempts} calibration requests in a row: it does not serve the route asked for; point --target at npm run serve, or give --path a route it answers with 2xx`,
      );
    if (target !== null)
      throw new UserError(
        `--target ${target.url} did not answer (${e.attempts} requests in a row failed, the first: ${e.first_error}); is the server running there (npm run serve -- --listen …) and reachable from this host?`,
      );
    throw new Error(`calibration through the link got ${e.message}: nothing can be measured`);
  }
}

export async function runProfile(run: ProfileRun, { profile, scenarios }: ProfilePlan): Promise<void> {
  const { link } = run.bed;
  await link.configure(profile.params);
  const countersAtStart = await link.counters();
  const calibration = await calibrateProfile(run, profile);
  // The link answered: from here this is the newest real run (a run stopped before is not).
  run.folder.markLatest();
  const record: Record<string, unknown> = {
    name: profile.name,
    source: profile.source,
    key: profileKey(profile.params),
    configured: profile.params,
    calibration,
  };
  run.folder.noteProfile(record);

  for (const scenario of scenarios) {
    if (run.session.aborted) break;
    const skip = (reason: string): void => {
      run.progress.log(`[${profile.name}] ${scenario.name} skipped: ${reason}`);
      run.folder.noteSkip(profile.name, scenario.name, reason);
    };
    const unmet = unmetNeeds(scenario.needs, link, run.bed.offer);
    if (unmet.length) {
      skip(`needs ${unmet.join('; ')}`);
      run.progress.plan(-scenario.plannedUnits(run.options, profile));
      continue;
    }
    const servers = new Teardown();
    const removeStep = run.session.teardown.add(`scenario ${scenario.name}`, async () => {
      await servers.run();
    });
    const ctx = scenarioContext({
      ...run,
      definition: scenario,
      profile,
      calibration,
      signal: run.session.signal,
      servers,
    });
    const start_ms = performance.now();
    try {
      await scenario.run(ctx);
    } catch (e) {
      // A part that needs more than the definition says (checked above) stops the scenario where it is.
      if (e instanceof ServerLacks) skip(`needs ${e.capability}`);
      else if (e instanceof NeedUnmet) skip(`needs ${e.need}`);
      else throw e;
    } finally {
      run.folder.noteScenarioTime(profile.name, scenario.name, performance.now() - start_ms);
      await run.bed.agent.closeAll();
      for (const f of await servers.run()) run.progress.log(`cleanup: ${f}`);
      removeStep();
    }
  }
  // What the link did while this profile was in force: packets, and drops by cause, per direction.
  const countersAtEnd = await link.counters();
  if (countersAtStart && countersAtEnd) {
    record.link_counters = diffCounters(countersAtStart, countersAtEnd);
    run.folder.updateProfiles();
  }
}

async function calibrateProfile(run: ProfileRun, profile: ProfilePlan['profile']): Promise<Calibration> {
  const { link } = run.bed;
  const { folder, progress, calibrationServer } = run;
  progress.log(`[${profile.name}] calibrating the link (${profileKey(profile.params)})…`);
  const calibration = await answeredOrExplain(run.options, () =>
    calibrate(
      run.bed.agent,
      calibrationServer.target,
      profile.params,
      {
        samples: bySize(run.options, { quick: 10, standard: 30, full: 30 }),
        timeout_ms: run.options.request_timeout_ms,
        rtt_from: link.capabilities.connect_crosses_link ? 'connect' : 'request',
        emulated: link.capabilities.configurable,
        protocol: calibrationServer.handle.protocol,
        tls: calibrationServer.clientTls('TLSv1.3'),
        routes: calibrationServer.handle.routes,
      },
      (s) =>
        folder.calibration.append({
          run_id: folder.runId,
          profile: profile.name,
          link_backend: link.backend,
          rtt_ms_configured: profile.params.rtt_ms,
          kind: s.kind,
          value_ms: s.value_ms,
          size_bytes: s.size_bytes,
          error: s.error,
        }),
    ),
  );
  if (run.endpointConnect_ms !== null && calibration.connect !== null) {
    calibration.rtt_ms_link_added = calibration.connect.median_ms - run.endpointConnect_ms;
  }
  for (const w of calibration.warnings) progress.log(`[${profile.name}] warning: ${w}`);
  progress.log(`[${profile.name}] ${describeCalibration(calibration)}`);
  return calibration;
}

export function describeCalibration(c: Calibration): string {
  const f = (x: { median_ms: number; p99_ms: number; n: number } | null, what: string): string =>
    x === null
      ? `${what}: no samples`
      : `${what} median ${x.median_ms.toFixed(3)} ms, p99 ${x.p99_ms.toFixed(3)} ms (n=${x.n})`;
  const parts = [
    `configured RTT ${c.rtt_ms_configured} ms`,
    f(c.connect, 'TCP connect'),
    f(c.request, 'small request'),
  ];
  if (c.rtt_ms_link_added != null)
    parts.push(`the link adds ${c.rtt_ms_link_added.toFixed(3)} ms (connect minus the endpoints' own time at 0 ms)`);
  if (c.goodput_mbit !== null)
    parts.push(`goodput ${c.goodput_mbit.toFixed(2)} Mbit/s of ${c.rate_mbit_configured} configured`);
  return parts.join('; ');
}

function diffDirection(
  a: DirectionCounters,
  b: DirectionCounters,
): DirectionCounters & { loss_pct_applied: number | null } {
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

export function diffCounters(
  a: LinkCounters,
  b: LinkCounters,
): { up: ReturnType<typeof diffDirection>; down: ReturnType<typeof diffDirection> } {
  return { up: diffDirection(a.up, b.up), down: diffDirection(a.down, b.down) };
}
