/** The emulated network link between the measuring client and the servers (see DESIGN.md, "The link"). */

export const LINK_BACKENDS = ['tc', 'tun', 'proxy', 'none'] as const;
export type LinkBackendName = (typeof LINK_BACKENDS)[number];
export type LinkChoice = LinkBackendName | 'auto';

/** What the link adds on top of the machine's own path. Loss and jitter apply to each direction. */
export interface LinkParams {
  /** Round-trip time the link adds; each direction gets half. */
  rtt_ms: number;
  /** Per-direction delay variation: each packet's one-way delay is drawn uniformly from ±jitter_ms. */
  jitter_ms: number;
  /** Per-direction random (Bernoulli) packet loss, 0–100. */
  loss_pct: number;
  /** Bottleneck rate per direction; null = unlimited. */
  rate_mbit: number | null;
  /** Drop-tail queue limit in packets at the bottleneck; null = backend default. */
  queue_packets: number | null;
  /** MTU of the link devices (loopback's 64 KiB MTU would hide slow start). */
  mtu_bytes: number;
}

export interface Profile {
  name: string;
  params: LinkParams;
  /** Where the numbers come from. */
  source: string;
}

export interface DirectionCounters {
  packets: number;
  bytes: number;
  dropped_loss: number;
  dropped_queue: number;
  dropped_idle: number;
  dropped_blackhole: number;
  /** Dropped by the kernel before the emulator saw them (the TUN device's queue); 0 where not measured. */
  dropped_device?: number;
}

export interface LinkCounters {
  /** client → server */
  up: DirectionCounters;
  /** server → client */
  down: DirectionCounters;
}

/** Live controls that fault scenarios need (tun: the delay line; tc: iptables and conntrack). */
export interface LinkControls {
  /** A NAT/firewall that forgets a TCP flow idle longer than ms and drops its packets from then on; null = off. */
  setFlowIdleTimeout(ms: number | null): Promise<void>;
  /** Drop every packet in both directions: a host that vanished. */
  setBlackhole(on: boolean): Promise<void>;
}

/** What a link can do, for scenarios to ask instead of testing its backend's name. */
export interface LinkCapabilities {
  /** Kernel TCP on both ends, through packets the link carries: handshakes, slow start, loss recovery are real. */
  real_packets: boolean;
  /** Drops packets at random (loss_pct > 0). */
  drops_packets: boolean;
  /** Its delay, loss and rate are the harness's to set (every emulated link; not a remote path). */
  configurable: boolean;
  /** A TCP connect crosses the link, so its time is one round trip of it (not on the proxy link, which accepts locally). */
  connect_crosses_link: boolean;
}

export type LinkSide = 'client' | 'server';

/** initcwnd/initrwnd of one route (null = kernel default, 10 segments). */
export interface RouteWindows {
  dst: string;
  dev: string;
  initcwnd: number | null;
  initrwnd: number | null;
}

/** Per-run TCP settings of each side, in that side's own network namespace. */
export interface LinkTuning {
  readSysctls(side: LinkSide, extraKeys?: readonly string[]): Promise<Record<string, string>>;
  setSysctls(side: LinkSide, values: Record<string, string>): Promise<void>;
  /** The side's routes through the link (loopback and unaddressed routes left out). */
  readRoutes(side: LinkSide): Promise<RouteWindows[]>;
  /** Sets (null: clears) initcwnd/initrwnd on every route through the link on that side. */
  setInitcwnd(side: LinkSide, initcwnd: number | null, initrwnd: number | null): Promise<void>;
}

/** 'remote': no emulation — a server elsewhere, over the real network (`--target`). */
export type RunLinkBackend = LinkBackendName | 'remote';

export interface Link {
  readonly backend: RunLinkBackend;
  /** Network namespace the measuring client must run in; null = the harness's own namespace. */
  readonly clientNetns: string | null;
  /** Network namespace servers must run in; null = the harness's own namespace. */
  readonly serverNetns: string | null;
  /** Address servers bind to. */
  readonly serverListenHost: string;
  /** Limits of this backend that every result made with it must carry (e.g. proxy: no slow start). */
  readonly caveats: readonly string[];
  /** The parameters currently in force. */
  params(): LinkParams;
  /** Changes the emulated link while it is live (new packets/bytes see the new values). */
  configure(params: LinkParams): Promise<void>;
  /** Address and port the client must connect to in order to reach a server listening on serverPort. */
  clientTarget(serverPort: number): Promise<{ host: string; port: number }>;
  readonly capabilities: LinkCapabilities;
  /** Flow idle timeout and blackhole; null when the backend has no live controls. */
  readonly controls: LinkControls | null;
  /** Per-side sysctls and routes; null when the link has no namespaces of its own. */
  readonly tuning: LinkTuning | null;
  /** Packet counters where the backend has them, else null. */
  counters(): Promise<LinkCounters | null>;
  /** Removes every process and kernel object of this link. Idempotent; safe on every exit path. */
  close(): Promise<void>;
}

export interface LinkOpenOptions {
  /** Short unique id of the run; kernel object names derive from it (prefix `kab`). */
  runId: string;
  params: LinkParams;
}

export function emptyDirectionCounters(): DirectionCounters {
  return { packets: 0, bytes: 0, dropped_loss: 0, dropped_queue: 0, dropped_idle: 0, dropped_blackhole: 0 };
}
