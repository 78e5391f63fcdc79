/*
 * BPF objects: open with a pin root (libbpf reuses maps already pinned there, else pins them: the agent's
 * state survives restarts), set .rodata variables by name before load, load, hand out program/map fds
 * (borrowed: owned by the object), close. Also BPF_PROG_TEST_RUN and helper probes.
 * libbpf's log is captured so a verifier refusal reaches TypeScript inside the error message.
 * An object is owned by the environment that opened it (ownership.h): closed by objectClose, by its
 * external's finalizer, or by the environment's cleanup hook, whichever comes first.
 */
#include "addon.h"
#include "ownership.h"
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
	struct owned owned; /* first: the registry hands back this entry */
	struct bpf_object *object;
};

/* Closes the libbpf object (its program and map fds with it); the handle stays until its finalizer. */
static void close_object(struct owned *entry)
{
	struct pacer_object *handle = (struct pacer_object *)entry;
	if (handle->object)
		bpf_object__close(handle->object);
	handle->object = NULL;
}

static void release_object(struct pacer_object *handle)
{
	owned_remove(&handle->owned);
	close_object(&handle->owned);
}

static void finalize_object(napi_env env, void *data, void *hint)
{
	release_object(data);
	free(data);
}

static bool read_handle(napi_env env, napi_value value, void *out)
{
	void *data = NULL;
	if (napi_get_value_external(env, value, &data) != napi_ok || !data) {
		napi_throw_type_error(env, NULL, "expected a BPF object handle");
		return false;
	}
	*(struct pacer_object **)out = data;
	return true;
}

/* A handle whose object is still open. */
static bool read_open_handle(napi_env env, napi_value value, void *out)
{
	if (!read_handle(env, value, out))
		return false;
	if (!(*(struct pacer_object **)out)->object) {
		napi_throw_error(env, NULL, "BPF object handle already closed");
		return false;
	}
	return true;
}

#define ARG_OPEN_OBJECT(pointer) ARG_CUSTOM(read_open_handle, ARG_TYPED(struct pacer_object *, pointer))

/* objectOpen(path, pinRoot) -> handle */
napi_value native_object_open(napi_env env, napi_callback_info info)
{
	char path[4096], pin_root[4096];
	if (!ARGS_READ(env, info, ARG_STRING(path), ARG_STRING(pin_root)))
		return NULL;
	log_reset();
	LIBBPF_OPTS(bpf_object_open_opts, options, .pin_root_path = pin_root);
	struct bpf_object *object = bpf_object__open_file(path, &options);
	long error = libbpf_get_error(object);
	if (error)
		return result_fail(env, (int)error, "open BPF object %s: %s %s", path, strerror((int)-error), libbpf_log);
	struct pacer_object *handle = calloc(1, sizeof(*handle));
	if (!handle) {
		bpf_object__close(object);
		return result_fail(env, ENOMEM, "open BPF object %s: out of memory", path);
	}
	handle->object = object;
	owned_add(env, &handle->owned, close_object);
	napi_value external;
	napi_create_external(env, handle, finalize_object, NULL, &external);
	return result_ok(env, external);
}

/* objectSetRodata(handle, variableName, bytes): writes a `const volatile` global before load. */
napi_value native_object_set_rodata(napi_env env, napi_callback_info info)
{
	struct pacer_object *handle;
	char name[256];
	void *bytes = NULL;
	size_t length = 0;
	if (!ARGS_READ(env, info, ARG_OPEN_OBJECT(&handle), ARG_STRING(name), ARG_BUFFER(&bytes, &length)))
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
		if (!patched)
			return result_fail(env, ENOMEM, "set %s: out of memory", name);
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
	struct pacer_object *handle;
	if (!ARGS_READ(env, info, ARG_OPEN_OBJECT(&handle)))
		return NULL;
	log_reset();
	int error = bpf_object__load(handle->object);
	if (error)
		return result_fail(env, error, "load BPF object: %s\n%s", strerror(-error), libbpf_log);
	return result_ok(env, NULL);
}

/* objectProgramFd(handle, name) / objectMapFd(handle, name): fds borrowed from the object. */
static napi_value object_fd(napi_env env, napi_callback_info info, bool want_program)
{
	struct pacer_object *handle;
	char name[256];
	if (!ARGS_READ(env, info, ARG_OPEN_OBJECT(&handle), ARG_STRING(name)))
		return NULL;
	const char *kind = want_program ? "program" : "map";
	struct bpf_program *program = want_program ? bpf_object__find_program_by_name(handle->object, name) : NULL;
	struct bpf_map *map = want_program ? NULL : bpf_object__find_map_by_name(handle->object, name);
	if (!program && !map)
		return result_fail(env, ENOENT, "find %s %s: no such %s in the object", kind, name, kind);
	int fd = program ? bpf_program__fd(program) : bpf_map__fd(map);
	if (fd < 0)
		return result_fail(env, -fd, "%s %s: not loaded", kind, name);
	return result_ok(env, make_i32(env, fd));
}

napi_value native_object_program_fd(napi_env env, napi_callback_info info)
{
	return object_fd(env, info, true);
}

napi_value native_object_map_fd(napi_env env, napi_callback_info info)
{
	return object_fd(env, info, false);
}

/* objectClose(handle): closing twice is fine. */
napi_value native_object_close(napi_env env, napi_callback_info info)
{
	struct pacer_object *handle;
	if (!ARGS_READ(env, info, ARG_CUSTOM(read_handle, ARG_TYPED(struct pacer_object *, &handle))))
		return NULL;
	release_object(handle);
	return result_ok(env, NULL);
}

/* probeHelper(programType, helperId) -> boolean */
napi_value native_probe_helper(napi_env env, napi_callback_info info)
{
	uint32_t program_type, helper_id;
	if (!ARGS_READ(env, info, ARG_U32(&program_type), ARG_U32(&helper_id)))
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
	napi_value fields;
	int32_t fd;
	void *data = NULL;
	size_t length = 0;
	uint64_t tstamp = 0;
	uint32_t wire_len = 0, repeat = 1, ifindex = 0;
	if (!ARGS_READ(env, info, ARG_I32(&fd), ARG_BUFFER(&data, &length), ARG_VALUE(&fields)) ||
	    !arg_read_field(env, fields, "tstamp", (struct arg_spec)ARG_U64(&tstamp)) ||
	    !arg_read_field(env, fields, "wireLen", (struct arg_spec)ARG_U32(&wire_len)) ||
	    !arg_read_field(env, fields, "ifindex", (struct arg_spec)ARG_U32(&ifindex)) ||
	    !arg_read_field(env, fields, "repeat", (struct arg_spec)ARG_U32(&repeat)))
		return NULL;
	struct __sk_buff context_in = { .tstamp = tstamp, .wire_len = wire_len, .ifindex = ifindex };
	struct __sk_buff context_out = { 0 };
	size_t out_capacity = length + 256;
	void *data_out = malloc(out_capacity);
	if (!data_out)
		return result_fail(env, ENOMEM, "test-run program fd %d: out of memory", fd);
	LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = data, .data_size_in = (__u32)length, .data_out = data_out,
		    .data_size_out = (__u32)out_capacity, .ctx_in = &context_in, .ctx_size_in = sizeof(context_in),
		    .ctx_out = &context_out, .ctx_size_out = sizeof(context_out), .repeat = (int)repeat);
	int error = bpf_prog_test_run_opts(fd, &options);
	if (error) {
		free(data_out);
		return result_fail(env, errno, "test-run program fd %d: %s", fd, strerror(errno));
	}
	napi_value out = make_object(env, "retval", make_u32(env, options.retval), "durationNs",
				     make_u32(env, options.duration), "tstamp", make_bigint(env, context_out.tstamp),
				     "wireLen", make_u32(env, context_out.wire_len), "data",
				     make_buffer(env, data_out, options.data_size_out), NULL);
	free(data_out);
	return result_ok(env, out);
}
