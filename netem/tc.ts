/**
 * The tc link backend, for machines that have sch_netem: two namespaces joined by a veth pair with netem on
 * both ends (each end delays its egress by half the RTT).
 *
 * Rate is NOT netem's own `rate`: netem's `limit` counts every packet it holds, including the ones only
 * waiting out their delay, so a netem queue limit would drop packets because of the RTT, not because of the
 * bottleneck. Instead a tbf child of netem does the rate limiting: netem → (after the delay) tbf, whose
 * byte limit (queue_packets × MTU) is the drop-tail bottleneck queue; netem's own limit is set high enough
 * to hold every packet in flight.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import {
  emptyDirectionCounters,
  type DirectionCounters,
  type Link,
  type LinkCounters,
  type LinkOpenOptions,
  type LinkParams,
} from './link.ts';
import { openConntrackControls, type ConntrackControls } from './conntrack-controls.ts';
import { UserError } from '../lib/errors.ts';
import { inNetns } from '../lib/exec.ts';
import {
  LINK_PREFIX_LEN,
  createNamespaces,
  deleteNetns,
  namespaceTuning,
  destroyNamespaces,
  recordPath,
  removeOwnershipRecord,
  run,
  writeOwnershipRecord,
} from './topology.ts';
import { DEFAULT_QUEUE_PACKETS, paramsProblem } from './tun-delay-line.ts';

/** netem's own limit: packets held while they wait out the delay (not a bottleneck queue, see above). */
export const NETEM_LIMIT_PACKETS = 100_000;

/** Decimal notation for tc (no exponent), trimmed: 12.5 → "12.5", 10 → "10". */
function dec(v: number): string {
  return String(Number(v.toFixed(6)));
}

/** The tbf burst: at least two MTUs, and 1 ms worth of the rate so that fast rates are not timer-bound. */
export function tbfBurstBytes(params: LinkParams): number {
  const perMs = params.rate_mbit === null ? 0 : Math.ceil((params.rate_mbit * 1e6) / 8 / 1000);
  return Math.max(2 * params.mtu_bytes, perMs);
}

/**
 * The tc commands (argv lists) that give dev's egress this link's one-way behaviour: delay rtt/2 with
 * jitter, loss, and when rate_mbit is set, a tbf child for the bottleneck. Pure.
 */
export function tcCommands(dev: string, params: LinkParams): string[][] {
  const problem = paramsProblem(params);
  if (problem) throw new UserError(`invalid link parameters: ${problem}`);
  const netem = [
    'tc',
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'handle',
    '1:',
    'netem',
    'limit',
    String(NETEM_LIMIT_PACKETS),
  ];
  if (params.rtt_ms > 0 || params.jitter_ms > 0) {
    netem.push('delay', `${dec(params.rtt_ms / 2)}ms`);
    if (params.jitter_ms > 0) netem.push(`${dec(params.jitter_ms)}ms`);
  }
  if (params.loss_pct > 0) netem.push('loss', `${dec(params.loss_pct)}%`);
  const cmds = [netem];
  if (params.rate_mbit !== null) {
    const queue = params.queue_packets ?? DEFAULT_QUEUE_PACKETS;
    cmds.push([
      'tc',
      'qdisc',
      'replace',
      'dev',
      dev,
      'parent',
      '1:1',
      'handle',
      '10:',
      'tbf',
      'rate',
      `${dec(params.rate_mbit)}mbit`,
      'burst',
      String(tbfBurstBytes(params)),
      'limit',
      String(queue * params.mtu_bytes),
    ]);
  }
  return cmds;
}

/** Commands that take dev from prev to next while the link is live. Pure. */
export function tcReconfigureCommands(dev: string, prev: LinkParams, next: LinkParams): string[][] {
  const cmds: string[][] = [];
  // `replace` of the root keeps its child: a rate that goes away needs its tbf deleted.
  if (prev.rate_mbit !== null && next.rate_mbit === null)
    cmds.push(['tc', 'qdisc', 'delete', 'dev', dev, 'parent', '1:1', 'handle', '10:']);
  return [...cmds, ...tcCommands(dev, next)];
}

let probe: Promise<string | null> | undefined;

/** null when netem works here; else why not. Probed once per process, on throw-away kab objects. */
export function tcNetemUnavailableReason(): Promise<string | null> {
  probe ??= probeNetem();
  return probe;
}

async function probeNetem(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root';
  const id = randomBytes(3).toString('hex');
  const ns = `kab-${id}-p`;
  const [devA, devB] = [`kab${id}p`, `kab${id}q`];
  // A signal mid-probe ends the process through process.exit (the run's or --list's handler), which skips
  // this finally: the exit hook removes the probe's namespace (its veth goes with it) and record synchronously.
  const onExit = (): void => {
    try {
      execFileSync('ip', ['netns', 'delete', ns], { stdio: 'ignore' });
    } catch {
      // not made yet, or already gone
    }
    // A namespace that outlives this (an `ip netns add` still finishing) keeps its record, so clean removes it.
    if (!existsSync(`/run/netns/${ns}`)) rmSync(recordPath(id), { force: true });
  };
  process.on('exit', onExit);
  try {
    await writeOwnershipRecord(id, [ns], [devA, devB]);
    await run(['ip', 'netns', 'add', ns]);
    // A veth pair, the device the backend itself uses (this host has no dummy module, say).
    await run(['ip', '-n', ns, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB]);
    const r = await execa('tc', ['-n', ns, 'qdisc', 'add', 'dev', devA, 'root', 'netem', 'delay', '1ms'], {
      reject: false,
      stdin: 'ignore',
    });
    if (r.exitCode === undefined) return `tc (iproute2) could not be run: ${r.shortMessage}`;
    if (r.exitCode === 0) return null;
    const stderr = String(r.stderr)
      .trim()
      .replace(/^Error: /, '')
      .replace(/\.$/, '');
    if (/unknown/i.test(stderr)) return `sch_netem kernel module missing (tc: ${stderr})`;
    return `tc netem does not work here (tc: ${stderr})`;
  } catch (e) {
    return `could not probe tc netem: ${(e as Error).message}`;
  } finally {
    await deleteNetns(ns).catch(() => undefined);
    await removeOwnershipRecord(id);
    process.off('exit', onExit);
  }
}

interface QdiscStats {
  kind?: string;
  drops?: number;
}

interface LinkStats {
  stats64?: { tx?: { packets?: number; bytes?: number; dropped?: number } };
}

/**
 * One direction's counters from the kernel: packets and bytes the device sent, netem's drops (its random loss;
 * its limit is never reached, see NETEM_LIMIT_PACKETS) less its child's, tbf's (the bottleneck queue), the
 * device's own.
 */
export function directionCounters(qdiscJson: string, linkJson: string): DirectionCounters {
  const c = emptyDirectionCounters();
  for (const q of JSON.parse(qdiscJson) as QdiscStats[]) {
    if (q.kind === 'netem') c.dropped_loss += q.drops ?? 0;
    if (q.kind === 'tbf') c.dropped_queue += q.drops ?? 0;
  }
  // netem counts a packet its tbf child refused as a drop of its own (netem_dequeue): those are queue drops.
  c.dropped_loss = Math.max(0, c.dropped_loss - c.dropped_queue);
  const tx = (JSON.parse(linkJson) as LinkStats[])[0]?.stats64?.tx;
  c.packets = tx?.packets ?? 0;
  c.bytes = tx?.bytes ?? 0;
  c.dropped_device = tx?.dropped ?? 0;
  return c;
}

async function sideCounters(ns: string, dev: string): Promise<DirectionCounters> {
  const [q, l] = await Promise.all([
    run(['tc', '-n', ns, '-s', '-j', 'qdisc', 'show', 'dev', dev]),
    run(['ip', '-n', ns, '-s', '-j', 'link', 'show', 'dev', dev]),
  ]);
  return directionCounters(q, l);
}

async function applyTc(ns: string, cmds: string[][]): Promise<void> {
  for (const argv of cmds) await run(inNetns(ns, argv));
}

/**
 * Each end knows the other's MAC address for good. Otherwise the first packet waits for ARP, whose request and
 * reply cross netem: under loss a lost one costs the retransmit time (1 s) and the neighbour drops what queues
 * meanwhile, before the link sees it. The emulated path is a wire between two hosts, not an ARP exchange.
 */
async function pinNeighbours(sides: ReadonlyArray<{ ns: string; dev: string; addr: string }>): Promise<void> {
  const macs = await Promise.all(
    sides.map(async (s) => {
      const [info] = JSON.parse(await run(['ip', '-n', s.ns, '-j', 'link', 'show', 'dev', s.dev])) as Array<{
        address?: string;
      }>;
      if (!info?.address) throw new Error(`no MAC address on ${s.dev} in ${s.ns}`);
      return info.address;
    }),
  );
  for (const [i, s] of sides.entries()) {
    const peer = sides[1 - i];
    const mac = macs[1 - i];
    if (!peer || !mac) continue;
    await run(['ip', '-n', s.ns, 'neigh', 'replace', peer.addr, 'lladdr', mac, 'dev', s.dev, 'nud', 'permanent']);
  }
}

export async function openTcLink(opts: LinkOpenOptions): Promise<Link> {
  const reason = await tcNetemUnavailableReason();
  if (reason) throw new UserError(`the tc link cannot be used: ${reason}; use --link tun or --link proxy`);
  let current: LinkParams = { ...opts.params };
  tcCommands('x', current); // validates

  const n = await createNamespaces(opts.runId);
  const sides = [
    { ns: n.clientNs, dev: n.clientDev, addr: n.clientAddr },
    { ns: n.serverNs, dev: n.serverDev, addr: n.serverAddr },
  ];
  try {
    await run([
      'ip',
      'link',
      'add',
      n.clientDev,
      'netns',
      n.clientNs,
      'type',
      'veth',
      'peer',
      'name',
      n.serverDev,
      'netns',
      n.serverNs,
    ]);
    for (const s of sides) {
      // No GSO/TSO super-packets: netem and tbf must see the packets the wire would carry.
      await run([
        'ip',
        '-n',
        s.ns,
        'link',
        'set',
        'dev',
        s.dev,
        'mtu',
        String(current.mtu_bytes),
        'gso_max_segs',
        '1',
        'gso_max_size',
        String(current.mtu_bytes),
      ]);
      await run(['ip', '-n', s.ns, 'addr', 'add', `${s.addr}/${LINK_PREFIX_LEN}`, 'dev', s.dev]);
      await run(['ip', '-n', s.ns, 'link', 'set', 'dev', s.dev, 'up']);
      await applyTc(s.ns, tcCommands(s.dev, current));
    }
    await pinNeighbours(sides);
  } catch (e) {
    await destroyNamespaces(n).catch(() => undefined);
    throw e;
  }
  // A NAT that forgets idle flows and a vanished host, from iptables and conntrack (see conntrack-controls.ts); a
  // kernel or host without them leaves the link without controls, and the scenarios that need them say so.
  let controls: ConntrackControls | null = null;
  let controlsMissing: string | null = null;
  try {
    controls = await openConntrackControls(n.serverNs, n.serverDev);
  } catch (e) {
    controlsMissing = (e as Error).message.split('\n')[0] ?? 'iptables unavailable';
  }

  let closing: Promise<void> | undefined;
  return {
    backend: 'tc',
    clientNetns: n.clientNs,
    serverNetns: n.serverNs,
    serverListenHost: n.serverAddr,
    get caveats(): readonly string[] {
      const out = current.jitter_ms > 0 ? ['netem jitter reorders packets (the tun backend does not)'] : [];
      if (controlsMissing !== null) out.push(`no flow-idle or blackhole controls (${controlsMissing})`);
      return out;
    },
    params: () => ({ ...current }),
    async configure(params: LinkParams): Promise<void> {
      for (const s of sides) {
        await applyTc(s.ns, tcReconfigureCommands(s.dev, current, params));
        if (params.mtu_bytes !== current.mtu_bytes) {
          await run([
            'ip',
            '-n',
            s.ns,
            'link',
            'set',
            'dev',
            s.dev,
            'mtu',
            String(params.mtu_bytes),
            'gso_max_size',
            String(params.mtu_bytes),
          ]);
        }
      }
      current = { ...params };
    },
    clientTarget: async (serverPort: number) => ({ host: n.serverAddr, port: serverPort }),
    capabilities: { real_packets: true, drops_packets: true, configurable: true, connect_crosses_link: true },
    controls,
    tuning: namespaceTuning(n),
    async counters(): Promise<LinkCounters | null> {
      const [up, down] = await Promise.all([
        sideCounters(n.clientNs, n.clientDev),
        sideCounters(n.serverNs, n.serverDev),
      ]);
      if (controls) {
        const d = await controls.drops();
        up.dropped_idle = d.idle_up;
        up.dropped_blackhole = d.blackhole_up;
        down.dropped_idle = d.idle_down;
        down.dropped_blackhole = d.blackhole_down;
      }
      return { up, down };
    },
    close(): Promise<void> {
      closing ??= destroyNamespaces(n);
      return closing;
    },
  };
}
