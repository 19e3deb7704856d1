/**
 * Claims C6 and C11: the cost of connections. Idle kept-alive connections at scale and the FD limit (C6), churn
 * without keep-alive, port exhaustion, and the server's recycling limits (C11). The idle, FD-limit, port and
 * limit parts run on short-RTT profiles (what they measure is server- and kernel-side); churn runs on every profile.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../../lib/errors.ts';
import { caseKey, runSize, type BenchOptions, type Scenario, type ScenarioContext } from '../types.ts';
import { startCrowdAgent, type CrowdAgent } from './agent.ts';
import { activeProbes, idleCounts, runFdLimit, runIdle } from './idle.ts';
import { churnPlan, runChurn, runLimits, runPorts } from './churn.ts';
import { costWriter } from './common.ts';
import { runTreeIdle } from './tree-idle.ts';
import { costDefinition } from './definition.ts';

/** The crowd agent's RLIMIT_NOFILE: the largest crowd plus room for the agent's own files. */
export const CROWD_NOFILE = 32_768;
/** Profiles up to this RTT also run the server-side parts (idle crowd, FD limit, ports, limits). */
export const LOCAL_RTT_MS = 10;

export function isLocalProfile(rtt_ms: number): boolean {
  return rtt_ms <= LOCAL_RTT_MS;
}

/** Soft (or hard) RLIMIT_NOFILE of a process, from /proc/<pid>/limits. */
function nofileOf(pid: number | 'self', which: 'soft' | 'hard' = 'soft'): number | null {
  try {
    const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    const v = which === 'soft' ? m?.[1] : m?.[2];
    return v ? Number(v) : null;
  } catch {
    return null;
  }
}

async function withCrowdAgent(ctx: ScenarioContext, body: (crowd: CrowdAgent) => Promise<void>): Promise<void> {
  // Raising the hard limit needs CAP_SYS_RESOURCE, which root in a container may lack: never ask above our own.
  const nofile = Math.min(CROWD_NOFILE, nofileOf('self', 'hard') ?? CROWD_NOFILE);
  let crowd: CrowdAgent;
  try {
    crowd = await startCrowdAgent(ctx.link.clientNetns, nofile);
  } catch (e) {
    throw new UserError(
      `cost: could not start the crowd agent under prlimit --nofile=${nofile} (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); run as root or raise the hard file limit`,
    );
  }
  try {
    const limit = nofileOf(crowd.pid);
    costWriter(ctx)(
      { part: 'env', case_key: caseKey('cost', { part: 'env' }, ctx.profile.name) },
      'crowd_agent_nofile',
      limit,
      'fds',
    );
    const largest = Math.max(...idleCounts(runSize(ctx.options)));
    if (limit !== null && limit < largest + 100)
      throw new UserError(
        `cost: the crowd agent's file limit is ${limit}, below the ${largest} connections it must hold; raise the hard limit (ulimit -Hn)`,
      );
    await body(crowd);
  } finally {
    await crowd.stop();
  }
}

/**
 * A user's server: its process tree read from /proc instead of its own counters; the parts that set the server's
 * FD limit, maxRequestsPerSocket or keepAliveTimeout are the harness's own and are skipped.
 */
async function runOnUserServer(ctx: ScenarioContext): Promise<void> {
  const local = isLocalProfile(ctx.profile.params.rtt_ms);
  const configures = 'needs a server whose settings the harness sets (its own; yours runs as configured)';
  if (local) {
    await withCrowdAgent(ctx, (crowd) => runTreeIdle(ctx, crowd));
    ctx.skipPart('fdlimit', `${configures}: the FD limit`);
  }
  if (!(ctx.serves?.({ protocol: 'h1', tls: false }) ?? false)) {
    ctx.skipPart('churn', 'needs an HTTP/1.1 server in cleartext (the load driver speaks plain HTTP/1.1)');
    return;
  }
  await runChurn(ctx);
  if (local && !ctx.signal.aborted && runSize(ctx.options) !== 'quick') {
    await runPorts(ctx);
    ctx.skipPart('limits', `${configures}: maxRequestsPerSocket and keepAliveTimeout`);
  }
}

export const costScenario: Scenario = {
  ...costDefinition,
  plannedUnits(options: BenchOptions) {
    const size = runSize(options);
    const plan = churnPlan(size);
    const idle = idleCounts(size).length * 2 * (activeProbes(size) + 1);
    const fdlimit = 2 * 7;
    // Every churn and ports case runs plan.reps times, limits plan.limits_reps (one ETA unit per run).
    const churn = plan.rates_rps.length * 2 * plan.reps;
    const ports = plan.port_rates_rps.length * 2 * plan.reps;
    const limits = (plan.max_requests_per_socket.length + plan.keep_alive_timeout_ms.length) * plan.limits_reps;
    return idle + fdlimit + churn + ports + limits;
  },
  async run(ctx: ScenarioContext) {
    if (!ctx.offer.stats || !ctx.offer.configurable) return runOnUserServer(ctx);
    const local = isLocalProfile(ctx.profile.params.rtt_ms);
    if (local) {
      await withCrowdAgent(ctx, async (crowd) => {
        await runIdle(ctx, crowd);
        await runFdLimit(ctx, crowd);
      });
    } else {
      const plan = churnPlan(runSize(ctx.options));
      // Only churn runs here: give back the ETA units of the parts skipped on this profile.
      ctx.progress.plan(-(costScenario.plannedUnits(ctx.options) - plan.rates_rps.length * 2 * plan.reps));
    }
    await runChurn(ctx);
    if (local && !ctx.signal.aborted && runSize(ctx.options) !== 'quick') {
      await runPorts(ctx);
      if (runSize(ctx.options) === 'full') await runLimits(ctx);
      else ctx.skipPart('limits', 'server limits (maxRequestsPerSocket, keepAliveTimeout) are measured with --full');
    }
  },
};
