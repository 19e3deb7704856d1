/**
 * Runs a command inside a user-mode Linux kernel (Debian's `user-mode-linux`: Linux 6.1 as a process, with
 * sch_netem, sch_tbf, veth, tun, tcp_bbr, nf_conntrack and nf_tables as modules) whose root filesystem is this
 * machine's `/` (hostfs), so the command sees this checkout and writes where the host can read it afterwards.
 * The live tc tests use it on machines whose own kernel has no sch_netem. One CPU: timing is noisier.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { claimSignals } from '../../../lib/signals.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODULES_ROOT = '/usr/lib/uml/modules';
const SHIM_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'xstate-shim.c');

/** Modules loaded at boot, by name (modprobe resolves their dependencies). */
export const UML_MODULES = [
  'sch_netem',
  'sch_tbf',
  'sch_htb',
  'veth',
  'tun',
  'ifb',
  'tcp_bbr',
  'nf_conntrack',
  'ip_tables',
  'iptable_filter',
  'xt_conntrack',
  'xt_comment',
];

/** Environment passed into the user-mode kernel besides what the caller gives. */
const PASSED_ENV = ['KAB_REQUIRE_PRIVILEGED', 'KAB_DEBUG', 'NODE_OPTIONS', 'TERM'];

export interface UmlRunOptions {
  /** Working directory inside (default: this process's). */
  cwd?: string;
  env?: Record<string, string>;
  /** Kill the kernel after this long (default 10 min). */
  timeout_ms?: number;
  /** Memory of the user-mode kernel (default 2G). */
  mem?: string;
  /** Called with output as the command writes it. */
  onOutput?: (chunk: string) => void;
}

export interface UmlResult {
  /** The command's exit code; null when the kernel ended first (crash, timeout). */
  code: number | null;
  output: string;
  /** Why there is no exit code, when there is none. */
  failure: string | null;
  elapsed_ms: number;
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function kernelVersion(): string | null {
  if (!existsSync(MODULES_ROOT)) return null;
  return readdirSync(MODULES_ROOT).find((v) => existsSync(join(MODULES_ROOT, v, 'modules.dep'))) ?? null;
}

/** null when runInUml can work here; else what is missing, in one line. */
export function umlUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "not root (the user-mode kernel needs this machine's / as root)";
  if (!which('linux.uml')) return 'linux.uml missing (apt-get install user-mode-linux kmod)';
  if (!which('modprobe')) return 'modprobe missing (apt-get install kmod)';
  if (kernelVersion() === null) return `no user-mode kernel modules under ${MODULES_ROOT}`;
  if (!which('cc')) return 'no C compiler for the XSAVE shim (apt-get install gcc)';
  return null;
}

/**
 * The LD_PRELOAD shim (see xstate-shim.c), built into the run's own private folder: a library that a root
 * process preloads must not come from a path another user can create first.
 */
function buildShim(work: string): string {
  const out = join(work, 'xstate-shim.so');
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, SHIM_SOURCE, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot build the user-mode kernel's XSAVE shim: ${r.stderr.trim()}`);
  return out;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function initScript(
  work: string,
  kver: string,
  argv: readonly string[],
  cwd: string,
  env: Record<string, string>,
): string {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`);
  return [
    '#!/bin/sh',
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root',
    ...exports,
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t tmpfs run /run',
    // Its own /dev (the kernel mounts devtmpfs itself; make sure): nothing below is created on the host's.
    'mountpoint -q /dev || mount -t devtmpfs dev /dev',
    'mkdir -p /run/netns /dev/net /dev/shm; mount -t tmpfs shm /dev/shm',
    // modprobe reads <root>/lib/modules/<version>: a root of our own in the work folder, nothing written to /.
    `modprobe -d ${shQuote(join(work, 'root'))} -a ${UML_MODULES.join(' ')} 2> ${shQuote(join(work, 'modprobe.err'))}`,
    '[ -e /dev/net/tun ] || mknod /dev/net/tun c 10 200',
    'ip link set lo up',
    `cd ${shQuote(cwd)}`,
    `${argv.map(shQuote).join(' ')} > ${shQuote(join(work, 'out'))} 2>&1`,
    `echo $? > ${shQuote(join(work, 'rc'))}`,
    'poweroff -f',
    '',
  ].join('\n');
}

export async function runInUml(argv: readonly string[], opts: UmlRunOptions = {}): Promise<UmlResult> {
  const why = umlUnavailableReason();
  if (why) throw new Error(`user-mode kernel unavailable: ${why}`);
  const kver = kernelVersion() ?? '';
  const started = Date.now();
  // /tmp, not $TMPDIR: the path goes on the kernel's command line, where a space would split it.
  const work = mkdtempSync('/tmp/kab-uml-');
  const env: Record<string, string> = {};
  for (const k of PASSED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k] ?? '';
  Object.assign(env, opts.env ?? {});
  for (const k of Object.keys(env))
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not an environment variable name: "${k}"`);
  try {
    const shim = buildShim(work);
    mkdirSync(join(work, 'root', 'lib', 'modules'), { recursive: true });
    symlinkSync(join(MODULES_ROOT, kver), join(work, 'root', 'lib', 'modules', kver));
    writeFileSync(join(work, 'init'), initScript(work, kver, argv, opts.cwd ?? process.cwd(), env), { mode: 0o755 });
    writeFileSync(join(work, 'out'), '');
    const child = spawn(
      'linux.uml',
      [
        `mem=${opts.mem ?? '2G'}`,
        'root=/dev/root',
        'rootfstype=hostfs',
        'rootflags=/',
        'rw',
        `init=${join(work, 'init')}`,
        'con0=null,fd:1',
        'con=null',
        `umid=kab-uml-${process.pid}`,
        `uml_dir=${work}`,
      ],
      { env: { ...process.env, LD_PRELOAD: shim }, stdio: ['ignore', 'ignore', 'ignore'], detached: true },
    );
    let sent = 0;
    const flush = (): string => {
      const all = readFileSync(join(work, 'out'), 'utf8');
      if (all.length > sent) opts.onOutput?.(all.slice(sent));
      sent = all.length;
      return all;
    };
    const poll = setInterval(flush, 250);
    // A test process that exits (or fails) before the kernel ends must not leave it running: kill its group.
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killGroup);
    // A signal that ends this process ends the kernel too (it runs in a group of its own).
    const releaseSignals = claimSignals((signal) => {
      killGroup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeout_ms ?? 600_000);
    await new Promise<void>((resolve) => child.on('exit', () => resolve()));
    clearTimeout(timer);
    clearInterval(poll);
    process.off('exit', killGroup);
    releaseSignals();
    // The kernel's helper processes share its group: none may outlive it.
    killGroup();
    const output = flush();
    const rcPath = join(work, 'rc');
    const code = existsSync(rcPath) ? Number(readFileSync(rcPath, 'utf8').trim()) : null;
    const modprobeErr = existsSync(join(work, 'modprobe.err'))
      ? readFileSync(join(work, 'modprobe.err'), 'utf8').trim()
      : '';
    const failure =
      code !== null
        ? null
        : timedOut
          ? `timed out after ${opts.timeout_ms ?? 600_000} ms`
          : `the user-mode kernel ended before the command did${modprobeErr ? ` (modprobe: ${modprobeErr})` : ''}`;
    return { code, output, failure, elapsed_ms: Date.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
