/* Filesystem bits the agent needs: bpffs (filesystem magic of a path, mounting), and sysctl files in a Pod's namespace. */
#include "addon.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/vfs.h>

/* statfsType(path) -> f_type (BPF_FS_MAGIC is 0xcafe4a11) */
napi_value native_statfs_type(napi_env env, napi_callback_info info)
{
	char path[4096];
	if (!ARGS_READ(env, info, ARG_STRING(path)))
		return NULL;
	struct statfs result;
	if (statfs(path, &result) < 0)
		return result_fail(env, errno, "statfs %s: %s", path, strerror(errno));
	return result_ok(env, make_u32(env, (uint32_t)result.f_type));
}

/* mountBpffs(path): mount -t bpf bpf <path> -o mode=0700 */
napi_value native_mount_bpffs(napi_env env, napi_callback_info info)
{
	char path[4096];
	if (!ARGS_READ(env, info, ARG_STRING(path)))
		return NULL;
	if (mount("bpf", path, "bpf", 0, "mode=0700") < 0)
		return result_fail(env, errno, "mount bpffs at %s: %s", path, strerror(errno));
	return result_ok(env, NULL);
}

/* unmount(path): for tests that mounted a private bpffs */
napi_value native_unmount(napi_env env, napi_callback_info info)
{
	char path[4096];
	if (!ARGS_READ(env, info, ARG_STRING(path)))
		return NULL;
	if (umount2(path, MNT_DETACH) < 0)
		return result_fail(env, errno, "unmount %s: %s", path, strerror(errno));
	return result_ok(env, NULL);
}

/*
 * Reading and writing a file from inside a network namespace: the per-namespace sysctls under
 * /proc/sys/net resolve against the namespace of the thread that opens them (net/sysctl_net.c,
 * net_ctl_header_lookup), so the thread enters the Pod's namespace, opens, and comes back.
 */
static napi_value file_in_netns(napi_env env, const char *netns, const char *path, const char *text, bool writing)
{
	struct netns_guard guard;
	napi_value failure = enter_and_find(env, netns, NULL, &guard, NULL);
	if (failure)
		return failure;
	int fd = open(path, (writing ? O_WRONLY | O_TRUNC : O_RDONLY) | O_CLOEXEC);
	int error = fd < 0 ? errno : 0;
	netns_leave(&guard);
	const char *where = netns[0] ? netns : "the agent's namespace";
	if (error)
		return result_fail(env, error, "open %s in %s: %s", path, where, strerror(error));
	char buffer[4096];
	ssize_t done;
	if (writing) {
		size_t length = strlen(text);
		done = write(fd, text, length);
		error = done < 0 ? errno : (size_t)done != length ? EIO : 0;
	} else {
		done = read(fd, buffer, sizeof(buffer) - 1);
		error = done < 0 ? errno : 0;
		buffer[done < 0 ? 0 : done] = '\0';
	}
	close(fd);
	if (error)
		return result_fail(env, error, "%s %s in %s: %s", writing ? "write" : "read", path, where, strerror(error));
	return result_ok(env, writing ? NULL : make_string(env, buffer));
}

/* netnsWriteFile(netns, path, text) */
napi_value native_netns_write_file(napi_env env, napi_callback_info info)
{
	char netns[4096], path[4096], text[4096];
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(path), ARG_STRING(text)))
		return NULL;
	return file_in_netns(env, netns, path, text, true);
}

/* netnsReadFile(netns, path) -> text (at most 4095 bytes) */
napi_value native_netns_read_file(napi_env env, napi_callback_info info)
{
	char netns[4096], path[4096];
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(path)))
		return NULL;
	return file_in_netns(env, netns, path, NULL, false);
}
