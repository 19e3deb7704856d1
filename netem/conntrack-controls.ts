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
 * Each drop rule is named by a comment per direction and its packet counter is read back as the link's
 * dropped_idle / dropped_blackhole.
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

/** Conntrack counts in seconds: a timeout in ms becomes the next whole second (at least 1). */
export function flowIdleSeconds(ms: number): number {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new RangeError(`flow idle timeout must be a positive number of ms, got ${ms}`);
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The iptables-restore input that (re)writes the two chains for a state; `create` also hooks them in. Pure. */
export function restoreScript(dev: string, state: ControlState, create: boolean): string {
  const rules = (chain: string, dir: 'up' | 'down'): string[] => {
    const out: string[] = [];
    if (state.blackhole) out.push(`-A ${chain} -m comment --comment blackhole_${dir} -j DROP`);
    // Without a drop, the conntrack match still keeps conntrack tracking every flow of the namespace.
    out.push(
      state.flow_idle_s === null
        ? `-A ${chain} -m conntrack --ctstate INVALID -j ACCEPT`
        : `-A ${chain} -m conntrack --ctstate INVALID -m comment --comment idle_${dir} -j DROP`,
    );
    return out;
  };
  const lines = ['*filter', `:${CHAIN_IN} - [0:0]`, `:${CHAIN_OUT} - [0:0]`];
  if (create) lines.push(`-A INPUT -i ${dev} -j ${CHAIN_IN}`, `-A OUTPUT -o ${dev} -j ${CHAIN_OUT}`);
  lines.push(...rules(CHAIN_IN, 'up'), ...rules(CHAIN_OUT, 'down'), 'COMMIT', '');
  return lines.join('\n');
}

/** Packet counts of the named drop rules in `iptables-save -c` output (absent rules count 0). Pure. */
export function parseDrops(save: string): Drops {
  const out: Drops = { idle_up: 0, idle_down: 0, blackhole_up: 0, blackhole_down: 0 };
  for (const line of save.split('\n')) {
    const m = /^\[(\d+):\d+\] -A KAB_(?:IN|OUT) .*--comment (\w+)/.exec(line);
    const name = m?.[2];
    if (m && name !== undefined && (DROP_COUNTERS as readonly string[]).includes(name)) out[name as DropCounter] += Number(m[1]);
  }
  return out;
}

let tools: Promise<{ restore: string; save: string }> | undefined;

/** iptables-legacy where installed (see the header), else iptables; probed once. */
function iptablesTools(): Promise<{ restore: string; save: string }> {
  tools ??= execa('iptables-legacy-save', ['--version'], { reject: false, stdin: 'ignore' }).then((r) =>
    r.exitCode === 0 ? { restore: 'iptables-legacy-restore', save: 'iptables-legacy-save' } : { restore: 'iptables-restore', save: 'iptables-save' },
  );
  return tools;
}

async function restore(ns: string, script: string): Promise<void> {
  const [file, ...args] = inNetns(ns, [(await iptablesTools()).restore, '--noflush']);
  const r = await execa(file ?? 'ip', args, { input: script, reject: false });
  if (r.failed) throw new Error(`iptables in ${ns}: ${String(r.stderr).trim().split('\n')[0] || r.shortMessage}`);
}

/** The conntrack sysctls for a state (the namespace's defaults when the timeout is off). */
function conntrackSysctls(state: ControlState): Record<string, string> {
  return {
    'net.netfilter.nf_conntrack_tcp_loose': state.flow_idle_s === null ? '1' : '0',
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
  await restore(ns, restoreScript(dev, state, true));
  // Rewriting a chain zeroes its counters: what the old rules counted is kept here.
  const counted: Drops = { idle_up: 0, idle_down: 0, blackhole_up: 0, blackhole_down: 0 };
  const read = async (): Promise<Drops> => parseDrops(await run(inNetns(ns, [(await iptablesTools()).save, '-c', '-t', 'filter'])));
  const apply = async (next: ControlState): Promise<void> => {
    const now = await read();
    for (const k of DROP_COUNTERS) counted[k] += now[k];
    // Order matters for packets in flight: tighten conntrack before the drop rule, loosen it after.
    if (next.flow_idle_s !== null) await setNamespaceSysctls(ns, conntrackSysctls(next));
    await restore(ns, restoreScript(dev, next, false));
    if (next.flow_idle_s === null) await setNamespaceSysctls(ns, conntrackSysctls(next));
    state = next;
  };
  return {
    async setFlowIdleTimeout(ms: number | null): Promise<void> {
      await apply({ ...state, flow_idle_s: ms === null ? null : flowIdleSeconds(ms) });
    },
    async setBlackhole(on: boolean): Promise<void> {
      await apply({ ...state, blackhole: on });
    },
    async drops(): Promise<Drops> {
      const now = await read();
      return { idle_up: counted.idle_up + now.idle_up, idle_down: counted.idle_down + now.idle_down, blackhole_up: counted.blackhole_up + now.blackhole_up, blackhole_down: counted.blackhole_down + now.blackhole_down };
    },
  };
}
