/**
 * Under sudo a run writes as root; what it created is handed to the user who ran sudo (SUDO_UID/SUDO_GID), so
 * they can read, move and delete their results. Never through a symlink (lchown: a link is changed, never its
 * target; a folder is entered only if it is a real one), never a file this process did not create (only entries
 * owned by its own uid), never outside the folder the caller names, and never below a folder a third user could
 * change meanwhile (one they own, or may write to without the sticky bit): lchown does not follow the last
 * component of a path, but the kernel follows every one before it.
 */
import { lchownSync, lstatSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { errorMessage } from './errors.ts';

export interface InvokingUser {
  uid: number;
  gid: number;
}

/** uid_t/gid_t are 32 bits and (uid_t)-1 means "leave unchanged". */
const MAX_ID = 0xfffffffe;

/**
 * The user who ran sudo, when this process runs as root and SUDO_UID and SUDO_GID are both set (digits only);
 * else null (not root, not under sudo, or sudo from root itself: nothing to hand over).
 */
export function invokingUser(
  env: NodeJS.ProcessEnv = process.env,
  euid: number | null = process.geteuid?.() ?? null,
): InvokingUser | null {
  if (euid !== 0) return null;
  const u = env.SUDO_UID;
  const g = env.SUDO_GID;
  if (u === undefined || g === undefined || !/^\d{1,10}$/.test(u) || !/^\d{1,10}$/.test(g)) return null;
  const uid = Number(u);
  const gid = Number(g);
  if (uid === 0 || uid > MAX_ID || gid > MAX_ID) return null;
  return { uid, gid };
}

export interface OwnOptions {
  /** A folder's contents too, depth first: each folder is handed over after what is in it. */
  walk?: boolean;
  /** Only if path is a symlink whose text is exactly this (e.g. latest, still pointing at this run). */
  linkTarget?: string;
  /** Default: invokingUser(). */
  user?: InvokingUser | null;
  /** The uid of what this process created (default: its euid). */
  self?: number;
}

/** Whether a folder can be changed (entries renamed, replaced) by nobody but root, self and the user. */
function trustedDir(st: Stats, self: number, user: InvokingUser): boolean {
  if (!st.isDirectory()) return false;
  if (st.uid !== 0 && st.uid !== self && st.uid !== user.uid) return false;
  if ((st.mode & 0o1000) !== 0) return true; // sticky: others may add entries, not rename or replace ours
  if ((st.mode & 0o002) !== 0) return false;
  // Group-writable only when the group is root's: the user's own group may be shared (users, staff).
  return (st.mode & 0o020) === 0 || st.gid === 0;
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}

/** Why the folders leading to dir (itself included) are not safe to lchown below, or null. */
function untrustedAncestor(dir: string, self: number, user: InvokingUser): string | null {
  const parts = dir.split(sep).filter((p) => p !== '');
  let here: string = sep;
  for (let i = 0; ; i++) {
    const st = lstatSync(here);
    if (!trustedDir(st, self, user)) {
      const mode = (st.mode & 0o7777).toString(8);
      return `${here} (uid ${st.uid}, gid ${st.gid}, mode ${mode}) may be changed by another user`;
    }
    if (i === parts.length) return null;
    here = join(here, parts[i] as string);
  }
}

function handOver(path: string, self: number, user: InvokingUser, walk: boolean, problems: string[]): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${path}: ${errorMessage(e)}`);
    return;
  }
  if (st.uid !== self) return; // not created by this process (or handed over already)
  // A hard link to a file elsewhere would hand that inode over too: a run's own files have one link.
  if (st.isFile() && st.nlink > 1) {
    problems.push(`${path}: has ${st.nlink} hard links: left as it is`);
    return;
  }
  if (walk && trustedDir(st, self, user)) {
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch (e) {
      problems.push(`${path}: ${errorMessage(e)}`);
    }
    for (const name of names) handOver(join(path, name), self, user, true, problems);
  }
  try {
    lchownSync(path, user.uid, user.gid);
  } catch (e) {
    problems.push(`${path}: ${errorMessage(e)}`);
  }
}

/**
 * Hands path (with walk: and everything in it) to the invoking user, if there is one; path must lie in within.
 * Returns what could not be handed over, one line each (empty: done, or nothing to do).
 */
export function ownToInvokingUser(path: string, within: string, opts: OwnOptions = {}): string[] {
  const user = opts.user === undefined ? invokingUser() : opts.user;
  if (user === null) return [];
  const self = opts.self ?? process.geteuid?.() ?? 0;
  const problems: string[] = [];
  try {
    // The real folder path is checked and used, so no symlink is followed after the check.
    const folder = realpathSync(within);
    const parent = realpathSync(dirname(resolve(path)));
    const name = basename(resolve(path));
    const target = join(parent, name);
    if (!inside(target, folder)) return [`${target} is outside ${folder}: not handed over`];
    const unsafe = untrustedAncestor(parent, self, user);
    if (unsafe) return [`${target} not handed to uid ${user.uid}: ${unsafe}`];
    if (opts.linkTarget !== undefined) {
      const st = lstatSync(target, { throwIfNoEntry: false });
      if (!st?.isSymbolicLink() || readlinkSync(target) !== opts.linkTarget) return [];
    }
    handOver(target, self, user, opts.walk === true, problems);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${path}: ${errorMessage(e)}`);
  }
  return problems;
}

const atExit = new Map<string, { within: string; opts: OwnOptions }>();
let exitHookInstalled = false;

/** The hand-overs registered so far, the last registered first (what is inside before what holds it). */
export function runPendingHandOvers(): string[] {
  const entries = [...atExit].reverse();
  atExit.clear();
  return entries.flatMap(([path, { within, opts }]) => ownToInvokingUser(path, within, opts));
}

/**
 * ownToInvokingUser(path, within, opts) when the process exits, however it exits short of a kill -9: after the
 * last file of the run is written (the report, meta.json's final status). Nothing is registered when there is
 * no invoking user. What fails is said on stderr, one line each.
 */
export function ownAtExit(path: string, within: string, opts: Omit<OwnOptions, 'user' | 'self'> = {}): void {
  if (invokingUser() === null) return;
  atExit.delete(resolve(path));
  atExit.set(resolve(path), { within: resolve(within), opts });
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    const problems = runPendingHandOvers();
    for (const p of problems.slice(0, 5))
      process.stderr.write(`warning: could not hand a file to the sudo user (SUDO_UID): ${p}\n`);
    if (problems.length > 5) process.stderr.write(`warning: … and ${problems.length - 5} more\n`);
  });
}

/**
 * Hands files just written (each inside `within`) to the invoking user now; what fails is a warning on stderr.
 * For commands whose outputs are finished when they return (report, compare, gate, serve's certificate).
 */
export function ownWritten(paths: readonly string[], within: string): void {
  for (const p of paths.flatMap((f) => ownToInvokingUser(f, within)))
    process.stderr.write(`warning: could not hand a file to the sudo user (SUDO_UID): ${p}\n`);
}
