/**
 * The system calls the TUN delay line needs, through koffi: create a TUN device (open + TUNSETIFF), read and
 * write one IP packet per call on a non-blocking fd, wait with ppoll, and tighten the timer slack.
 *
 * The device is non-persistent: it disappears when the last fd on it is closed, i.e. when the process that
 * opened it dies, however it dies. That is the cleanup guarantee for devices.
 *
 * koffi and libc are bound on the first call (lib/ffi.ts), not at import: a system where they cannot load gets
 * "needs koffi/glibc (Linux): …" from the first call, and everything that only imports this module still works.
 */
import { loadKoffi, loadLibc } from '../lib/ffi.ts';
import { UserError } from '../lib/errors.ts';

const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;
const PR_SET_TIMERSLACK = 29;

export const POLLIN = 0x001;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const EINTR = 4;
export const EAGAIN = 11;

const SCHED_FIFO = 1;

type CFn = (...args: unknown[]) => unknown;
interface Libc {
  errno: () => number;
  open: CFn;
  ioctl: CFn;
  close: CFn;
  read: CFn;
  write: CFn;
  ppoll: CFn;
  prctl: CFn;
  strerror: CFn;
  sched_setscheduler: CFn;
}

let bound: Libc | null = null;

/** The C functions, bound on first use. */
function c(): Libc {
  if (bound) return bound;
  const koffi = loadKoffi();
  const libc = loadLibc();
  bound = {
    errno: () => koffi.errno(),
    open: libc.func('int open(const char *path, int flags, ...)'),
    ioctl: libc.func('int ioctl(int fd, unsigned long request, ...)'),
    close: libc.func('int close(int fd)'),
    read: libc.func('long read(int fd, void *buf, unsigned long count)'),
    write: libc.func('long write(int fd, const void *buf, unsigned long count)'),
    ppoll: libc.func('int ppoll(void *fds, unsigned long nfds, void *timeout, void *sigmask)'),
    prctl: libc.func('int prctl(int option, ...)'),
    strerror: libc.func('const char *strerror(int errnum)'),
    sched_setscheduler: libc.func('int sched_setscheduler(int pid, int policy, void *param)'),
  };
  return bound;
}

export function errno(): number {
  return c().errno();
}

export function strerror(code: number): string {
  return String(c().strerror(code));
}

/** Creates TUN device `name` (IFF_TUN | IFF_NO_PI) in the caller's namespace and returns its non-blocking fd. */
export function openTun(name: string): number {
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new Error(`device name "${name}" is longer than 15 bytes`);
  const fd = c().open('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC) as number;
  if (fd < 0) {
    const e = errno();
    if (e === 2) throw new UserError('/dev/net/tun is missing: load the tun module (modprobe tun) or use --link proxy');
    if (e === 1 || e === 13) throw new UserError('opening /dev/net/tun needs root: run as root or use --link proxy');
    throw new Error(`open /dev/net/tun: ${strerror(e)}`);
  }
  const ifr = Buffer.alloc(IFREQ_SIZE);
  ifr.write(name, 0, 'utf8');
  ifr.writeInt16LE(IFF_TUN | IFF_NO_PI, IFNAMSIZ);
  if ((c().ioctl(fd, TUNSETIFF, 'void *', ifr) as number) < 0) {
    const e = errno();
    c().close(fd);
    throw new Error(`TUNSETIFF ${name}: ${strerror(e)}`);
  }
  return fd;
}

export function closeFd(fd: number): void {
  c().close(fd);
}

/** Reads one packet into buf; returns its length, -EAGAIN when nothing is waiting, or another -errno. */
export function readPacket(fd: number, buf: Buffer): number {
  const n = c().read(fd, buf, buf.length) as number;
  return n >= 0 ? n : -errno();
}

/** Writes one packet (the first len bytes of buf); returns bytes written or -errno. */
export function writePacket(fd: number, buf: Buffer, len: number): number {
  const n = c().write(fd, buf, len) as number;
  return n >= 0 ? n : -errno();
}

/** A reusable ppoll call on a fixed list of fds. */
export class Poller {
  private readonly pollfds: Buffer;
  private readonly timespec = Buffer.alloc(16);

  constructor(private readonly fds: readonly number[]) {
    this.pollfds = Buffer.alloc(8 * fds.length);
    fds.forEach((fd, i) => {
      this.pollfds.writeInt32LE(fd, 8 * i);
      this.pollfds.writeInt16LE(POLLIN, 8 * i + 4);
    });
  }

  /** Waits until an fd is readable or timeout_ns passed (null = no timeout); returns ppoll's result or -errno. */
  wait(timeout_ns: number | null): number {
    for (let i = 0; i < this.fds.length; i++) this.pollfds.writeInt16LE(0, 8 * i + 6);
    let ts: Buffer | null = null;
    if (timeout_ns !== null) {
      const ns = Math.max(0, Math.ceil(timeout_ns));
      const sec = Math.floor(ns / 1e9);
      // Two little-endian int64 (tv_sec, tv_nsec), written as 32-bit halves: both fit in 31 bits.
      this.timespec.writeInt32LE(Math.min(sec, 0x7fffffff), 0);
      this.timespec.writeInt32LE(0, 4);
      this.timespec.writeInt32LE(ns - sec * 1e9, 8);
      this.timespec.writeInt32LE(0, 12);
      ts = this.timespec;
    }
    const n = c().ppoll(this.pollfds, this.fds.length, ts, null) as number;
    return n >= 0 ? n : -errno();
  }

  /** revents of the i-th fd after the last wait(). */
  revents(i: number): number {
    return this.pollfds.readInt16LE(8 * i + 6);
  }
}

/** Timer slack of the calling thread in ns (default 50 µs): 1 makes ppoll wake up on time. */
export function setTimerSlack(slack_ns: number): void {
  if ((c().prctl(PR_SET_TIMERSLACK, 'unsigned long', slack_ns) as number) < 0) {
    throw new Error(`prctl(PR_SET_TIMERSLACK): ${strerror(errno())}`);
  }
}

/** Puts the calling thread in SCHED_FIFO at priority; returns an error string or null. */
export function setRealtimePriority(priority: number): string | null {
  const param = Buffer.alloc(4);
  param.writeInt32LE(priority, 0);
  return (c().sched_setscheduler(0, SCHED_FIFO, param) as number) < 0 ? strerror(errno()) : null;
}
