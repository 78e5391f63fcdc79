/* rtnetlink requests inside a network namespace, answered as N-API results (see rtnl-call.h). */
#include "rtnl-call.h"
#include "addon.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

void rtnl_dump_push(struct rtnl_dump *dump, napi_value value)
{
	napi_set_element(dump->env, dump->array, dump->count++, value);
}

struct tcmsg *rtnl_begin_tc(struct rtnl_request *request, int type, int flags, uint32_t handle, uint32_t parent)
{
	struct tcmsg *tc = rtnl_begin(request, type, flags, sizeof(struct tcmsg));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_handle = handle;
	tc->tcm_parent = parent;
	return tc;
}

napi_value rtnl_call_on_interface(napi_env env, const char *netns, const char *ifname, int *ifindex,
				  struct rtnl_request *request, rtnl_on_message on_message, struct rtnl_dump *dump,
				  const char *what)
{
	struct netns_guard guard;
	napi_value failure = enter_and_find(env, netns, ifname, &guard, ifindex);
	if (failure)
		return failure;
	if (dump) {
		dump->env = env;
		dump->ifindex = *ifindex;
		napi_create_array(env, &dump->array);
	}
	int error = rtnl_transact(request, on_message, dump);
	netns_leave(&guard);
	if (dump && dump->no_parent_is_empty && (error == -EINVAL || error == -ENOENT))
		error = 0;
	if (error) {
		const char *ack = rtnl_error_text();
		return result_fail(env, error, "%s on %s: %s%s%s", what, ifname, strerror(-error), ack[0] ? ": " : "",
				   ack);
	}
	return result_ok(env, dump ? dump->array : NULL);
}
