/* Raw map and fd operations by fd: lookup/update/delete/next-key, open a pin, close an fd, object info. */
#include "addon.h"
#include "ownership.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* objGet(path) -> fd (owned by the caller, close with closeFd; closed when the environment ends if not) */
napi_value native_obj_get(napi_env env, napi_callback_info info)
{
	char path[4096];
	if (!ARGS_READ(env, info, ARG_STRING(path)))
		return NULL;
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return result_fail(env, errno, "open pin %s: %s", path, strerror(errno));
	if (!owned_fd_add(env, fd)) {
		close(fd);
		return result_fail(env, ENOMEM, "open pin %s: out of memory", path);
	}
	return result_ok(env, make_i32(env, fd));
}

napi_value native_close_fd(napi_env env, napi_callback_info info)
{
	int32_t fd;
	if (!ARGS_READ(env, info, ARG_I32(&fd)))
		return NULL;
	if (owned_fd_close(env, fd) < 0)
		return result_fail(env, errno, "close fd %d: %s", fd, strerror(errno));
	return result_ok(env, NULL);
}

/* mapInfo(fd) -> {id, type, keySize, valueSize, maxEntries, name} */
napi_value native_map_info(napi_env env, napi_callback_info info)
{
	int32_t fd;
	if (!ARGS_READ(env, info, ARG_I32(&fd)))
		return NULL;
	struct bpf_map_info map_info = { 0 };
	__u32 length = sizeof(map_info);
	if (bpf_obj_get_info_by_fd(fd, &map_info, &length) < 0)
		return result_fail(env, errno, "map info fd %d: %s", fd, strerror(errno));
	return result_ok(env, make_object(env, "id", make_u32(env, map_info.id), "type", make_u32(env, map_info.type),
					  "keySize", make_u32(env, map_info.key_size), "valueSize",
					  make_u32(env, map_info.value_size), "maxEntries",
					  make_u32(env, map_info.max_entries), "name", make_string(env, map_info.name),
					  NULL));
}

/* Reads `size` bytes by `key` (the value, or the key after it) into a Buffer: the result, failures read
 * "<what> fd <fd>: <strerror>"; ENOENT answers null when `enoent_is_null` (the end of a key walk). */
static napi_value map_read(napi_env env, int (*read)(int fd, const void *key, void *out), int fd, const void *key,
			   uint32_t size, const char *what, bool enoent_is_null)
{
	void *scratch = calloc(1, size ? size : 1);
	if (!scratch)
		return result_fail(env, ENOMEM, "%s fd %d: out of memory", what, fd);
	int error = read(fd, key, scratch) < 0 ? errno : 0;
	napi_value result;
	if (!error)
		result = result_ok(env, make_buffer(env, scratch, size));
	else if (error == ENOENT && enoent_is_null)
		result = result_ok(env, make_null(env));
	else
		result = result_fail(env, error, "%s fd %d: %s", what, fd, strerror(error));
	free(scratch);
	return result;
}

/* mapLookup(fd, key, valueSize) -> Buffer */
napi_value native_map_lookup(napi_env env, napi_callback_info info)
{
	int32_t fd;
	uint32_t value_size;
	void *key = NULL;
	size_t key_length = 0;
	if (!ARGS_READ(env, info, ARG_I32(&fd), ARG_BUFFER(&key, &key_length), ARG_U32(&value_size)))
		return NULL;
	return map_read(env, bpf_map_lookup_elem, fd, key, value_size, "map lookup", false);
}

/* mapUpdate(fd, key, value, flags) */
napi_value native_map_update(napi_env env, napi_callback_info info)
{
	int32_t fd;
	uint32_t flags;
	void *key = NULL, *value = NULL;
	size_t key_length = 0, value_length = 0;
	if (!ARGS_READ(env, info, ARG_I32(&fd), ARG_BUFFER(&key, &key_length), ARG_BUFFER(&value, &value_length),
		       ARG_U32(&flags)))
		return NULL;
	if (bpf_map_update_elem(fd, key, value, flags) < 0)
		return result_fail(env, errno, "map update fd %d: %s", fd, strerror(errno));
	return result_ok(env, NULL);
}

/* mapDelete(fd, key) */
napi_value native_map_delete(napi_env env, napi_callback_info info)
{
	int32_t fd;
	void *key = NULL;
	size_t key_length = 0;
	if (!ARGS_READ(env, info, ARG_I32(&fd), ARG_BUFFER(&key, &key_length)))
		return NULL;
	if (bpf_map_delete_elem(fd, key) < 0)
		return result_fail(env, errno, "map delete fd %d: %s", fd, strerror(errno));
	return result_ok(env, NULL);
}

/* mapNextKey(fd, key | null, keySize) -> Buffer | null at the end */
napi_value native_map_next_key(napi_env env, napi_callback_info info)
{
	int32_t fd;
	uint32_t key_size;
	void *key = NULL;
	size_t key_length = 0;
	napi_value key_value;
	/* The key is checked last, as it always was. */
	if (!ARGS_READ(env, info, ARG_I32(&fd), ARG_VALUE(&key_value), ARG_U32(&key_size)) ||
	    !arg_read(env, key_value, (struct arg_spec)ARG_OPTIONAL_BUFFER(&key, &key_length)))
		return NULL;
	return map_read(env, bpf_map_get_next_key, fd, key, key_size, "map next key", true);
}

/* possibleCpus() -> the number of possible CPUs: a per-CPU map value holds one entry for each
 * (libbpf_num_possible_cpus reads /sys/devices/system/cpu/possible). */
napi_value native_possible_cpus(napi_env env, napi_callback_info info)
{
	int cpus = libbpf_num_possible_cpus();
	if (cpus < 0)
		return result_fail(env, -cpus, "count possible CPUs: %s", strerror(-cpus));
	return result_ok(env, make_u32(env, (uint32_t)cpus));
}
