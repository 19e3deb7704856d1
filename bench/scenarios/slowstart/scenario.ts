/**
 * Claim C2: keep-alive also skips slow start's first rounds — measured for cold, warm and warm-after-idle
 * connections over a log-spaced response-size sweep, for each congestion control the kernel allows and
 * with net.ipv4.tcp_slow_start_after_idle 1 and 0 in the server namespace; then the initial window
 * (initcwnd 4/10/32 on the server's route) for a 100 KiB response; HTTP/2 with its default and with a large
 * flow-control window; and the server socket's cwnd seen from the kernel (tcpinfo.csv).
 */
import { performance } from 'node:perf_hooks';
import { hostAllowedCongestionControls } from '../../../netem/topology.ts';
import type { LinkTuning } from '../../../netem/link.ts';
import type { ProbeRequest, ProbeSample } from '../../drivers/probe.ts';
import { runSize, type RunningServer, type Scenario, type ScenarioContext } from '../types.ts';
import { startTcpInfoSampler, type TcpInfoSampler } from './tcpinfo.ts';
import type { TimedTcpInfo } from './sampler.ts';
import { sleep } from '../../../lib/sleep.ts';
import { routeOr, ServerLacks } from '../../../servers/under-test.ts';
import { SKIP_COLUMNS, TCPINFO_COLUMNS, slowstartDefinition } from './definition.ts';
import {
  DEFAULT_IW,
  H2_WINDOWS_BYTES,
  IW_SEGMENTS,
  keyOf,
  plannedRequests,
  rotate,
  slowstartPlan,
  sweepGroup,
  variantOf,
  type SlowstartPlan,
  type SweepCase,
} from './plan.ts';

const SYSCTL_CC = 'net.ipv4.tcp_congestion_control';
const SYSCTL_SSAI = 'net.ipv4.tcp_slow_start_after_idle';

class SlowstartRun {
  private connSeq = 0;
  private readonly reps = new Map<string, number>();
  /** Running estimate of one warm-up transfer's duration, to size the idle batches. */
  private warmupEstimate_ms: number;
  private readonly tcpinfo;
  private readonly skips;

  constructor(
    private readonly ctx: ScenarioContext,
    private readonly h1: RunningServer,
    private readonly h2: RunningServer | null,
    private readonly sampler: TcpInfoSampler,
  ) {
    this.warmupEstimate_ms = 12 * (ctx.calibration.rtt_ms_calibrated ?? ctx.profile.params.rtt_ms) + 50;
    this.tcpinfo = ctx.csv('tcpinfo', TCPINFO_COLUMNS);
    this.skips = ctx.csv('slowstart-skipped', SKIP_COLUMNS);
  }

  skipped(what: string, value: string, reason: string): void {
    this.skips.append({ run_id: this.ctx.runId, profile: this.ctx.profile.name, what, value, reason });
    this.ctx.progress.log(`[${this.ctx.profile.name}] slowstart: skipped ${what}=${value}: ${reason}`);
  }

  async setGroup(cc: string, ssai: 0 | 1): Promise<void> {
    const tuning = this.ctx.link.tuning;
    if (tuning === null) throw new Error('slowstart needs a link with per-run sysctls');
    await tuning.setSysctls('server', { [SYSCTL_CC]: cc, [SYSCTL_SSAI]: String(ssai) });
  }

  private probe(
    c: SweepCase,
    conn_key: string,
    connection: 'new' | 'reuse',
    size_bytes: number,
    close_after: boolean,
  ): ProbeRequest {
    const server = c.protocol === 'h2' ? this.h2 : this.h1;
    if (server === null) throw new Error('an h2 case without an h2 server (the plan has no h2 sizes then)');
    const req: ProbeRequest = {
      target: server.target,
      protocol: c.protocol,
      tls: null,
      conn_key,
      connection,
      resume: false,
      path: routeOr(server.handle.routes.sized(size_bytes), `a ${size_bytes}-byte response`),
      close_after,
      timeout_ms: this.ctx.options.request_timeout_ms,
    };
    if (c.h2_window_bytes !== null)
      req.h2_settings = { initial_window_bytes: c.h2_window_bytes, connection_window_bytes: c.h2_window_bytes };
    return req;
  }

  private record(c: SweepCase, sample: ProbeSample, idle_ms: number | null, warmup = false): void {
    const key = keyOf(c, this.ctx.profile.name);
    const rep = (this.reps.get(key) ?? 0) + 1;
    this.reps.set(key, rep);
    this.ctx.record({
      scenario: 'slowstart',
      case_key: key,
      protocol: c.protocol,
      security: 'none',
      conn_mode: c.state === 'cold' ? 'new' : 'reused',
      size_bytes: c.size_bytes,
      variant: variantOf(c),
      idle_ms,
      initcwnd_segments: c.iw,
      slow_start_after_idle: c.ssai,
      congestion_control: c.cc,
      rep,
      warmup,
      ...sample,
    });
    this.ctx.progress.advance(1, `[${this.ctx.profile.name}] slowstart ${variantOf(c)} ${c.size_bytes} B`);
  }

  private failed(sample: ProbeSample, what: string): ProbeSample {
    return { ...sample, error: `${what}: ${sample.error ?? 'failed'}`, total_ms: null, ttfb_ms: null };
  }

  async cold(c: SweepCase, warmup = false): Promise<void> {
    const key = `ss-${++this.connSeq}`;
    const s = await this.ctx.agent.probe(this.probe(c, key, 'new', c.size_bytes, true));
    this.record(c, s, 0, warmup);
  }

  /** Opens a connection and warms it with the case's warm-up transfer; resolves with the harness time the transfer ended. */
  private async warmUp(
    c: SweepCase,
    key: string,
  ): Promise<{ ok: true; end_ms: number } | { ok: false; sample: ProbeSample }> {
    const t0 = performance.now();
    const s = await this.ctx.agent.probe(this.probe(c, key, 'new', c.warmup_bytes, false));
    const end_ms = performance.now();
    if (s.error !== null) return { ok: false, sample: this.failed(s, 'warm-up transfer failed') };
    this.warmupEstimate_ms = Math.max(this.warmupEstimate_ms * 0.5, end_ms - t0);
    return { ok: true, end_ms };
  }

  async warm(c: SweepCase): Promise<void> {
    const key = `ss-${++this.connSeq}`;
    const w = await this.warmUp(c, key);
    if (!w.ok) return this.record(c, w.sample, null);
    const idle_ms = performance.now() - w.end_ms;
    const s = await this.ctx.agent.probe(this.probe(c, key, 'reuse', c.size_bytes, true));
    this.record(c, s, Math.round(idle_ms * 1000) / 1000);
  }

  /**
   * Idle cases in batches: warm up as many connections as fit in one idle gap, then measure each when its own
   * gap has passed, so N cases cost about one gap instead of N (sizes ascending: the short ones go first).
   */
  async idleBatch(cases: readonly SweepCase[]): Promise<void> {
    let i = 0;
    while (i < cases.length && !this.ctx.signal.aborted) {
      const first = cases[i];
      if (!first) break;
      // The first connection's gap runs while the others warm up: N fit when N − 1 warm-ups (with a margin) fit
      // in one gap, so every warm-up ends before the first measured request and none overlaps another.
      const fit = 1 + Math.floor(first.idle_ms / (this.warmupEstimate_ms * 1.3));
      const chunk = cases.slice(i, i + fit);
      i += chunk.length;
      const warmed: Array<{ c: SweepCase; key: string; end_ms: number }> = [];
      for (const c of chunk) {
        const key = `ss-${++this.connSeq}`;
        const w = await this.warmUp(c, key);
        if (w.ok) warmed.push({ c, key, end_ms: w.end_ms });
        else this.record(c, w.sample, null);
      }
      for (const w of warmed) {
        await sleep(w.end_ms + w.c.idle_ms - performance.now(), this.ctx.signal);
        const idle_ms = performance.now() - w.end_ms;
        const s = await this.ctx.agent.probe(this.probe(w.c, w.key, 'reuse', w.c.size_bytes, true));
        this.record(w.c, s, Math.round(idle_ms * 1000) / 1000);
      }
    }
  }

  async runCase(c: SweepCase): Promise<void> {
    if (c.state === 'cold') await this.cold(c);
    else if (c.state === 'warm') await this.warm(c);
    else await this.idleBatch([c]);
  }

  /** One group's cases: cold/warm interleaved by size, then the idle cases batched per idle gap. */
  async sweepGroup(cases: readonly SweepCase[], round: number): Promise<void> {
    const direct = cases.filter((c) => c.state !== 'idle');
    for (const c of rotate(direct, round)) {
      if (this.ctx.signal.aborted) return;
      await this.runCase(c);
    }
    const idleGaps = [...new Set(cases.filter((c) => c.state === 'idle').map((c) => c.idle_ms))];
    for (const gap of rotate(idleGaps, round)) {
      if (this.ctx.signal.aborted) return;
      await this.idleBatch(
        cases.filter((c) => c.state === 'idle' && c.idle_ms === gap).sort((a, b) => a.size_bytes - b.size_bytes),
      );
    }
  }

  /** One traced transfer: the server socket's TCP_INFO while it runs → tcpinfo.csv. */
  async trace(c: SweepCase): Promise<void> {
    const key = `ss-${++this.connSeq}`;
    const traceId = `${this.ctx.profile.name}/${c.cc}/${c.state}${c.state === 'idle' ? `-${c.idle_ms}ms-ssai${c.ssai}` : ''}`;
    const port = this.h1.handle.port;
    let sample: ProbeSample;
    let samples: TimedTcpInfo[] = [];
    let errors: string[] = [];
    if (c.state === 'cold') {
      const t = await this.sampler.trace(port, () =>
        this.ctx.agent.probe(this.probe(c, key, 'new', c.size_bytes, true)),
      );
      ({ result: sample, samples, errors } = t);
    } else {
      const w = await this.warmUp(c, key);
      if (!w.ok) {
        sample = w.sample;
      } else {
        if (c.state === 'idle') await sleep(w.end_ms + c.idle_ms - performance.now(), this.ctx.signal);
        const t = await this.sampler.trace(port, () =>
          this.ctx.agent.probe(this.probe(c, key, 'reuse', c.size_bytes, true)),
        );
        ({ result: sample, samples, errors } = t);
      }
    }
    this.ctx.progress.advance(1, `[${this.ctx.profile.name}] slowstart trace ${traceId}`);
    const common = {
      run_id: this.ctx.runId,
      profile: this.ctx.profile.name,
      trace_id: traceId,
      cc: c.cc,
      state: c.state,
      ssai: c.ssai,
      idle_ms: c.idle_ms,
      iw: c.iw,
      size_bytes: c.size_bytes,
      total_ms: sample.total_ms,
      error:
        sample.error ??
        (errors.length ? `sampler: ${errors.join('; ')}` : samples.length === 0 ? 'no tcp_info samples' : null),
    };
    if (samples.length === 0) {
      this.tcpinfo.append({ ...common, ...emptyInfo() });
      return;
    }
    for (const s of samples) {
      this.tcpinfo.append({
        ...common,
        t_ms: s.t_ms,
        source: s.source,
        cc_kernel: s.cc,
        cwnd_segments: s.cwnd_segments,
        ssthresh_segments: s.ssthresh_segments,
        rtt_ms: s.rtt_ms,
        rttvar_ms: s.rttvar_ms,
        rto_ms: s.rto_ms,
        mss_bytes: s.mss_bytes,
        bytes_acked: s.bytes_acked,
        unacked_segments: s.unacked_segments,
        retrans_total: s.retrans_total,
        delivery_rate_mbit: s.delivery_rate_mbit,
        pacing_rate_mbit: s.pacing_rate_mbit,
        snd_wnd_bytes: s.snd_wnd_bytes,
      });
    }
  }
}

function emptyInfo(): Record<(typeof TCPINFO_COLUMNS)[number] & string, null> {
  return Object.fromEntries(TCPINFO_COLUMNS.slice(TCPINFO_COLUMNS.indexOf('t_ms')).map((k) => [k, null])) as Record<
    (typeof TCPINFO_COLUMNS)[number],
    null
  >;
}

/** Restores what the scenario changes in the server namespace: cc, slow start after idle, route initcwnd. */
/** Saves the server side's congestion control, slow start after idle and route windows; returns their restore. */
export async function snapshotServerTuning(tuning: LinkTuning): Promise<() => Promise<void>> {
  const sysctls = await tuning.readSysctls('server');
  const saved: Record<string, string> = {};
  for (const k of [SYSCTL_CC, SYSCTL_SSAI]) {
    const v = sysctls[k];
    if (v !== undefined) saved[k] = v;
  }
  const [route] = await tuning.readRoutes('server');
  return async () => {
    const errors: string[] = [];
    await tuning.setSysctls('server', saved).catch((e: Error) => errors.push(e.message));
    if (route)
      await tuning.setInitcwnd('server', route.initcwnd, route.initrwnd).catch((e: Error) => errors.push(e.message));
    if (errors.length) throw new Error(`slowstart: could not restore the server namespace: ${errors.join('; ')}`);
  };
}

/** Initial window: cold responses of about 100 KiB with initcwnd 4/10/32 on the server's route. */
async function iwRound(
  ctx: ScenarioContext,
  run: SlowstartRun,
  plan: SlowstartPlan,
  tuning: LinkTuning,
  round: number,
): Promise<void> {
  for (const cc of rotate(plan.ccs, round)) {
    await run.setGroup(cc, 1);
    for (const iw of rotate(IW_SEGMENTS, round)) {
      if (ctx.signal.aborted) break;
      await tuning.setInitcwnd('server', iw, null);
      await run.cold({
        part: 'iw',
        protocol: 'h1',
        state: 'cold',
        idle_ms: 0,
        cc,
        ssai: 1,
        iw,
        size_bytes: plan.iw_size_bytes,
        h2_window_bytes: null,
        warmup_bytes: plan.warmup_bytes,
      });
    }
    await tuning.setInitcwnd('server', null, null);
  }
}

/** HTTP/2 on a warm connection: Node's default 64 KiB window vs a 16 MiB one. */
async function h2Round(
  ctx: ScenarioContext,
  run: SlowstartRun,
  plan: SlowstartPlan,
  cc: string,
  round: number,
): Promise<void> {
  if (plan.h2_sizes_bytes.length === 0) return;
  await run.setGroup(cc, 1);
  for (const size_bytes of rotate(plan.h2_sizes_bytes, round)) {
    for (const h2_window_bytes of rotate(H2_WINDOWS_BYTES, round)) {
      for (const state of ['cold', 'warm'] as const) {
        if (ctx.signal.aborted) break;
        await run.runCase({
          part: 'h2',
          protocol: 'h2',
          state,
          idle_ms: 0,
          cc,
          ssai: 1,
          iw: DEFAULT_IW,
          size_bytes,
          h2_window_bytes,
          warmup_bytes: plan.warmup_bytes,
        });
      }
    }
  }
}

export const slowstartScenario: Scenario = {
  ...slowstartDefinition,
  plannedUnits(options) {
    return plannedRequests(slowstartPlan(options, hostAllowedCongestionControls()));
  },
  async run(ctx: ScenarioContext) {
    const ns = ctx.link.serverNetns;
    const tuning = ctx.link.tuning;
    // The runner checks the definition's needs before a scenario runs: this is the type's guard, not a skip.
    if (ns === null || tuning === null) throw new Error('slowstart runs only on a link with namespaces and tuning');
    if (!(ctx.serves?.({ protocol: 'h1', tls: false }) ?? true))
      throw new ServerLacks('HTTP/1.1 in cleartext (the size sweep)');
    const ccs = hostAllowedCongestionControls();
    const restore = await snapshotServerTuning(tuning);
    let sampler: TcpInfoSampler | null = null;
    try {
      // Idle gaps up to 5 s must not hit the server's keep-alive timeout (Node's default is 5 s).
      const h1 = await ctx.startServer({ protocol: 'h1', tls: false, keep_alive_timeout_ms: 60_000 });
      // A user's server: the sizes of its --paths stand in for the planned ones, and h2 only if it speaks h2c.
      const speaksH2 = ctx.serves?.({ protocol: 'h2', tls: false }) ?? true;
      // The configured link, not the calibrated one: the gap is part of the case key, which must not move
      // between runs of the same profile (compare joins on it).
      const link = { rtt_ms: ctx.profile.params.rtt_ms, jitter_ms: ctx.profile.params.jitter_ms };
      const plan = slowstartPlan(ctx.options, ccs, h1.handle.routes.sizes(), speaksH2, link);
      ctx.progress.plan(plannedRequests(plan) - plannedRequests(slowstartPlan(ctx.options, ccs)));
      const h2 =
        plan.h2_sizes_bytes.length > 0
          ? await ctx.startServer({ protocol: 'h2', tls: false, keep_alive_timeout_ms: 60_000 })
          : null;
      sampler = await startTcpInfoSampler(ns);
      const run = new SlowstartRun(ctx, h1, h2, sampler);
      for (const s of plan.skipped) run.skipped('cc', s.cc, s.reason);
      if (!speaksH2) run.skipped('part', 'h2', 'the server under test does not speak HTTP/2 in cleartext (h2c)');
      else if (plan.h2_sizes_bytes.length === 0 && runSize(ctx.options) === 'standard')
        run.skipped('part', 'h2', 'the HTTP/2 window cases are measured with --full');

      const groups: Array<{ cc: string; ssai: 0 | 1; cases: SweepCase[] }> = [];
      for (const cc of plan.ccs)
        for (const ssai of [1, 0] as const) groups.push({ cc, ssai, cases: sweepGroup(plan, cc, ssai) });
      const firstCc = plan.ccs[0];
      if (firstCc === undefined) throw new Error('no congestion control to measure');

      // One warm-up request (JIT, server caches), recorded as such.
      await run.setGroup(firstCc, 1);
      await run.cold(
        {
          part: 'size',
          protocol: 'h1',
          state: 'cold',
          idle_ms: 0,
          cc: firstCc,
          ssai: 1,
          iw: DEFAULT_IW,
          size_bytes: plan.first_size_bytes,
          h2_window_bytes: null,
          warmup_bytes: plan.warmup_bytes,
        },
        true,
      );

      for (let round = 0; round < plan.reps && !ctx.signal.aborted; round++) {
        for (const g of rotate(groups, round)) {
          if (ctx.signal.aborted) break;
          await run.setGroup(g.cc, g.ssai);
          await run.sweepGroup(g.cases, round);
        }
        await iwRound(ctx, run, plan, tuning, round);
        await h2Round(ctx, run, plan, firstCc, round);
      }
      // The kernel's view: one cold, one warm and one idle (ssai=1) transfer per congestion control.
      for (const cc of plan.ccs) {
        if (ctx.signal.aborted) break;
        await run.setGroup(cc, 1);
        const base = {
          part: 'size' as const,
          protocol: 'h1' as const,
          cc,
          ssai: 1 as const,
          iw: DEFAULT_IW,
          size_bytes: plan.trace_size_bytes,
          h2_window_bytes: null,
          warmup_bytes: plan.warmup_bytes,
        };
        await run.trace({ ...base, state: 'cold', idle_ms: 0 });
        await run.trace({ ...base, state: 'warm', idle_ms: 0 });
        await run.trace({ ...base, state: 'idle', idle_ms: plan.idles_ms[0] ?? 1000 });
      }
    } finally {
      await sampler?.stop();
      await restore();
    }
  },
};
