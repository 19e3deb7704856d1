/**
 * The live link controls of the tc backend — a NAT that forgets idle flows and a host that vanishes — built
 * from the kernel's own tools in the server namespace: iptables rules on the link device and conntrack.
 *
 * - Flow idle timeout T: conntrack's established-TCP timeout becomes T (whole seconds: conntrack's unit) and
 *   mid-stream pick-up is off (nf_conntrack_tcp_loose=0), so a packet of a flow idle longer than T finds its
 *   entry expired, is not a SYN, gets no new entry, and is dropped as INVALID — in both directions, like a NAT
 *   that forgot the mapping. New connections (SYN) pass. Conntrack runs from the link's start, so flows opened
 *   before the timeout is set are known; a new timeout applies to a flow from its next packet.
 * - Blackhole: every packet on the device, both directions, is dropped.
 * Each drop rule lives in a chain of its own, written once, so its packet counter (read back as the link's
 * dropped_idle / dropped_blackhole per direction) survives every change of state. The server → client drops
 * happen in the server's OUTPUT chain: a local drop, so the server's own send sees an error where a real
 * middlebox would stay silent; the client — what the scenarios observe — sees the same silence either way.
 *
 * iptables, not nftables: the legacy x_tables path exists both on common distribution kernels and in the
 * user-mode kernel the live tests use (whose nf_tables has no ip family); iptables-legacy is preferred where
 * installed, since an nft-based iptables needs that family.
 */
import { execa } from 'execa';
import type { LinkControls } from './link.ts';
import { inNetns } from '../lib/exec.ts';
import { run, setNamespaceSysctls } from './topology.ts';

export const CHAIN_IN = 'KAB_IN';
export const CHAIN_OUT = 'KAB_OUT';

export interface ControlState {
  flow_idle_s: number | null;
  blackhole: boolean;
}

export const DROP_COUNTERS = ['idle_up', 'idle_down', 'blackhole_up', 'blackhole_down'] as const;
export type DropCounter = (typeof DROP_COUNTERS)[number];
export type Drops = Record<DropCounter, number>;

/** The chain holding one drop rule, written once: its counter lives as long as the link. */
function dropChain(c: DropCounter): string {
  return `KAB_${c.toUpperCase()}`;
}

/** Conntrack counts in seconds: a timeout in ms becomes the next whole second (at least 1). */
export function flowIdleSeconds(ms: number): number {
  if (!(ms > 0) || !Number.isFinite(ms))
    throw new RangeError(`flow idle timeout must be a positive number of ms, got ${ms}`);
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The iptables-restore input for a state. `create` writes the four drop chains (one DROP rule each, with its
 * comment and, from then on, its own packet counter) and hooks KAB_IN / KAB_OUT into INPUT / OUTPUT; every
 * change of state rewrites only KAB_IN and KAB_OUT, which jump to the drop chains that apply, so no counter is
 * ever reset. Pure.
 */
export function restoreScript(dev: string, state: ControlState, create: boolean): string {
  const lines = ['*filter', `:${CHAIN_IN} - [0:0]`, `:${CHAIN_OUT} - [0:0]`];
  if (create) {
    for (const c of DROP_COUNTERS) lines.push(`:${dropChain(c)} - [0:0]`);
    for (const c of DROP_COUNTERS) {
      const match = c.startsWith('idle') ? '-m conntrack --ctstate INVALID ' : '';
      lines.push(`-A ${dropChain(c)} ${match}-m comment --comment ${c} -j DROP`);
    }
    lines.push(`-A INPUT -i ${dev} -j ${CHAIN_IN}`, `-A OUTPUT -o ${dev} -j ${CHAIN_OUT}`);
  }
  const jumps = (chain: string, dir: 'up' | 'down'): string[] => {
    const out: string[] = [];
    if (state.blackhole) out.push(`-A ${chain} -j ${dropChain(`blackhole_${dir}`)}`);
    // Without the idle drop, a conntrack match that accepts still keeps conntrack tracking every flow.
    out.push(
      state.flow_idle_s === null
        ? `-A ${chain} -m conntrack --ctstate INVALID -j ACCEPT`
        : `-A ${chain} -j ${dropChain(`idle_${dir}`)}`,
    );
    return out;
  };
  lines.push(...jumps(CHAIN_IN, 'up'), ...jumps(CHAIN_OUT, 'down'), 'COMMIT', '');
  return lines.join('\n');
}

/** Packet counts of the named drop rules in `iptables-save -c` output (absent rules count 0). Pure. */
export function parseDrops(save: string): Drops {
  const out: Drops = { idle_up: 0, idle_down: 0, blackhole_up: 0, blackhole_down: 0 };
  for (const line of save.split('\n')) {
    const m = /^\[(\d+):\d+\] -A KAB_\w+ .*--comment (\w+)/.exec(line);
    const name = m?.[2];
    if (m && name !== undefined && (DROP_COUNTERS as readonly string[]).includes(name))
      out[name as DropCounter] += Number(m[1]);
  }
  return out;
}

interface IptablesTools {
  restore: string;
  save: string;
}

const LEGACY: IptablesTools = { restore: 'iptables-legacy-restore', save: 'iptables-legacy-save' };
const DEFAULT: IptablesTools = { restore: 'iptables-restore', save: 'iptables-save' };

async function restoreWith(tools: IptablesTools, ns: string, script: string): Promise<void> {
  // -w: the xtables lock is host-wide; another run or a firewall daemon may hold it for a moment.
  const [file, ...args] = inNetns(ns, [tools.restore, '-w', '--noflush']);
  const r = await execa(file ?? 'ip', args, { input: script, reject: false });
  if (r.failed) throw new Error(`iptables in ${ns}: ${String(r.stderr).trim().split('\n')[0] || r.shortMessage}`);
}

/**
 * Installs the chains with iptables-legacy where installed (see the header), else — or where this kernel has
 * no legacy x_tables — with the default iptables; returns the tools that worked.
 */
async function install(ns: string, script: string): Promise<IptablesTools> {
  const legacy = await execa(LEGACY.save, ['--version'], { reject: false, stdin: 'ignore' });
  if (legacy.exitCode === 0) {
    try {
      await restoreWith(LEGACY, ns, script);
      return LEGACY;
    } catch (e) {
      try {
        await restoreWith(DEFAULT, ns, script);
        return DEFAULT;
      } catch {
        throw e;
      }
    }
  }
  await restoreWith(DEFAULT, ns, script);
  return DEFAULT;
}

/** The conntrack sysctls for a state (the namespace's defaults when the timeout is off). */
function conntrackSysctls(state: ControlState): Record<string, string> {
  return {
    'net.netfilter.nf_conntrack_tcp_loose': state.flow_idle_s === null ? '1' : '0',
    // Window tracking would also call some legitimate out-of-window packets INVALID (jitter reorders them on
    // tc): only a forgotten flow may be dropped.
    'net.netfilter.nf_conntrack_tcp_be_liberal': state.flow_idle_s === null ? '0' : '1',
    'net.netfilter.nf_conntrack_tcp_timeout_established': String(state.flow_idle_s ?? 432_000),
  };
}

export interface ConntrackControls extends LinkControls {
  drops(): Promise<Drops>;
}

/**
 * Hooks the chains into ns on dev (conntrack on, nothing dropped) and returns the controls. Throws with the
 * reason when iptables or conntrack is missing here; deleting the namespace removes everything.
 */
export async function openConntrackControls(ns: string, dev: string): Promise<ConntrackControls> {
  let state: ControlState = { flow_idle_s: null, blackhole: false };
  const tools = await install(ns, restoreScript(dev, state, true));
  // One change at a time: two toggles at once must not interleave their sysctls and rules.
  let queue: Promise<void> = Promise.resolve();
  const apply = (next: (s: ControlState) => ControlState): Promise<void> => {
    const step = queue.then(async () => {
      const target = next(state);
      // Order matters for packets in flight: tighten conntrack before the drop rule, loosen it after.
      if (target.flow_idle_s !== null) await setNamespaceSysctls(ns, conntrackSysctls(target));
      await restoreWith(tools, ns, restoreScript(dev, target, false));
      if (target.flow_idle_s === null) await setNamespaceSysctls(ns, conntrackSysctls(target));
      state = target;
    });
    queue = step.catch(() => undefined);
    return step;
  };
  return {
    setFlowIdleTimeout: (ms: number | null) => {
      const flow_idle_s = ms === null ? null : flowIdleSeconds(ms);
      return apply((s) => ({ ...s, flow_idle_s }));
    },
    setBlackhole: (on: boolean) => apply((s) => ({ ...s, blackhole: on })),
    async drops(): Promise<Drops> {
      return parseDrops(await run(inNetns(ns, [tools.save, '-c', '-t', 'filter'])));
    },
  };
}
