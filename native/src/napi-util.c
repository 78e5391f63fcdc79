/* N-API helpers shared by every native function (see napi-util.h). */
#include "napi-util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool type_error(napi_env env, const char *what)
{
	napi_throw_type_error(env, NULL, what);
	return false;
}

static bool is_nullish(napi_env env, napi_value value)
{
	napi_valuetype type;
	napi_typeof(env, value, &type);
	return type == napi_null || type == napi_undefined;
}

static bool read_string(napi_env env, napi_value value, char *buffer, size_t size)
{
	size_t length = 0;
	if (napi_get_value_string_utf8(env, value, buffer, size, &length) != napi_ok)
		return type_error(env, "expected a string");
	if (length + 1 >= size)
		return type_error(env, "string too long");
	return true;
}

static bool read_u64(napi_env env, napi_value value, uint64_t *out)
{
	napi_valuetype type;
	napi_typeof(env, value, &type);
	if (type == napi_bigint) {
		bool lossless = false;
		napi_get_value_bigint_uint64(env, value, out, &lossless);
		return lossless ? true : type_error(env, "bigint out of u64 range");
	}
	int64_t number = 0;
	if (napi_get_value_int64(env, value, &number) != napi_ok || number < 0)
		return type_error(env, "expected a non-negative integer or bigint");
	*out = (uint64_t)number;
	return true;
}

static bool read_buffer(napi_env env, napi_value value, void **data, size_t *length)
{
	bool is_buffer = false;
	napi_is_buffer(env, value, &is_buffer);
	if (!is_buffer)
		return type_error(env, "expected a Buffer");
	napi_get_buffer_info(env, value, data, length);
	return true;
}

static bool read_one(napi_env env, napi_value value, const struct arg_spec *spec)
{
	switch (spec->kind) {
	case ARG_KIND_OPTIONAL_STRING:
		if (is_nullish(env, value)) {
			((char *)spec->out)[0] = '\0';
			return true;
		}
		return read_string(env, value, spec->out, spec->size);
	case ARG_KIND_STRING:
		return read_string(env, value, spec->out, spec->size);
	case ARG_KIND_U32:
		return napi_get_value_uint32(env, value, spec->out) == napi_ok ||
		       type_error(env, "expected an unsigned 32-bit number");
	case ARG_KIND_I32:
		return napi_get_value_int32(env, value, spec->out) == napi_ok ||
		       type_error(env, "expected a 32-bit number");
	case ARG_KIND_BOOL:
		return napi_get_value_bool(env, value, spec->out) == napi_ok || type_error(env, "expected a boolean");
	case ARG_KIND_U64:
		return read_u64(env, value, spec->out);
	case ARG_KIND_OPTIONAL_BUFFER:
		if (is_nullish(env, value)) {
			*(void **)spec->out = NULL;
			*spec->length = 0;
			return true;
		}
		return read_buffer(env, value, spec->out, spec->length);
	case ARG_KIND_BUFFER:
		return read_buffer(env, value, spec->out, spec->length);
	case ARG_KIND_VALUE:
		*(napi_value *)spec->out = value;
		return true;
	case ARG_KIND_CUSTOM:
		return spec->reader(env, value, spec->out);
	}
	abort(); /* an unknown kind is a programming error */
}

bool args_read(napi_env env, napi_callback_info info, const struct arg_spec *specs, size_t count)
{
	napi_value argv[PACER_MAX_ARGS], undefined;
	if (count > PACER_MAX_ARGS)
		abort(); /* a programming error: raise PACER_MAX_ARGS */
	size_t argc = count;
	napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	napi_get_undefined(env, &undefined);
	for (size_t i = 0; i < count; i++)
		if (!read_one(env, i < argc ? argv[i] : undefined, &specs[i]))
			return false;
	return true;
}

bool arg_read(napi_env env, napi_value value, struct arg_spec spec)
{
	return read_one(env, value, &spec);
}

bool arg_read_field(napi_env env, napi_value object, const char *name, struct arg_spec spec)
{
	napi_value field;
	if (napi_get_named_property(env, object, name, &field) != napi_ok || is_nullish(env, field))
		return true;
	return read_one(env, field, &spec);
}

napi_value result_ok(napi_env env, napi_value value)
{
	if (value)
		return make_object(env, "ok", make_bool(env, true), "value", value, NULL);
	return make_object(env, "ok", make_bool(env, true), NULL);
}

napi_value result_fail(napi_env env, int error_number, const char *format, ...)
{
	char message[8192];
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(message, sizeof(message), format, arguments);
	va_end(arguments);
	return make_object(env, "ok", make_bool(env, false), "errno",
			   make_i32(env, error_number < 0 ? -error_number : error_number), "message",
			   make_string(env, message), NULL);
}

napi_value make_object(napi_env env, ...)
{
	napi_value object;
	napi_create_object(env, &object);
	va_list pairs;
	va_start(pairs, env);
	for (const char *name = va_arg(pairs, const char *); name; name = va_arg(pairs, const char *))
		napi_set_named_property(env, object, name, va_arg(pairs, napi_value));
	va_end(pairs);
	return object;
}

napi_value make_u32(napi_env env, uint32_t value)
{
	napi_value out;
	napi_create_uint32(env, value, &out);
	return out;
}

napi_value make_i32(napi_env env, int32_t value)
{
	napi_value out;
	napi_create_int32(env, value, &out);
	return out;
}

napi_value make_bigint(napi_env env, uint64_t value)
{
	napi_value out;
	napi_create_bigint_uint64(env, value, &out);
	return out;
}

napi_value make_string(napi_env env, const char *value)
{
	napi_value out;
	napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &out);
	return out;
}

napi_value make_buffer(napi_env env, const void *data, size_t length)
{
	napi_value out;
	void *copy = NULL;
	napi_create_buffer_copy(env, length, length ? data : "", &copy, &out);
	return out;
}

napi_value make_bool(napi_env env, bool value)
{
	napi_value out;
	napi_get_boolean(env, value, &out);
	return out;
}

napi_value make_null(napi_env env)
{
	napi_value out;
	napi_get_null(env, &out);
	return out;
}
