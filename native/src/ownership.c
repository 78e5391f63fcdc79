/*
 * The registry behind ownership.h: a circular list per environment (instance data). The env cleanup hook
 * closes and unlinks whatever is left when the environment ends; the instance data's finalizer does the same
 * again before freeing the list, so the outcome does not depend on the order in which Node runs hooks,
 * instance-data finalizers and external finalizers (doc/api/n-api.md, "Environment life cycle APIs").
 * Neither frees a handle embedded in an external: the external's own finalizer does that.
 */
#include "ownership.h"
#include <stdlib.h>
#include <unistd.h>

struct registry {
	struct owned head; /* sentinel of the circular list */
};

struct owned_fd {
	struct owned entry; /* first: an owned_fd is its entry */
	int fd;
};

static struct registry *registry_of(napi_env env)
{
	void *data = NULL;
	napi_get_instance_data(env, &data);
	if (!data)
		abort(); /* a programming error: ownership_init runs in the module's init */
	return data;
}

static void close_everything(void *data)
{
	struct registry *registry = data;
	while (registry->head.next != &registry->head) {
		struct owned *entry = registry->head.next;
		owned_remove(entry);
		entry->close(entry);
	}
}

static void free_registry(napi_env env, void *data, void *hint)
{
	close_everything(data);
	free(data);
}

void ownership_init(napi_env env)
{
	struct registry *registry = calloc(1, sizeof(*registry));
	if (!registry)
		abort();
	registry->head.previous = registry->head.next = &registry->head;
	napi_set_instance_data(env, registry, free_registry, NULL);
	napi_add_env_cleanup_hook(env, close_everything, registry);
}

void owned_add(napi_env env, struct owned *entry, void (*close)(struct owned *entry))
{
	struct owned *head = &registry_of(env)->head;
	entry->close = close;
	entry->previous = head->previous;
	entry->next = head;
	head->previous->next = entry;
	head->previous = entry;
}

void owned_remove(struct owned *entry)
{
	if (!entry->previous)
		return;
	entry->previous->next = entry->next;
	entry->next->previous = entry->previous;
	entry->previous = entry->next = NULL;
}

static void close_owned_fd(struct owned *entry)
{
	struct owned_fd *owned = (struct owned_fd *)entry;
	close(owned->fd);
	free(owned);
}

bool owned_fd_add(napi_env env, int fd)
{
	struct owned_fd *owned = calloc(1, sizeof(*owned));
	if (!owned)
		return false;
	owned->fd = fd;
	owned_add(env, &owned->entry, close_owned_fd);
	return true;
}

int owned_fd_close(napi_env env, int fd)
{
	struct owned *head = &registry_of(env)->head;
	for (struct owned *entry = head->next; entry != head; entry = entry->next) {
		if (entry->close == close_owned_fd && ((struct owned_fd *)entry)->fd == fd) {
			owned_remove(entry);
			free(entry);
			break;
		}
	}
	return close(fd);
}
