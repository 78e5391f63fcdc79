/* Filesystem bits the agent needs for bpffs: the filesystem magic of a path, and mounting a bpffs. */
#include "addon.h"
#include <errno.h>
#include <string.h>
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
