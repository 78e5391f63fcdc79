// SPDX-License-Identifier: Apache-2.0
/*
 * LD_PRELOAD shim for Debian's User-Mode Linux (5.10, 6.1 and 6.12 alike) on hosts whose CPU has a large
 * XSAVE area (AVX-512, AMX: 11 KB and more).
 *
 * UML saves and restores each guest task's FPU state with ptrace(PTRACE_GETREGSET/SETREGSET, NT_X86_XSTATE)
 * through a fixed 832-byte buffer (struct _xstate: legacy area, header, YMM upper halves). A short GET is
 * fine (the host copies what fits), but the host refuses a SET that is not exactly its full user XSAVE
 * size (arch/x86/kernel/fpu/regset.c, xstateregs_set: "A whole standard-format XSAVE buffer is needed",
 * -EFAULT), so init dies at its first context switch: "userspace - ptrace set fp regs failed, errno = 14".
 *
 * The shim keeps the full state beside each of UML's buffers: a short GET reads the whole state into a
 * shadow keyed by the caller's buffer and hands back the prefix; a short SET lays the caller's prefix over
 * that shadow (or over the task's current state when the buffer was never read) and writes the whole
 * thing. Each guest thread has its own buffer in UML, so registers beyond UML's 832 bytes (AVX-512's
 * upper ZMM halves and ZMM16-31) stay with their thread. Full-size calls pass straight through.
 *
 * Built by scripts/build.sh into build/lab/uml-xstate-shim.so; src/lab/test-kernel/test-kernel.ts preloads
 * it into every UML it starts. Only the UML host process loads it: guest programs are not host executables.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NT_X86_XSTATE_NOTE 0x202
/* Larger than any x86 XSAVE area so far (AMX: ~11 KB); the host says the real size on the first GET. */
#define MAX_XSTATE_BYTES (64 * 1024)
/* Open-addressed table of shadows, one per UML buffer (one per guest thread); full = ENOMEM. */
#define SHADOW_SLOTS 16384

typedef long (*ptrace_function)(enum __ptrace_request, pid_t, void *, void *);

struct shadow {
	const void *buffer;
	unsigned char *state;
};

static ptrace_function real_ptrace;
static size_t host_xstate_bytes;
static struct shadow shadows[SHADOW_SLOTS];
static unsigned char scratch_state[MAX_XSTATE_BYTES];

static unsigned char *shadow_of(const void *buffer, int create)
{
	size_t start = ((uintptr_t)buffer >> 4) % SHADOW_SLOTS;
	for (size_t probe = 0; probe < SHADOW_SLOTS; probe++) {
		struct shadow *slot = &shadows[(start + probe) % SHADOW_SLOTS];
		if (slot->buffer == buffer)
			return slot->state;
		if (slot->buffer != NULL)
			continue;
		if (!create)
			return NULL;
		slot->state = malloc(host_xstate_bytes);
		if (slot->state == NULL)
			return NULL;
		slot->buffer = buffer;
		return slot->state;
	}
	return NULL;
}

static long get_whole_state(pid_t pid, unsigned char *into)
{
	struct iovec whole = { into, host_xstate_bytes };
	return real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &whole);
}

static long learn_host_xstate_bytes(pid_t pid)
{
	struct iovec probe = { scratch_state, sizeof(scratch_state) };
	long result = real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &probe);
	if (result == 0)
		host_xstate_bytes = probe.iov_len;
	return result;
}

long ptrace(enum __ptrace_request request, ...)
{
	va_list arguments;
	va_start(arguments, request);
	pid_t pid = va_arg(arguments, pid_t);
	void *address = va_arg(arguments, void *);
	void *data = va_arg(arguments, void *);
	va_end(arguments);

	if (real_ptrace == NULL)
		real_ptrace = (ptrace_function)dlsym(RTLD_NEXT, "ptrace");
	int xstate = (request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) &&
		     (uintptr_t)address == NT_X86_XSTATE_NOTE;
	if (!xstate)
		return real_ptrace(request, pid, address, data);
	if (host_xstate_bytes == 0 && learn_host_xstate_bytes(pid) != 0)
		return -1;

	struct iovec *caller = data;
	if (caller->iov_len >= host_xstate_bytes)
		return real_ptrace(request, pid, address, data);

	if (request == PTRACE_GETREGSET) {
		unsigned char *shadow = shadow_of(caller->iov_base, 1);
		if (shadow == NULL) {
			errno = ENOMEM;
			return -1;
		}
		if (get_whole_state(pid, shadow) != 0)
			return -1;
		memcpy(caller->iov_base, shadow, caller->iov_len);
		return 0;
	}
	unsigned char *base = shadow_of(caller->iov_base, 0);
	if (base == NULL) {
		if (get_whole_state(pid, scratch_state) != 0)
			return -1;
		base = scratch_state;
	}
	memcpy(base, caller->iov_base, caller->iov_len);
	struct iovec whole = { base, host_xstate_bytes };
	return real_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &whole);
}
