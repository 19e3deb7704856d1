/**
 * C9 (NAT idle drop) and C10 (crash detection): idle kept-alive connections meet a fault the harness injects
 * itself — the link's flow idle timeout or blackhole (tun: the delay line; tc: iptables and conntrack), SIGKILL to its own server processes — and each
 * strategy's client reports when it learned and whether the request that found out, and the next one, succeeded.
 */
import { execa } from 'execa';
import { signalPid } from '../../../lib/child.ts';
import { errorMessage } from '../../../lib/errors.ts';
import { bySize, caseKey, type BenchOptions, type RunningServer } from '../types.ts';
import { epochNow } from '../../drivers/lifecycle-agent.ts';
import { standsFor, type PartContext } from './common.ts';
import {
  lcClientSpec,
  lcSampleFields,
  type LcClientSpec,
  type LcResult,
  type SocketEvent,
} from '../../drivers/lifecycle-clients.ts';
import { sleep } from '../../../lib/sleep.ts';
import { pidOf } from '../../../servers/under-test.ts';

export interface Strategy {
  name: string;
  protocol: 'h1' | 'h2';
  spec: Partial<LcClientSpec>;
  request_timeout_ms: number | null;
  retry_once: boolean;
}

/** The settings of a detection strategy, as the columns every C9/C10 trial row carries. */
function strategyColumns(s: Strategy) {
  const k = s.spec.tcp_keepalive;
  return {
    tcp_keepalive: k ? `${k.idle_s}/${k.intvl_s}/${k.probes}` : null,
    tcp_user_timeout_ms: s.spec.tcp_user_timeout_ms ?? null,
    h2_ping_ms: s.spec.h2_ping_interval_ms ?? null,
    request_timeout_ms: s.request_timeout_ms,
  };
}

// ---------------------------------------------------------------- C10

export const C10_STRATEGIES: readonly Strategy[] = [
  { name: 'none', protocol: 'h1', spec: {}, request_timeout_ms: null, retry_once: false },
  { name: 'request_timeout', protocol: 'h1', spec: {}, request_timeout_ms: 2_000, retry_once: false },
  {
    name: 'tcp_keepalive',
    protocol: 'h1',
    spec: { tcp_keepalive: { idle_s: 1, intvl_s: 1, probes: 2 } },
    request_timeout_ms: null,
    retry_once: false,
  },
  {
    name: 'tcp_user_timeout',
    protocol: 'h1',
    spec: { tcp_user_timeout_ms: 2_000 },
    request_timeout_ms: null,
    retry_once: false,
  },
  {
    name: 'h2_ping',
    protocol: 'h2',
    spec: { h2_ping_interval_ms: 1_000, h2_ping_timeout_ms: 1_000 },
    request_timeout_ms: null,
    retry_once: false,
  },
  { name: 'retry_once', protocol: 'h1', spec: {}, request_timeout_ms: null, retry_once: true },
];

export const C10_FAULTS = ['process_killed', 'host_gone', 'host_rebooted'] as const;
export type C10Fault = (typeof C10_FAULTS)[number];

/** The client sends its next request this long after the fault; it has been idle since 0.5 s before it. */
export const C10_SEND_AFTER_MS = 4_000;
/** Bound on that request (stands for "forever": Linux gives up on an unanswered send after ~15 min). */
export const C10_CAP_MS = 8_000;
const C10_IDLE_BEFORE_FAULT_MS = 500;
const REBOOT_DOWN_MS = 1_500;

/** Faults run one after another (~24 s a round): the default suite has one; --full four, the fewest for a CI. */
export function c10Reps(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 1, standard: 1, full: 4 });
}

/** When the client first learned, from socket events of pre-fault connections and the request's failure. */
export function detection(
  t_fault: number,
  events: readonly SocketEvent[],
  preFaultConns: ReadonlySet<number>,
  req: LcResult | null,
): { detect_ms: number | null; how: string | null } {
  let best: { at: number; how: string } | null = null;
  for (const e of events) {
    // 'close' alone is the client's own destroy (cap, idle timeout); learning shows as a FIN or an error.
    if (!preFaultConns.has(e.conn_id) || e.at_epoch_ms < t_fault || e.kind === 'open' || e.kind === 'close') continue;
    if (!best || e.at_epoch_ms < best.at)
      best = {
        at: e.at_epoch_ms,
        how: e.kind === 'error' ? `socket error ${e.code ?? ''}`.trim() : `socket ${e.kind}`,
      };
  }
  if (req?.failed_epoch_ms !== null && req?.failed_epoch_ms !== undefined && req.error !== 'cap') {
    const at = req.failed_epoch_ms;
    if (!best || at < best.at) best = { at, how: `request ${req.first_error ?? req.error ?? 'error'}` };
  }
  return best
    ? { detect_ms: Math.round((best.at - t_fault) * 1000) / 1000, how: best.how }
    : { detect_ms: null, how: null };
}

async function killSockets(ns: string | null, port: number): Promise<string | null> {
  // Destroying the server's sockets while the blackhole is on drops their RST: the host "forgets" them, as a
  // rebooted machine would. Needs CONFIG_INET_DIAG_DESTROY.
  const argv = ['ss', '-K', '-t', 'state', 'established', `( sport = :${port} )`];
  const r = await execa(ns === null ? argv[0]! : 'ip', ns === null ? argv.slice(1) : ['netns', 'exec', ns, ...argv], {
    reject: false,
    stdin: 'ignore',
  });
  return r.exitCode === 0 ? null : `ss -K failed: ${String(r.stderr).trim().split('\n')[0] ?? r.exitCode}`;
}

const c10ServerConfig = (protocol: 'h1' | 'h2', port = 0) => ({ protocol, keep_alive_timeout_ms: 60_000, port });

export async function runC10(p: PartContext): Promise<void> {
  const { ctx } = p;
  const reps = c10Reps(ctx.options);
  for (let rep = 1; rep <= reps; rep++) {
    const faults = [...C10_FAULTS.slice(rep % C10_FAULTS.length), ...C10_FAULTS.slice(0, rep % C10_FAULTS.length)];
    for (const fault of faults) {
      if (ctx.signal.aborted) return;
      if (fault !== 'process_killed' && !ctx.link.controls) {
        for (const s of C10_STRATEGIES) {
          p.row({
            part: 'c10',
            case_key: c10Key(s, fault, ctx.profile.name),
            strategy: s.name,
            fault,
            trial: rep,
            outcome: 'skipped',
            note: `needs a link with a blackhole control (tun, or tc with iptables and conntrack); the ${ctx.link.backend} link has none`,
          });
        }
        continue;
      }
      await c10Trial(p, fault, rep);
    }
  }
}

type C10Servers = Record<'h1' | 'h2', RunningServer>;

/** One fault, every strategy: warm the clients, inject the fault, send, clear it, send again; one row each. */
async function c10Trial(p: PartContext, fault: (typeof C10_FAULTS)[number], rep: number): Promise<void> {
  const { ctx, agent } = p;
  const controls = ctx.link.controls;
  const servers: C10Servers = {
    h1: await ctx.startServer(c10ServerConfig('h1')),
    h2: await ctx.startServer(c10ServerConfig('h2')),
  };
  const keys = C10_STRATEGIES.map((s) => `c10-${fault}-${rep}-${s.name}`);
  try {
    for (const [i, s] of C10_STRATEGIES.entries()) {
      await agent.open(lcClientSpec(keys[i]!, servers[s.protocol].target, { protocol: s.protocol, ...s.spec }));
    }
    const warm = await Promise.all(
      C10_STRATEGIES.map((_, i) =>
        agent.request({
          client_key: keys[i]!,
          path: '/bytes/100',
          timeout_ms: 5_000,
          cap_ms: 8_000,
          retry_once_on_reset: false,
        }),
      ),
    );
    const preConns = warm.map((w) => new Set(w.conn_id !== null ? [w.conn_id] : []));
    await sleep(C10_IDLE_BEFORE_FAULT_MS);

    const t_fault = epochNow();
    const restart = async (): Promise<void> => {
      const ports = { h1: servers.h1.handle.port, h2: servers.h2.handle.port };
      servers.h1 = await ctx.startServer(c10ServerConfig('h1', ports.h1));
      servers.h2 = await ctx.startServer(c10ServerConfig('h2', ports.h2));
    };
    const note = await injectC10Fault(p, fault, servers, t_fault, restart);
    await sleep(Math.max(0, t_fault + C10_SEND_AFTER_MS - epochNow()));
    const results = await Promise.all(
      C10_STRATEGIES.map((s, i) =>
        agent.request({
          client_key: keys[i]!,
          path: '/bytes/100',
          timeout_ms: s.request_timeout_ms,
          cap_ms: C10_CAP_MS,
          retry_once_on_reset: s.retry_once,
        }),
      ),
    );
    // Clear the fault, then see whether the client's next request goes through.
    if (fault === 'host_gone') await controls?.setBlackhole(false);
    if (fault === 'process_killed') {
      await Promise.all([servers.h1.handle.stop(), servers.h2.handle.stop()]);
      await restart();
    }
    const next = await Promise.all(
      C10_STRATEGIES.map((s, i) =>
        agent.request({
          client_key: keys[i]!,
          path: '/bytes/100',
          timeout_ms: 5_000,
          cap_ms: 6_000,
          retry_once_on_reset: s.retry_once,
        }),
      ),
    );
    for (const [i, s] of C10_STRATEGIES.entries()) {
      const d = detection(t_fault, await agent.events(keys[i]!, t_fault), preConns[i]!, results[i]!);
      recordC10(p, {
        strategy: s,
        fault,
        rep,
        result: results[i]!,
        detected: d,
        next_ok: next[i]!.error === null,
        note,
      });
    }
  } catch (e) {
    p.row({
      part: 'c10',
      case_key: `lifecycle/part=c10/fault=${fault}/profile=${ctx.profile.name}`,
      fault,
      trial: rep,
      outcome: 'error',
      error: errorMessage(e),
    });
  } finally {
    await controls?.setBlackhole(false);
    for (const k of keys) await agent.close(k).catch(() => undefined);
    await Promise.all([servers.h1.handle.stop(), servers.h2.handle.stop()]);
  }
}

/** Makes the fault happen at t_fault; a reboot also brings the servers back after REBOOT_DOWN_MS. Returns a note on what could not be done. */
async function injectC10Fault(
  p: PartContext,
  fault: (typeof C10_FAULTS)[number],
  servers: C10Servers,
  t_fault: number,
  restart: () => Promise<void>,
): Promise<string | null> {
  const { ctx } = p;
  const controls = ctx.link.controls;
  if (fault === 'process_killed') {
    signalPid(pidOf(servers.h1.handle), 'SIGKILL');
    signalPid(pidOf(servers.h2.handle), 'SIGKILL');
    return null;
  }
  await controls?.setBlackhole(true);
  if (fault === 'host_gone') return null;
  const fails = [
    await killSockets(ctx.link.serverNetns, servers.h1.handle.port),
    await killSockets(ctx.link.serverNetns, servers.h2.handle.port),
  ];
  const note = fails.find((f) => f !== null) ?? null;
  signalPid(pidOf(servers.h1.handle), 'SIGKILL');
  signalPid(pidOf(servers.h2.handle), 'SIGKILL');
  await Promise.all([servers.h1.handle.stop(), servers.h2.handle.stop()]);
  await restart();
  await sleep(Math.max(0, t_fault + REBOOT_DOWN_MS - epochNow()));
  await controls?.setBlackhole(false);
  return note;
}

function recordC10(
  p: PartContext,
  o: {
    strategy: Strategy;
    fault: string;
    rep: number;
    result: Awaited<ReturnType<PartContext['agent']['request']>>;
    detected: ReturnType<typeof detection>;
    next_ok: boolean;
    note: string | null;
  },
): void {
  const { ctx } = p;
  const { strategy: s, fault, rep, result: r, detected: d } = o;
  const key = c10Key(s, fault, ctx.profile.name);
  p.row({
    part: 'c10',
    case_key: key,
    strategy: s.name,
    fault,
    trial: rep,
    idle_ms: C10_IDLE_BEFORE_FAULT_MS + C10_SEND_AFTER_MS,
    detect_ms: d.detect_ms,
    outcome: r.error === null ? (r.retried ? 'ok_after_retry' : 'ok') : r.error === 'cap' ? 'hung' : 'failed',
    status: r.status,
    error: r.error,
    first_error: r.first_error ?? d.how,
    retried: r.retried,
    next_ok: o.next_ok,
    reused: r.reused,
    total_ms: r.total_ms,
    ...strategyColumns(s),
    stands_for: `send ${standsFor(C10_SEND_AFTER_MS)} after the fault; cap ${standsFor(C10_CAP_MS)}`,
    note: [d.how ? `learned by ${d.how}` : 'not learned within the cap', o.note].filter((x) => x !== null).join('; '),
  });
  ctx.record({
    failure_is_outcome: true,
    scenario: 'lifecycle',
    case_key: key,
    protocol: s.protocol,
    security: 'none',
    conn_mode: 'reused',
    size_bytes: 100,
    variant: `part=c10;fault=${fault};strategy=${s.name}`,
    idle_ms: C10_IDLE_BEFORE_FAULT_MS + C10_SEND_AFTER_MS,
    rep,
    warmup: false,
    ...lcSampleFields(r),
  });
  ctx.progress.advance(1, `[${ctx.profile.name}] lifecycle C10 ${fault} ${s.name}`);
}

export function c10Key(s: Strategy, fault: string, profile: string): string {
  return caseKey('lifecycle', { part: 'c10', fault, strategy: s.name }, profile);
}

// ---------------------------------------------------------------- C9

/** T: the middlebox forgets a flow idle this long (4 s ≙ 40 s, inside the 30–120 s the claim cites). */
export const C9_FLOW_IDLE_MS = 4_000;
export const C9_IDLE_MS = C9_FLOW_IDLE_MS + 2_000;
export const C9_CAP_MS = 10_000;

export const C9_STRATEGIES: readonly Strategy[] = [
  { name: 'none', protocol: 'h1', spec: {}, request_timeout_ms: null, retry_once: false },
  {
    name: 'tcp_user_timeout',
    protocol: 'h1',
    spec: { tcp_user_timeout_ms: 3_000 },
    request_timeout_ms: null,
    retry_once: false,
  },
  {
    name: 'tcp_keepalive',
    protocol: 'h1',
    spec: { tcp_keepalive: { idle_s: 2, intvl_s: 1, probes: 3 } },
    request_timeout_ms: null,
    retry_once: false,
  },
  { name: 'h2_none', protocol: 'h2', spec: {}, request_timeout_ms: null, retry_once: false },
  {
    name: 'h2_ping',
    protocol: 'h2',
    spec: { h2_ping_interval_ms: 2_000, h2_ping_timeout_ms: 1_000 },
    request_timeout_ms: null,
    retry_once: false,
  },
];

/**
 * Every trial of C9 runs side by side (one flow each), so trials cost connections, not time: four a strategy is the
 * fewest whose all-or-none outcome has a 95 % Wilson interval on one side of one half (4/4: 0.51–1).
 */
export function c9Reps(options: Pick<BenchOptions, 'quick' | 'size'>): number {
  return bySize(options, { quick: 1, standard: 4, full: 8 });
}

export function c9Key(s: Strategy, profile: string): string {
  return caseKey('lifecycle', { part: 'c9', flow_idle_ms: C9_FLOW_IDLE_MS, strategy: s.name }, profile);
}

export async function runC9(p: PartContext): Promise<void> {
  const { ctx, agent } = p;
  const controls = ctx.link.controls;
  const reps = c9Reps(ctx.options);
  if (!controls) {
    for (const s of C9_STRATEGIES) {
      p.row({
        part: 'c9',
        case_key: c9Key(s, ctx.profile.name),
        strategy: s.name,
        fault: 'nat_idle_drop',
        outcome: 'skipped',
        note: `needs a link with a flow idle timeout (tun, or tc with iptables and conntrack); the ${ctx.link.backend} link has none`,
      });
    }
    return;
  }
  const servers = {
    h1: await ctx.startServer({ protocol: 'h1', keep_alive_timeout_ms: 60_000 }),
    h2: await ctx.startServer({ protocol: 'h2', keep_alive_timeout_ms: 60_000 }),
  };
  // Every rep of every strategy runs side by side: each holds its own flow, and the timeout is per flow.
  const trials = Array.from({ length: reps }, (_, r) =>
    C9_STRATEGIES.map((s) => ({ s, rep: r + 1, key: `c9-${r + 1}-${s.name}` })),
  ).flat();
  try {
    await controls.setFlowIdleTimeout(C9_FLOW_IDLE_MS);
    await Promise.all(
      trials.map(async ({ s, rep, key }) => {
        try {
          await agent.open(lcClientSpec(key, servers[s.protocol].target, { protocol: s.protocol, ...s.spec }));
          const warm = await agent.request({
            client_key: key,
            path: '/bytes/100',
            timeout_ms: 5_000,
            cap_ms: 8_000,
            retry_once_on_reset: false,
          });
          const pre = new Set(warm.conn_id !== null ? [warm.conn_id] : []);
          const r = await agent.request({
            client_key: key,
            path: '/bytes/100',
            timeout_ms: s.request_timeout_ms,
            cap_ms: C9_CAP_MS,
            retry_once_on_reset: false,
            delay_ms: C9_IDLE_MS,
          });
          const events = await agent.events(key, warm.ended_epoch_ms);
          // Time to failure counts from the send: that is when the dead flow starts to matter.
          const d = detection(r.started_epoch_ms, events, pre, r);
          const next = await agent.request({
            client_key: key,
            path: '/bytes/100',
            timeout_ms: 5_000,
            cap_ms: 6_000,
            retry_once_on_reset: false,
          });
          const survived = r.error === null && r.reused === true;
          p.row({
            part: 'c9',
            case_key: c9Key(s, ctx.profile.name),
            strategy: s.name,
            fault: 'nat_idle_drop',
            trial: rep,
            idle_ms: C9_IDLE_MS,
            flow_idle_timeout_ms: C9_FLOW_IDLE_MS,
            detect_ms: survived ? null : d.detect_ms,
            outcome: survived
              ? 'survived'
              : r.error === 'cap'
                ? 'hung'
                : r.error === null
                  ? 'ok_new_connection'
                  : 'failed',
            status: r.status,
            error: r.error,
            first_error: d.how,
            next_ok: next.error === null,
            reused: r.reused,
            total_ms: r.total_ms,
            ...strategyColumns(s),
            stands_for: `T ${standsFor(C9_FLOW_IDLE_MS)}; idle ${standsFor(C9_IDLE_MS)}; cap ${standsFor(C9_CAP_MS)}`,
            note: d.how ? `learned by ${d.how}` : survived ? 'connection kept alive' : 'not learned within the cap',
          });
          ctx.record({
            failure_is_outcome: true,
            scenario: 'lifecycle',
            case_key: c9Key(s, ctx.profile.name),
            protocol: s.protocol,
            security: 'none',
            conn_mode: 'reused',
            size_bytes: 100,
            variant: `part=c9;flow_idle_ms=${C9_FLOW_IDLE_MS};strategy=${s.name}`,
            idle_ms: C9_IDLE_MS,
            rep,
            warmup: false,
            ...lcSampleFields(r),
          });
        } catch (e) {
          p.row({
            part: 'c9',
            case_key: c9Key(s, ctx.profile.name),
            strategy: s.name,
            fault: 'nat_idle_drop',
            trial: rep,
            outcome: 'error',
            error: errorMessage(e),
          });
        } finally {
          await agent.close(key).catch(() => undefined);
          ctx.progress.advance(1, `[${ctx.profile.name}] lifecycle C9 ${s.name}`);
        }
      }),
    );
  } finally {
    await controls.setFlowIdleTimeout(null);
    await Promise.all([servers.h1.handle.stop(), servers.h2.handle.stop()]);
  }
}
