/*
 * LD_PRELOAD shim for linux.uml on hosts whose CPUs have large XSAVE state (AMX): the 6.1 user-mode kernel
 * restores a process's FP registers with PTRACE_SETREGSET NT_X86_XSTATE and a buffer of its own fixed size,
 * and the host kernel accepts only a whole XSAVE buffer (x86 xstateregs_set: EFAULT otherwise), so the first
 * process UML starts dies ("ptrace set fp regs failed, errno = 14"). This pads the write: read the whole
 * state, lay UML's part (legacy area, header and the features it knows) over it, and write the whole.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (request == PTRACE_SETREGSET && (long)addr == NT_X86_XSTATE && data != NULL) {
    static __thread unsigned char whole[65536] __attribute__((aligned(64)));
    struct iovec *part = data;
    struct iovec all = {whole, sizeof whole};
    if (syscall(SYS_ptrace, PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &all) == 0 && all.iov_len > part->iov_len) {
      memcpy(whole, part->iov_base, part->iov_len);
      return syscall(SYS_ptrace, PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &all);
    }
  }
  static ptrace_fn real;
  if (real == NULL) real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  return real(request, pid, addr, data);
}
