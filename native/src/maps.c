/* Raw map and fd operations by fd: lookup/update/delete/next-key, open a pin, close an fd, object info. */
#include "addon.h"
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* objGet(path) -> fd (owned by the caller, close with closeFd) */
napi_value native_obj_get(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	char path[4096];
	args_get(env, info, argv, 1);
	if (!arg_string(env, argv[0], path, sizeof(path)))
		return NULL;
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return result_fail(env, errno, "open pin %s: %s", path, strerror(errno));
	return result_ok(env, make_i32(env, fd));
}

napi_value native_close_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	args_get(env, info, argv, 1);
	if (!arg_i32(env, argv[0], &fd))
		return NULL;
	if (close(fd) < 0)
		return result_fail(env, errno, "close fd %d: %s", fd, strerror(errno));
	return result_ok(env, NULL);
}

/* mapInfo(fd) -> {id, type, keySize, valueSize, maxEntries, name} */
napi_value native_map_info(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	int32_t fd;
	args_get(env, info, argv, 1);
	if (!arg_i32(env, argv[0], &fd))
		return NULL;
	struct bpf_map_info map_info = { 0 };
	__u32 length = sizeof(map_info);
	if (bpf_obj_get_info_by_fd(fd, &map_info, &length) < 0)
		return result_fail(env, errno, "map info fd %d: %s", fd, strerror(errno));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "id", make_u32(env, map_info.id));
	set_prop(env, out, "type", make_u32(env, map_info.type));
	set_prop(env, out, "keySize", make_u32(env, map_info.key_size));
	set_prop(env, out, "valueSize", make_u32(env, map_info.value_size));
	set_prop(env, out, "maxEntries", make_u32(env, map_info.max_entries));
	set_prop(env, out, "name", make_string(env, map_info.name));
	return result_ok(env, out);
}

/* mapLookup(fd, key, valueSize) -> Buffer */
napi_value native_map_lookup(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	int32_t fd;
	uint32_t value_size;
	void *key = NULL;
	size_t key_length = 0;
	args_get(env, info, argv, 3);
	if (!arg_i32(env, argv[0], &fd) || !arg_buffer(env, argv[1], &key, &key_length) ||
	    !arg_u32(env, argv[2], &value_size))
		return NULL;
	void *value = calloc(1, value_size ? value_size : 1);
	if (bpf_map_lookup_elem(fd, key, value) < 0) {
		int error = errno;
		free(value);
		return result_fail(env, error, "map lookup fd %d: %s", fd, strerror(error));
	}
	napi_value out = make_buffer(env, value, value_size);
	free(value);
	return result_ok(env, out);
}

/* mapUpdate(fd, key, value, flags) */
napi_value native_map_update(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	int32_t fd;
	uint32_t flags;
	void *key = NULL, *value = NULL;
	size_t key_length = 0, value_length = 0;
	args_get(env, info, argv, 4);
	if (!arg_i32(env, argv[0], &fd) || !arg_buffer(env, argv[1], &key, &key_length) ||
	    !arg_buffer(env, argv[2], &value, &value_length) || !arg_u32(env, argv[3], &flags))
		return NULL;
	if (bpf_map_update_elem(fd, key, value, flags) < 0)
		return result_fail(env, errno, "map update fd %d: %s", fd, strerror(errno));
	return result_ok(env, NULL);
}

/* mapDelete(fd, key) */
napi_value native_map_delete(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	int32_t fd;
	void *key = NULL;
	size_t key_length = 0;
	args_get(env, info, argv, 2);
	if (!arg_i32(env, argv[0], &fd) || !arg_buffer(env, argv[1], &key, &key_length))
		return NULL;
	if (bpf_map_delete_elem(fd, key) < 0)
		return result_fail(env, errno, "map delete fd %d: %s", fd, strerror(errno));
	return result_ok(env, NULL);
}

/* mapNextKey(fd, key | null, keySize) -> Buffer | null at the end */
napi_value native_map_next_key(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	int32_t fd;
	uint32_t key_size;
	void *key = NULL;
	size_t key_length = 0;
	args_get(env, info, argv, 3);
	if (!arg_i32(env, argv[0], &fd) || !arg_u32(env, argv[2], &key_size))
		return NULL;
	if (!arg_is_nullish(env, argv[1]) && !arg_buffer(env, argv[1], &key, &key_length))
		return NULL;
	void *next = calloc(1, key_size ? key_size : 1);
	if (bpf_map_get_next_key(fd, key, next) < 0) {
		int error = errno;
		free(next);
		if (error == ENOENT)
			return result_ok(env, make_null(env));
		return result_fail(env, error, "map next key fd %d: %s", fd, strerror(error));
	}
	napi_value out = make_buffer(env, next, key_size);
	free(next);
	return result_ok(env, out);
}
