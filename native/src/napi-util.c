/* N-API helpers shared by every native function (see napi-util.h). */
#include "napi-util.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void args_get(napi_env env, napi_callback_info info, napi_value *argv, size_t count)
{
	size_t argc = count;
	napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	napi_value undefined;
	napi_get_undefined(env, &undefined);
	for (size_t i = argc; i < count; i++)
		argv[i] = undefined;
}

static bool type_error(napi_env env, const char *what)
{
	napi_throw_type_error(env, NULL, what);
	return false;
}

bool arg_is_nullish(napi_env env, napi_value value)
{
	napi_valuetype type;
	napi_typeof(env, value, &type);
	return type == napi_null || type == napi_undefined;
}

bool arg_string(napi_env env, napi_value value, char *buffer, size_t size)
{
	size_t length = 0;
	if (napi_get_value_string_utf8(env, value, buffer, size, &length) != napi_ok)
		return type_error(env, "expected a string");
	if (length + 1 >= size)
		return type_error(env, "string too long");
	return true;
}

bool arg_optional_string(napi_env env, napi_value value, char *buffer, size_t size)
{
	if (arg_is_nullish(env, value)) {
		buffer[0] = '\0';
		return true;
	}
	return arg_string(env, value, buffer, size);
}

bool arg_u32(napi_env env, napi_value value, uint32_t *out)
{
	if (napi_get_value_uint32(env, value, out) != napi_ok)
		return type_error(env, "expected an unsigned 32-bit number");
	return true;
}

bool arg_i32(napi_env env, napi_value value, int32_t *out)
{
	if (napi_get_value_int32(env, value, out) != napi_ok)
		return type_error(env, "expected a 32-bit number");
	return true;
}

bool arg_bool(napi_env env, napi_value value, bool *out)
{
	if (napi_get_value_bool(env, value, out) != napi_ok)
		return type_error(env, "expected a boolean");
	return true;
}

bool arg_u64(napi_env env, napi_value value, uint64_t *out)
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

bool arg_buffer(napi_env env, napi_value value, void **data, size_t *length)
{
	bool is_buffer = false;
	napi_is_buffer(env, value, &is_buffer);
	if (!is_buffer)
		return type_error(env, "expected a Buffer");
	napi_get_buffer_info(env, value, data, length);
	return true;
}

napi_value result_ok(napi_env env, napi_value value)
{
	napi_value result;
	napi_create_object(env, &result);
	set_prop(env, result, "ok", make_bool(env, true));
	if (value)
		set_prop(env, result, "value", value);
	return result;
}

napi_value result_fail(napi_env env, int error_number, const char *format, ...)
{
	char message[8192];
	va_list arguments;
	va_start(arguments, format);
	vsnprintf(message, sizeof(message), format, arguments);
	va_end(arguments);
	napi_value result;
	napi_create_object(env, &result);
	set_prop(env, result, "ok", make_bool(env, false));
	set_prop(env, result, "errno", make_i32(env, error_number < 0 ? -error_number : error_number));
	set_prop(env, result, "message", make_string(env, message));
	return result;
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

void set_prop(napi_env env, napi_value object, const char *name, napi_value value)
{
	napi_set_named_property(env, object, name, value);
}
