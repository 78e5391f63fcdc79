/*
 * Small N-API helpers: one argument reader (a typed spec per argument), object builders and the
 * {ok, value} / {ok: false, errno, message} result shape.
 */
#ifndef PACER_NAPI_UTIL_H
#define PACER_NAPI_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

#define PACER_MAX_ARGS 8

enum arg_kind {
	ARG_KIND_STRING,
	ARG_KIND_OPTIONAL_STRING, /* null/undefined read as "" */
	ARG_KIND_U32,
	ARG_KIND_I32,
	ARG_KIND_BOOL,
	ARG_KIND_U64, /* bigint or safe integer number */
	ARG_KIND_BUFFER,
	ARG_KIND_OPTIONAL_BUFFER, /* null/undefined read as (NULL, 0) */
	ARG_KIND_VALUE,           /* the napi_value itself, unchecked */
	ARG_KIND_CUSTOM,          /* `reader` decides */
};

/* A reader returns false after throwing (a programming error in src/bpf/, not a runtime failure). */
typedef bool (*arg_reader)(napi_env env, napi_value value, void *out);

struct arg_spec {
	enum arg_kind kind;
	void *out;         /* strings: a char array; buffers: a `void *` for the data */
	size_t size;       /* strings: the array's size, terminator included */
	size_t *length;    /* buffers: the byte count */
	arg_reader reader; /* ARG_KIND_CUSTOM */
};

/* `pointer` must already have type `type *`: anything else is a "pointer type mismatch" error (-Werror). */
#define ARG_TYPED(type, pointer) (1 ? (pointer) : (type *)0)
/* 0, or a compile error when `array` is a pointer (sizeof would then be the pointer's size). */
#define ARG_MUST_BE_ARRAY(array)                                                                               \
	((int)sizeof(struct { int : (-!!__builtin_types_compatible_p(__typeof__(array), __typeof__(&(array)[0]))); }))

#define ARG_STRING(array)                                                                                      \
	{ .kind = ARG_KIND_STRING, .out = ARG_TYPED(char, array), .size = sizeof(array) + ARG_MUST_BE_ARRAY(array) }
#define ARG_OPTIONAL_STRING(array)                                                                             \
	{ .kind = ARG_KIND_OPTIONAL_STRING, .out = ARG_TYPED(char, array),                                     \
	  .size = sizeof(array) + ARG_MUST_BE_ARRAY(array) }
#define ARG_U32(pointer) { .kind = ARG_KIND_U32, .out = ARG_TYPED(uint32_t, pointer) }
#define ARG_I32(pointer) { .kind = ARG_KIND_I32, .out = ARG_TYPED(int32_t, pointer) }
#define ARG_BOOL(pointer) { .kind = ARG_KIND_BOOL, .out = ARG_TYPED(bool, pointer) }
#define ARG_U64(pointer) { .kind = ARG_KIND_U64, .out = ARG_TYPED(uint64_t, pointer) }
#define ARG_BUFFER(data, length_pointer)                                                                       \
	{ .kind = ARG_KIND_BUFFER, .out = ARG_TYPED(void *, data), .length = ARG_TYPED(size_t, length_pointer) }
#define ARG_OPTIONAL_BUFFER(data, length_pointer)                                                              \
	{ .kind = ARG_KIND_OPTIONAL_BUFFER, .out = ARG_TYPED(void *, data),                                    \
	  .length = ARG_TYPED(size_t, length_pointer) }
#define ARG_VALUE(pointer) { .kind = ARG_KIND_VALUE, .out = ARG_TYPED(napi_value, pointer) }
#define ARG_CUSTOM(reader_function, pointer) { .kind = ARG_KIND_CUSTOM, .out = (pointer), .reader = (reader_function) }

/* Reads arguments 0..count-1 in order (missing ones are `undefined`); stops at the first that throws. */
bool args_read(napi_env env, napi_callback_info info, const struct arg_spec *specs, size_t count);
#define ARGS_READ(env, info, ...)                                                                              \
	args_read(env, info, (const struct arg_spec[]){ __VA_ARGS__ },                                         \
		  sizeof((const struct arg_spec[]){ __VA_ARGS__ }) / sizeof(struct arg_spec))
/* Reads one value by `spec` (for a check order other than the arguments' order). */
bool arg_read(napi_env env, napi_value value, struct arg_spec spec);
/* Reads object[name] by `spec` when the object has it and it is not null/undefined; else leaves the default. */
bool arg_read_field(napi_env env, napi_value object, const char *name, struct arg_spec spec);

napi_value result_ok(napi_env env, napi_value value);
/* errno is positive; message is "verb object: strerror" composed by the caller's format. */
napi_value result_fail(napi_env env, int error_number, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* make_object(env, "name", value, ..., NULL) -> {name: value, ...} in that order. */
napi_value make_object(napi_env env, ...) __attribute__((sentinel));
napi_value make_u32(napi_env env, uint32_t value);
napi_value make_i32(napi_env env, int32_t value);
napi_value make_bigint(napi_env env, uint64_t value);
napi_value make_string(napi_env env, const char *value);
napi_value make_buffer(napi_env env, const void *data, size_t length);
napi_value make_bool(napi_env env, bool value);
napi_value make_null(napi_env env);

#endif
