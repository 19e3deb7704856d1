/**
 * The two network namespaces a link joins (client side, server side), their ownership records and their
 * per-namespace TCP settings. The link backends (tun.ts, tc.ts) put devices between them.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { UserError } from '../lib/errors.ts';
import { signalPid } from '../lib/child.ts';
import type { LinkSide, LinkTuning, RouteWindows } from './link.ts';
import { sleep } from '../lib/sleep.ts';

export const RECORD_DIR = '/run/kab';
export const CLIENT_ADDR = '198.18.0.1';
export const SERVER_ADDR = '198.18.0.2';
export const LINK_PREFIX_LEN = 24;

export interface Namespaces {
  readonly runId: string;
  readonly clientNs: string;
  readonly serverNs: string;
  readonly clientAddr: typeof CLIENT_ADDR;
  readonly serverAddr: typeof SERVER_ADDR;
  /** Link device that ends up in the client namespace (`kab<runId>c`). */
  readonly clientDev: string;
  /** Link device that ends up in the server namespace (`kab<runId>s`). */
  readonly serverDev: string;
}

/**
 * Written before any kernel object of a run exists, removed after the last one is gone: lets a later
 * cleanup tell a dead run's objects from a live run's.
 */
export interface OwnershipRecord {
  pid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner. */
  pid_start_ticks: number | null;
  started_at: string;
  netns: string[];
  links: string[];
}

const RUN_ID_RE = /^[0-9a-f]{6}$/;

/** Names the harness gives its namespaces (`kab-<run id>-c|s|p`) and links (`kab<run id><letter>`). */
const HARNESS_NETNS_RE = /^kab-([0-9a-f]{6})-[a-z]$/;
const HARNESS_LINK_RE = /^kab([0-9a-f]{6})[a-z]$/;

/** The run id in a name the harness gives its kernel objects; null for any other name (`kabinet`, `kab0`). */
export function harnessRunIdOf(name: string): string | null {
  return (HARNESS_NETNS_RE.exec(name) ?? HARNESS_LINK_RE.exec(name))?.[1] ?? null;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

export function namespaceNames(runId: string): Namespaces {
  if (!RUN_ID_RE.test(runId)) throw new Error(`run id must be 6 lowercase hex characters, got "${runId}"`);
  return {
    runId,
    clientNs: `kab-${runId}-c`,
    serverNs: `kab-${runId}-s`,
    clientAddr: CLIENT_ADDR,
    serverAddr: SERVER_ADDR,
    clientDev: `kab${runId}c`,
    serverDev: `kab${runId}s`,
  };
}

export function recordPath(runId: string): string {
  return `${RECORD_DIR}/${runId}.json`;
}

/** Start time of a process in clock ticks since boot, null if it does not exist. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** Alive, not a zombie, and (when recorded) started when the record says: a reused pid is not the owner. */
export function processAlive(pid: number, startTicks: number | null): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !existsSync(`/proc/${pid}`)) return false;
  const ticks = processStartTicks(pid);
  if (ticks === null) return false;
  return startTicks === null || ticks === startTicks;
}

export async function writeOwnershipRecord(runId: string, netns: string[], links: string[]): Promise<void> {
  const record: OwnershipRecord = {
    pid: process.pid,
    pid_start_ticks: processStartTicks(process.pid),
    started_at: new Date().toISOString(),
    netns,
    links,
  };
  await mkdir(RECORD_DIR, { recursive: true });
  // Written to a temporary name and renamed, so a concurrent cleanup never reads half a record.
  const tmp = `${recordPath(runId)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, recordPath(runId));
}

export async function removeOwnershipRecord(runId: string): Promise<void> {
  await rm(recordPath(runId), { force: true });
}

/** Every record in RECORD_DIR; a record that cannot be parsed is returned as null. */
export async function readOwnershipRecords(): Promise<Map<string, OwnershipRecord | null>> {
  const out = new Map<string, OwnershipRecord | null>();
  let names: string[];
  try {
    names = await readdir(RECORD_DIR);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const runId = name.slice(0, -'.json'.length);
    try {
      const r = JSON.parse(await readFile(`${RECORD_DIR}/${name}`, 'utf8')) as Partial<OwnershipRecord>;
      const valid =
        typeof r.pid === 'number' &&
        Array.isArray(r.netns) &&
        Array.isArray(r.links) &&
        typeof r.started_at === 'string';
      out.set(
        runId,
        valid
          ? {
              pid: r.pid as number,
              pid_start_ticks: typeof r.pid_start_ticks === 'number' ? r.pid_start_ticks : null,
              started_at: r.started_at as string,
              netns: (r.netns as unknown[]).filter((x): x is string => typeof x === 'string'),
              links: (r.links as unknown[]).filter((x): x is string => typeof x === 'string'),
            }
          : null,
      );
    } catch {
      out.set(runId, null);
    }
  }
  return out;
}

/** Throws a UserError when this process cannot create namespaces. */
export function assertCanCreateNamespaces(): void {
  if (process.getuid?.() !== 0) {
    throw new UserError('creating network namespaces needs root: run as root, or use --link proxy');
  }
}

/** Runs a command (argument array); on failure throws with its stderr. */
export async function run(argv: readonly string[]): Promise<string> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty argv');
  const r = await execa(file, args, { reject: false, stdin: 'ignore' });
  if (r.failed) {
    const why = (typeof r.stderr === 'string' && r.stderr.trim()) || r.shortMessage;
    throw new Error(`${argv.join(' ')}: ${why}`);
  }
  return typeof r.stdout === 'string' ? r.stdout : '';
}

export async function listNetns(): Promise<string[]> {
  const out = await run(['ip', 'netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** Names of the links in the caller's namespace. */
export async function listLinks(): Promise<string[]> {
  const out = await run(['ip', '-j', 'link', 'show']);
  const links = JSON.parse(out || '[]') as Array<{ ifname?: string }>;
  return links.map((l) => l.ifname ?? '').filter((n) => n !== '');
}

export async function netnsPids(ns: string): Promise<number[]> {
  const r = await execa('ip', ['netns', 'pids', ns], { reject: false, stdin: 'ignore' });
  if (r.failed) return [];
  return String(r.stdout)
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** SIGKILLs every process inside ns and waits (up to 2 s) until they are gone. */
export async function killNetnsProcesses(ns: string): Promise<number[]> {
  const pids = await netnsPids(ns);
  for (const pid of pids) signalPid(pid, 'SIGKILL');
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline && pids.some((p) => existsSync(`/proc/${p}`) && !isZombie(p))) {
    await sleep(20);
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Kills what runs inside ns and deletes it; a namespace that does not exist is not an error. */
export async function deleteNetns(ns: string): Promise<boolean> {
  if (!(await listNetns()).includes(ns)) return false;
  await killNetnsProcesses(ns);
  await run(['ip', 'netns', 'delete', ns]);
  return true;
}

export async function createNamespaces(runId: string): Promise<Namespaces> {
  assertCanCreateNamespaces();
  const n = namespaceNames(runId);
  const existing = await listNetns();
  for (const ns of [n.clientNs, n.serverNs]) {
    if (existing.includes(ns)) throw new Error(`network namespace ${ns} already exists (run id ${runId} is in use)`);
  }
  await writeOwnershipRecord(runId, [n.clientNs, n.serverNs], [n.clientDev, n.serverDev]);
  try {
    for (const ns of [n.clientNs, n.serverNs]) {
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
      // Cached ssthresh/RTT from earlier connections would make "cold" connections warm.
      await setNamespaceSysctls(ns, { 'net.ipv4.tcp_no_metrics_save': '1' });
    }
  } catch (e) {
    await destroyNamespaces(n).catch(() => undefined);
    throw e;
  }
  return n;
}

/** Idempotent: kills the processes left in both namespaces, deletes them (their devices die with them), removes the record. */
export async function destroyNamespaces(n: Namespaces): Promise<void> {
  const errors: string[] = [];
  for (const ns of [n.clientNs, n.serverNs]) {
    try {
      await deleteNetns(ns);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  // Devices still in the root namespace (a TUN device not yet moved, say).
  try {
    const links = await listLinks();
    for (const dev of [n.clientDev, n.serverDev]) {
      if (links.includes(dev))
        await run(['ip', 'link', 'delete', 'dev', dev]).catch((e: Error) => errors.push(e.message));
    }
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length > 0) throw new Error(`could not remove namespaces of run ${n.runId}: ${errors.join('; ')}`);
  await removeOwnershipRecord(n.runId);
}

/** TCP settings recorded with every run (all are per network namespace on Linux ≥ 4.15). */
export const NAMESPACE_SYSCTL_KEYS = [
  'net.ipv4.tcp_congestion_control',
  'net.ipv4.tcp_slow_start_after_idle',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
  'net.ipv4.tcp_no_metrics_save',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_sack',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.tcp_ecn',
  'net.ipv4.tcp_fastopen',
  'net.core.somaxconn',
] as const;

const SYSCTL_KEY_RE = /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/;

function parseSysctlOutput(out: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf(' = ');
    if (i > 0)
      values[line.slice(0, i).trim()] = line
        .slice(i + 3)
        .trim()
        .split(/\s+/)
        .join(' ');
  }
  return values;
}

/** Values of NAMESPACE_SYSCTL_KEYS (and extra keys) inside ns; multi-value settings are space-separated. */
export async function readNamespaceSysctls(
  ns: string,
  extraKeys: readonly string[] = [],
): Promise<Record<string, string>> {
  const keys = [...NAMESPACE_SYSCTL_KEYS, ...extraKeys];
  for (const k of keys) if (!SYSCTL_KEY_RE.test(k)) throw new Error(`not a sysctl key: ${k}`);
  // A key the kernel lacks makes sysctl exit non-zero but still print the others.
  const r = await execa('ip', ['netns', 'exec', ns, 'sysctl', ...keys], { reject: false, stdin: 'ignore' });
  const values = parseSysctlOutput(String(r.stdout));
  if (Object.keys(values).length === 0) throw new Error(`could not read sysctls in ${ns}: ${String(r.stderr).trim()}`);
  return values;
}

export function hostAllowedCongestionControls(): string[] {
  return readFileSync('/proc/sys/net/ipv4/tcp_allowed_congestion_control', 'utf8').trim().split(/\s+/);
}

export async function setNamespaceSysctls(ns: string, values: Record<string, string>): Promise<void> {
  const entries = Object.entries(values);
  if (entries.length === 0) return;
  for (const [k, v] of entries) {
    if (!SYSCTL_KEY_RE.test(k)) throw new UserError(`not a sysctl key: "${k}"`);
    if (/[\n=]/.test(v)) throw new UserError(`bad value for ${k}: "${v}"`);
  }
  const cc = values['net.ipv4.tcp_congestion_control'];
  if (cc !== undefined) {
    const allowed = hostAllowedCongestionControls();
    if (!allowed.includes(cc.trim())) {
      throw new UserError(
        `congestion control "${cc}" is not in the host's net.ipv4.tcp_allowed_congestion_control (${allowed.join(' ')}): choose one of those`,
      );
    }
  }
  const args = entries.map(([k, v]) => `${k}=${v.trim().split(/\s+/).join(' ')}`);
  await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...args]);
}

interface IpRouteJson {
  dst?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metrics?: Array<Record<string, unknown>>;
}

async function routes(ns: string): Promise<IpRouteJson[]> {
  return JSON.parse((await run(['ip', '-n', ns, '-j', 'route', 'show'])) || '[]') as IpRouteJson[];
}

function metric(r: IpRouteJson, name: string): number | null {
  for (const m of r.metrics ?? []) {
    const v = m[name];
    if (typeof v === 'number') return v;
  }
  return null;
}

/** initcwnd/initrwnd of every route in ns's main table (null = kernel default, 10 segments). */
export async function readRouteInitcwnd(ns: string): Promise<RouteWindows[]> {
  return (await routes(ns)).map((r) => ({
    dst: r.dst ?? '',
    dev: r.dev ?? '',
    initcwnd: metric(r, 'initcwnd'),
    initrwnd: metric(r, 'initrwnd'),
  }));
}

/** Sets (or, with null, clears) initcwnd/initrwnd on every route through dev in ns. */
export async function setRouteInitcwnd(
  ns: string,
  dev: string,
  initcwnd: number | null,
  initrwnd: number | null,
): Promise<void> {
  for (const [name, v] of [
    ['initcwnd', initcwnd],
    ['initrwnd', initrwnd],
  ] as const) {
    if (v !== null && !(Number.isInteger(v) && v >= 1 && v <= 1000)) {
      throw new UserError(`${name} must be an integer from 1 to 1000, got ${v}`);
    }
  }
  const mine = (await routes(ns)).filter((r) => r.dev === dev && r.dst);
  if (mine.length === 0) throw new Error(`no route through ${dev} in ${ns}`);
  for (const r of mine) {
    const argv = ['ip', '-n', ns, 'route', 'change', r.dst as string, 'dev', dev];
    if (r.protocol) argv.push('proto', r.protocol);
    if (r.scope) argv.push('scope', r.scope);
    if (r.prefsrc) argv.push('src', r.prefsrc);
    if (initcwnd !== null) argv.push('initcwnd', String(initcwnd));
    if (initrwnd !== null) argv.push('initrwnd', String(initrwnd));
    await run(argv);
  }
}

/** The tuning of a two-namespace link (tun, tc): each side's sysctls and its routes through the link device. */
export function namespaceTuning(n: Pick<Namespaces, 'clientNs' | 'serverNs' | 'clientDev' | 'serverDev'>): LinkTuning {
  const ns = (side: LinkSide): string => (side === 'client' ? n.clientNs : n.serverNs);
  const linkRoutes = async (side: LinkSide): Promise<RouteWindows[]> =>
    (await readRouteInitcwnd(ns(side))).filter((r) => r.dev !== '' && r.dev !== 'lo' && r.dst !== '');
  return {
    readSysctls: (side, extraKeys = []) => readNamespaceSysctls(ns(side), extraKeys),
    setSysctls: (side, values) => setNamespaceSysctls(ns(side), values),
    readRoutes: linkRoutes,
    async setInitcwnd(side, initcwnd, initrwnd) {
      for (const dev of new Set((await linkRoutes(side)).map((r) => r.dev)))
        await setRouteInitcwnd(ns(side), dev, initcwnd, initrwnd);
    },
  };
}
