/*
 * LD_PRELOAD shim for linux.uml on hosts whose XSAVE area is larger than the 6.1 user-mode kernel's own
 * (any CPU with AVX-512, PKU or AMX: here 832 bytes against the host's full size). UML saves and restores a
 * guest thread's FP/vector registers with PTRACE_GETREGSET / PTRACE_SETREGSET NT_X86_XSTATE and a buffer of
 * its own fixed size, and the host kernel accepts only a whole XSAVE buffer on a set (x86 xstateregs_set:
 * EFAULT otherwise), so the first process UML starts dies ("ptrace set fp regs failed, errno = 14").
 *
 * This keeps, per UML buffer (one per guest thread), the whole state the host gave on the last get, hands UML
 * its part, and on a set lays UML's part over that thread's own whole state before writing it: the state UML
 * does not know (AVX-512's upper registers and masks, PKRU, AMX) stays the thread's, and never leaks from one
 * guest thread to another that shares the host process.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef long (*ptrace_fn)(int, pid_t, void *, void *);

#define MAX_XSTATE 65536
#define SLOTS 8192

/* Open addressing on the UML buffer's address; a slot holds that thread's whole state from its last get. */
struct slot {
  void *key;
  size_t len;
  unsigned char *state;
};
static struct slot slots[SLOTS];

static struct slot *slot_for(void *key, int create) {
  size_t h = ((uintptr_t)key >> 4) % SLOTS;
  for (size_t i = 0; i < SLOTS; i++) {
    struct slot *s = &slots[(h + i) % SLOTS];
    if (s->key == key) return s;
    if (s->key == NULL) {
      if (!create) return NULL;
      s->state = malloc(MAX_XSTATE);
      if (s->state == NULL) return NULL;
      s->key = key;
      s->len = 0;
      return s;
    }
  }
  return NULL;
}

static long raw(long request, pid_t pid, void *addr, void *data) {
  return syscall(SYS_ptrace, request, pid, addr, data);
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if ((request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) && (long)addr == NT_X86_XSTATE && data != NULL) {
    struct iovec *part = data;
    struct slot *s = slot_for(part->iov_base, request == PTRACE_GETREGSET);
    if (request == PTRACE_GETREGSET && s != NULL) {
      struct iovec all = {s->state, MAX_XSTATE};
      long r = raw(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &all);
      if (r != 0) return r;
      s->len = all.iov_len;
      size_t n = part->iov_len < all.iov_len ? part->iov_len : all.iov_len;
      memcpy(part->iov_base, s->state, n);
      part->iov_len = n;
      return 0;
    }
    if (request == PTRACE_SETREGSET) {
      static unsigned char whole[MAX_XSTATE] __attribute__((aligned(64)));
      struct iovec all = {whole, MAX_XSTATE};
      if (s != NULL && s->len > part->iov_len) {
        /* This thread's own state, from its last save. */
        memcpy(whole, s->state, s->len);
        all.iov_len = s->len;
      } else if (raw(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &all) != 0 || all.iov_len <= part->iov_len) {
        goto passthrough; /* no larger state to keep: UML's buffer is whole */
      }
      memcpy(whole, part->iov_base, part->iov_len);
      return raw(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &all);
    }
  }
passthrough:;
  static ptrace_fn real;
  if (real == NULL) real = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  return real(request, pid, addr, data);
}
