/*
 * BPF objects: open with a pin root (libbpf reuses maps already pinned there, else pins them: the agent's
 * state survives restarts), set .rodata variables by name before load, load, hand out program/map fds
 * (borrowed: owned by the object), close. Also BPF_PROG_TEST_RUN and helper probes.
 * libbpf's log is captured so a verifier refusal reaches TypeScript inside the error message.
 */
#include "addon.h"
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char libbpf_log[6144];
static size_t libbpf_log_length;

static int capture_libbpf_log(enum libbpf_print_level level, const char *format, va_list arguments)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_log_length < sizeof(libbpf_log) - 1) {
		int written = vsnprintf(libbpf_log + libbpf_log_length, sizeof(libbpf_log) - libbpf_log_length,
					format, arguments);
		if (written > 0)
			libbpf_log_length += (size_t)written;
		if (libbpf_log_length > sizeof(libbpf_log) - 1)
			libbpf_log_length = sizeof(libbpf_log) - 1;
	}
	return 0;
}

static void log_reset(void)
{
	libbpf_log_length = 0;
	libbpf_log[0] = '\0';
}

void object_module_init(void)
{
	libbpf_set_print(capture_libbpf_log);
}

struct pacer_object {
	struct bpf_object *object;
};

static void finalize_object(napi_env env, void *data, void *hint)
{
	struct pacer_object *handle = data;
	if (handle->object)
		bpf_object__close(handle->object);
	free(handle);
}

static struct pacer_object *get_object(napi_env env, napi_value value)
{
	void *data = NULL;
	if (napi_get_value_external(env, value, &data) != napi_ok || !data) {
		napi_throw_type_error(env, NULL, "expected a BPF object handle");
		return NULL;
	}
	struct pacer_object *handle = data;
	if (!handle->object) {
		napi_throw_error(env, NULL, "BPF object handle already closed");
		return NULL;
	}
	return handle;
}

/* objectOpen(path, pinRoot) -> handle */
napi_value native_object_open(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char path[4096], pin_root[4096];
	args_get(env, info, argv, 2);
	if (!arg_string(env, argv[0], path, sizeof(path)) || !arg_string(env, argv[1], pin_root, sizeof(pin_root)))
		return NULL;
	log_reset();
	LIBBPF_OPTS(bpf_object_open_opts, options, .pin_root_path = pin_root);
	struct bpf_object *object = bpf_object__open_file(path, &options);
	long error = libbpf_get_error(object);
	if (error)
		return result_fail(env, (int)error, "open BPF object %s: %s %s", path, strerror((int)-error), libbpf_log);
	struct pacer_object *handle = calloc(1, sizeof(*handle));
	handle->object = object;
	napi_value external;
	napi_create_external(env, handle, finalize_object, NULL, &external);
	return result_ok(env, external);
}

/* objectSetRodata(handle, variableName, bytes): writes a `const volatile` global before load. */
napi_value native_object_set_rodata(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	char name[256];
	void *bytes = NULL;
	size_t length = 0;
	args_get(env, info, argv, 3);
	struct pacer_object *handle = get_object(env, argv[0]);
	if (!handle || !arg_string(env, argv[1], name, sizeof(name)) || !arg_buffer(env, argv[2], &bytes, &length))
		return NULL;
	struct bpf_map *map = NULL, *candidate;
	bpf_object__for_each_map(candidate, handle->object) {
		const char *map_name = bpf_map__name(candidate);
		size_t name_length = strlen(map_name);
		if (name_length >= 7 && strcmp(map_name + name_length - 7, ".rodata") == 0)
			map = candidate;
	}
	struct btf *btf = bpf_object__btf(handle->object);
	if (!map || !btf)
		return result_fail(env, ENOENT, "set %s: the object has no .rodata section with BTF", name);
	int section_id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (section_id < 0)
		return result_fail(env, ENOENT, "set %s: no .rodata DATASEC in BTF", name);
	const struct btf_type *section = btf__type_by_id(btf, (__u32)section_id);
	const struct btf_var_secinfo *variable = btf_var_secinfos(section);
	for (int i = 0; i < btf_vlen(section); i++, variable++) {
		const struct btf_type *var_type = btf__type_by_id(btf, variable->type);
		if (strcmp(btf__name_by_offset(btf, var_type->name_off), name) != 0)
			continue;
		if (variable->size != length)
			return result_fail(env, EINVAL, "set %s: size %zu, the object says %u", name, length,
					   variable->size);
		/* Copy, patch, set back: libbpf 1.1 hands out the initial value as const. */
		size_t data_size = 0;
		const char *current = bpf_map__initial_value(map, &data_size);
		if (!current || variable->offset + length > data_size)
			return result_fail(env, EINVAL, "set %s: .rodata has no room for it", name);
		char *patched = malloc(data_size);
		memcpy(patched, current, data_size);
		memcpy(patched + variable->offset, bytes, length);
		int error = bpf_map__set_initial_value(map, patched, data_size);
		free(patched);
		if (error)
			return result_fail(env, error, "set %s: %s (already loaded?)", name, strerror(-error));
		return result_ok(env, NULL);
	}
	return result_fail(env, ENOENT, "set %s: no such variable in .rodata", name);
}

/* objectLoad(handle): verifier and map creation/reuse; the libbpf log (verifier output) is in the message. */
napi_value native_object_load(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	args_get(env, info, argv, 1);
	struct pacer_object *handle = get_object(env, argv[0]);
	if (!handle)
		return NULL;
	log_reset();
	int error = bpf_object__load(handle->object);
	if (error)
		return result_fail(env, error, "load BPF object: %s\n%s", strerror(-error), libbpf_log);
	return result_ok(env, NULL);
}

/* objectProgramFd(handle, name) / objectMapFd(handle, name): fds borrowed from the object. */
napi_value native_object_program_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char name[256];
	args_get(env, info, argv, 2);
	struct pacer_object *handle = get_object(env, argv[0]);
	if (!handle || !arg_string(env, argv[1], name, sizeof(name)))
		return NULL;
	struct bpf_program *program = bpf_object__find_program_by_name(handle->object, name);
	if (!program)
		return result_fail(env, ENOENT, "find program %s: no such program in the object", name);
	int fd = bpf_program__fd(program);
	if (fd < 0)
		return result_fail(env, -fd, "program %s: not loaded", name);
	return result_ok(env, make_i32(env, fd));
}

napi_value native_object_map_fd(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char name[256];
	args_get(env, info, argv, 2);
	struct pacer_object *handle = get_object(env, argv[0]);
	if (!handle || !arg_string(env, argv[1], name, sizeof(name)))
		return NULL;
	struct bpf_map *map = bpf_object__find_map_by_name(handle->object, name);
	if (!map)
		return result_fail(env, ENOENT, "find map %s: no such map in the object", name);
	int fd = bpf_map__fd(map);
	if (fd < 0)
		return result_fail(env, -fd, "map %s: not loaded", name);
	return result_ok(env, make_i32(env, fd));
}

napi_value native_object_close(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	args_get(env, info, argv, 1);
	void *data = NULL;
	if (napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
		napi_throw_type_error(env, NULL, "expected a BPF object handle");
		return NULL;
	}
	struct pacer_object *handle = data;
	if (handle->object)
		bpf_object__close(handle->object);
	handle->object = NULL;
	return result_ok(env, NULL);
}

/* probeHelper(programType, helperId) -> boolean */
napi_value native_probe_helper(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	uint32_t program_type, helper_id;
	args_get(env, info, argv, 2);
	if (!arg_u32(env, argv[0], &program_type) || !arg_u32(env, argv[1], &helper_id))
		return NULL;
	log_reset();
	int supported = libbpf_probe_bpf_helper((enum bpf_prog_type)program_type, (enum bpf_func_id)helper_id, NULL);
	if (supported < 0)
		return result_fail(env, supported, "probe helper %u: %s", helper_id, strerror(-supported));
	return result_ok(env, make_bool(env, supported == 1));
}

/* progTestRun(fd, data, {tstamp, wireLen, ifindex, repeat}) -> {retval, durationNs, tstamp, wireLen, data} */
napi_value native_prog_test_run(napi_env env, napi_callback_info info)
{
	napi_value argv[3], field;
	int32_t fd;
	void *data = NULL;
	size_t length = 0;
	uint64_t tstamp = 0;
	uint32_t wire_len = 0, repeat = 1, ifindex = 0;
	args_get(env, info, argv, 3);
	if (!arg_i32(env, argv[0], &fd) || !arg_buffer(env, argv[1], &data, &length))
		return NULL;
	if (napi_get_named_property(env, argv[2], "tstamp", &field) == napi_ok && !arg_is_nullish(env, field) &&
	    !arg_u64(env, field, &tstamp))
		return NULL;
	if (napi_get_named_property(env, argv[2], "wireLen", &field) == napi_ok && !arg_is_nullish(env, field) &&
	    !arg_u32(env, field, &wire_len))
		return NULL;
	if (napi_get_named_property(env, argv[2], "ifindex", &field) == napi_ok && !arg_is_nullish(env, field) &&
	    !arg_u32(env, field, &ifindex))
		return NULL;
	if (napi_get_named_property(env, argv[2], "repeat", &field) == napi_ok && !arg_is_nullish(env, field) &&
	    !arg_u32(env, field, &repeat))
		return NULL;
	struct __sk_buff context_in = { .tstamp = tstamp, .wire_len = wire_len, .ifindex = ifindex };
	struct __sk_buff context_out = { 0 };
	size_t out_capacity = length + 256;
	void *data_out = malloc(out_capacity);
	LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = data, .data_size_in = (__u32)length, .data_out = data_out,
		    .data_size_out = (__u32)out_capacity, .ctx_in = &context_in, .ctx_size_in = sizeof(context_in),
		    .ctx_out = &context_out, .ctx_size_out = sizeof(context_out), .repeat = (int)repeat);
	int error = bpf_prog_test_run_opts(fd, &options);
	if (error) {
		free(data_out);
		return result_fail(env, errno, "test-run program fd %d: %s", fd, strerror(errno));
	}
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "retval", make_u32(env, options.retval));
	set_prop(env, out, "durationNs", make_u32(env, options.duration));
	set_prop(env, out, "tstamp", make_bigint(env, context_out.tstamp));
	set_prop(env, out, "wireLen", make_u32(env, context_out.wire_len));
	set_prop(env, out, "data", make_buffer(env, data_out, options.data_size_out));
	free(data_out);
	return result_ok(env, out);
}
