/**
 * Per-socket TCP options through setsockopt (Node sets only SO_KEEPALIVE + TCP_KEEPIDLE). libc is bound on the
 * first call (lib/ffi.ts): where koffi cannot load, that call says "needs koffi/glibc (Linux): …".
 */
import type net from 'node:net';
import { loadLibc } from '../../lib/ffi.ts';

export interface TcpKeepalive {
  idle_s: number;
  intvl_s: number;
  probes: number;
}

const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;
const TCP_USER_TIMEOUT = 18;

type SetSockOpt = (fd: number, level: number, name: number, val: Buffer, len: number) => number;
let setsockoptFn: SetSockOpt | null = null;
function setsockopt(): SetSockOpt {
  if (!setsockoptFn) {
    setsockoptFn = loadLibc().func(
      'int setsockopt(int fd, int level, int name, const void *val, uint32_t len)',
    ) as SetSockOpt;
  }
  return setsockoptFn;
}

function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

function setTcpInt(socket: net.Socket, name: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  if (setsockopt()(socketFd(socket), IPPROTO_TCP, name, b, 4) !== 0)
    throw new Error(`setsockopt(${name}, ${value}) failed`);
}

/** Applies the strategy's TCP settings to a connected socket. */
export function applyTcpOptions(socket: net.Socket, ka: TcpKeepalive | null, user_timeout_ms: number | null): void {
  if (ka) {
    socket.setKeepAlive(true, ka.idle_s * 1000);
    setTcpInt(socket, TCP_KEEPIDLE, ka.idle_s);
    setTcpInt(socket, TCP_KEEPINTVL, ka.intvl_s);
    setTcpInt(socket, TCP_KEEPCNT, ka.probes);
  } else {
    socket.setKeepAlive(false);
  }
  if (user_timeout_ms !== null) setTcpInt(socket, TCP_USER_TIMEOUT, user_timeout_ms);
}
