/* Small N-API helpers: argument getters and the {ok, value} / {ok: false, errno, message} result shape. */
#ifndef PACER_NAPI_UTIL_H
#define PACER_NAPI_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

#define PACER_MAX_ARGS 8

/* Fetches up to PACER_MAX_ARGS arguments; missing ones are `undefined`. */
void args_get(napi_env env, napi_callback_info info, napi_value *argv, size_t count);
/* Each getter returns false and throws a TypeError (a programming error in src/bpf/, not a runtime failure). */
bool arg_string(napi_env env, napi_value value, char *buffer, size_t size);
/* Empty string for null/undefined. */
bool arg_optional_string(napi_env env, napi_value value, char *buffer, size_t size);
bool arg_u32(napi_env env, napi_value value, uint32_t *out);
bool arg_i32(napi_env env, napi_value value, int32_t *out);
bool arg_bool(napi_env env, napi_value value, bool *out);
bool arg_u64(napi_env env, napi_value value, uint64_t *out); /* bigint or safe integer number */
bool arg_buffer(napi_env env, napi_value value, void **data, size_t *length);
bool arg_is_nullish(napi_env env, napi_value value);

napi_value result_ok(napi_env env, napi_value value);
/* errno is positive; message is "verb object: strerror" composed by the caller's format. */
napi_value result_fail(napi_env env, int error_number, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

napi_value make_u32(napi_env env, uint32_t value);
napi_value make_i32(napi_env env, int32_t value);
napi_value make_bigint(napi_env env, uint64_t value);
napi_value make_string(napi_env env, const char *value);
napi_value make_buffer(napi_env env, const void *data, size_t length);
napi_value make_bool(napi_env env, bool value);
napi_value make_null(napi_env env);
void set_prop(napi_env env, napi_value object, const char *name, napi_value value);

#endif
