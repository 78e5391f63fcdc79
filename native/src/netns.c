/*
 * setns() into a Pod's network namespace on the calling thread and back (never `ip netns exec`: it remounts
 * /sys and hides bpffs pins, docs/design.md, "Pitfalls"). Netlink sockets bind to the namespace they are created in,
 * so every socket is opened after netns_enter and closed before netns_leave.
 */
#include "netns.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int netns_enter(const char *path, struct netns_guard *guard)
{
	guard->original_fd = -1;
	if (path[0] == '\0')
		return 0;
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	int original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (original < 0) {
		int error = errno;
		close(target);
		return -error;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		int error = errno;
		close(target);
		close(original);
		/* EINVAL: the path is not a network namespace (e.g. a plain file): treat as "no such namespace". */
		return error == EINVAL ? -ENOENT : -error;
	}
	close(target);
	guard->original_fd = original;
	return 0;
}

void netns_leave(struct netns_guard *guard)
{
	if (guard->original_fd < 0)
		return;
	if (setns(guard->original_fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "pacer native: cannot return to the original network namespace: %s\n", strerror(errno));
		abort();
	}
	close(guard->original_fd);
	guard->original_fd = -1;
}
