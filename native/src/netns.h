/* Run work inside a network namespace given by path, on the calling thread, and always come back. */
#ifndef PACER_NETNS_H
#define PACER_NETNS_H

struct netns_guard {
	int original_fd; /* -1 when no switch was made */
};

/* path "" = stay in the current namespace. Returns 0 or -errno (ENOENT: no such namespace). */
int netns_enter(const char *path, struct netns_guard *guard);
/* Returns to the original namespace; aborts the process if that is impossible (the thread would otherwise
 * keep working in a Pod's namespace). */
void netns_leave(struct netns_guard *guard);

#endif
