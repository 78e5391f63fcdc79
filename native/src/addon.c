/* Module entry, once per Node environment: registers every native function (list in addon.h), sets up the
 * environment's ownership registry (ownership.h) and routes libbpf's log. */
#include "addon.h"
#include "ownership.h"
#include <errno.h>
#include <net/if.h>
#include <string.h>

napi_value enter_and_find(napi_env env, const char *netns, const char *ifname, struct netns_guard *guard,
			  int *ifindex)
{
	int error = netns_enter(netns, guard);
	if (error)
		return result_fail(env, error, "enter network namespace %s: %s", netns, strerror(-error));
	if (ifname) {
		unsigned int index = if_nametoindex(ifname);
		if (index == 0) {
			netns_leave(guard);
			return result_fail(env, ENODEV, "find interface %s in %s: %s", ifname,
					   netns[0] ? netns : "the agent's namespace", strerror(ENODEV));
		}
		*ifindex = (int)index;
	}
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	object_module_init();
	ownership_init(env);
#define PACER_REGISTER(js_name, c_name)                                                                        \
	{                                                                                                      \
		napi_value function;                                                                           \
		napi_create_function(env, #js_name, NAPI_AUTO_LENGTH, c_name, NULL, &function);                \
		napi_set_named_property(env, exports, #js_name, function);                                     \
	}
	PACER_NATIVE_FUNCTIONS(PACER_REGISTER)
#undef PACER_REGISTER
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
