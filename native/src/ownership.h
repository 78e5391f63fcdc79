/*
 * Per-environment ownership of native handles (as better-sqlite3 does): each BPF object and each fd the
 * addon hands to JavaScript as "yours to close" is registered with the Node environment (main thread or a
 * worker) that opened it. JavaScript closes it explicitly; whatever is still open when that environment
 * ends is closed by an env cleanup hook (napi_add_env_cleanup_hook).
 */
#ifndef PACER_OWNERSHIP_H
#define PACER_OWNERSHIP_H
#include <node_api.h>
#include <stdbool.h>

/* Embed in a handle. Unlinked (previous == NULL) once closed, explicitly or by the cleanup hook. */
struct owned {
	struct owned *previous, *next;
	void (*close)(struct owned *entry); /* releases the resource; frees the entry only if nothing else holds it */
};

/* Called once per environment from the module's init: the registry and its cleanup hook. */
void ownership_init(napi_env env);
void owned_add(napi_env env, struct owned *entry, void (*close)(struct owned *entry));
/* Stops tracking `entry` (a no-op when it is not tracked); the caller releases the resource. */
void owned_remove(struct owned *entry);

/* Pin fds (objGet): tracked until closed with owned_fd_close, which closes any fd like close(2) does.
 * owned_fd_add answers false when out of memory (the fd is then not tracked: the caller closes it). */
bool owned_fd_add(napi_env env, int fd);
int owned_fd_close(napi_env env, int fd);

#endif
