/**
 * koffi (the C FFI) and the C library, loaded on first use, never at import: only the TUN delay line and the
 * per-socket TCP options call C, so everything else — every --help, the report, compare, the proxy link — works
 * where koffi cannot load (a Linux with musl, no prebuilt binary for this platform, no libc.so.6; off Linux the
 * entry points stop earlier, saying so, except --help and --version).
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { UserError, errorMessage } from './errors.ts';

export type KoffiModule = typeof Koffi;
export type LibraryHandle = Koffi.LibraryHandle;

/** The C library koffi opens: glibc's soname. */
export const LIBC_SONAME = 'libc.so.6';

const require = createRequire(import.meta.url);

let koffi: KoffiModule | null = null;
let libc: LibraryHandle | null = null;

/** The user-facing error when the FFI cannot load: one line, what is needed, and why it failed here. */
export function ffiUnavailable(reason: string): UserError {
  return new UserError(`needs koffi/glibc (Linux): ${reason.split('\n')[0]}`);
}

/** The koffi module, loaded once; a UserError "needs koffi/glibc (Linux): …" when it cannot load. */
export function loadKoffi(): KoffiModule {
  if (koffi) return koffi;
  try {
    koffi = require('koffi') as KoffiModule;
  } catch (e) {
    throw ffiUnavailable(`cannot load koffi: ${errorMessage(e)}`);
  }
  return koffi;
}

/** glibc through koffi, opened once; a UserError "needs koffi/glibc (Linux): …" when either cannot load. */
export function loadLibc(): LibraryHandle {
  if (libc) return libc;
  const k = loadKoffi();
  try {
    libc = k.load(LIBC_SONAME);
  } catch (e) {
    throw ffiUnavailable(`cannot open ${LIBC_SONAME}: ${errorMessage(e)}`);
  }
  return libc;
}

/** null when koffi and glibc load here, else why not (for a backend's availability probe). */
export function ffiUnavailableReason(): string | null {
  try {
    loadLibc();
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}
