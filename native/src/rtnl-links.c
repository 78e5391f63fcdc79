/* Links and addresses of a network namespace, and gso_max_size (rtnetlink, see rtnl-ops.c). */
#include "addon.h"
#include "rtnl.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

struct list_context {
	napi_env env;
	napi_value array;
	uint32_t count;
};

static uint32_t attribute_u32(struct rtattr *attribute)
{
	uint32_t value = 0;
	if (attribute)
		memcpy(&value, RTA_DATA(attribute), sizeof(value));
	return value;
}

static int on_link(struct nlmsghdr *message, void *opaque)
{
	struct list_context *context = opaque;
	napi_env env = context->env;
	if (message->nlmsg_type != RTM_NEWLINK)
		return 0;
	struct ifinfomsg *link = NLMSG_DATA(message);
	struct rtattr *table[IFLA_MAX + 1], *link_info[IFLA_INFO_MAX + 1];
	rtnl_parse(table, IFLA_MAX, IFLA_RTA(link), (int)IFLA_PAYLOAD(message));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "ifindex", make_i32(env, link->ifi_index));
	set_prop(env, out, "name", make_string(env, table[IFLA_IFNAME] ? RTA_DATA(table[IFLA_IFNAME]) : ""));
	set_prop(env, out, "up", make_bool(env, (link->ifi_flags & IFF_UP) != 0));
	set_prop(env, out, "mtu", make_u32(env, attribute_u32(table[IFLA_MTU])));
	set_prop(env, out, "gsoMaxSize", make_u32(env, attribute_u32(table[IFLA_GSO_MAX_SIZE])));
	/* IFLA_LINK: the peer's ifindex for a veth (in the peer's namespace, IFLA_LINK_NETNSID when elsewhere). */
	set_prop(env, out, "link", table[IFLA_LINK] ? make_u32(env, attribute_u32(table[IFLA_LINK])) : make_null(env));
	set_prop(env, out, "linkNetnsid",
		 table[IFLA_LINK_NETNSID] ? make_i32(env, (int32_t)attribute_u32(table[IFLA_LINK_NETNSID]))
					  : make_null(env));
	const char *kind = "";
	if (table[IFLA_LINKINFO]) {
		rtnl_parse(link_info, IFLA_INFO_MAX, RTA_DATA(table[IFLA_LINKINFO]),
			   (int)RTA_PAYLOAD(table[IFLA_LINKINFO]));
		if (link_info[IFLA_INFO_KIND])
			kind = RTA_DATA(link_info[IFLA_INFO_KIND]);
	}
	set_prop(env, out, "kind", make_string(env, kind));
	napi_set_element(env, context->array, context->count++, out);
	return 0;
}

/* linkList(netns) -> [{ifindex, name, up, mtu, gsoMaxSize, link, linkNetnsid, kind}] */
napi_value native_link_list(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	char netns[4096];
	args_get(env, info, argv, 1);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)))
		return NULL;
	struct netns_guard guard;
	napi_value failure = enter_and_find(env, netns, NULL, &guard, NULL);
	if (failure)
		return failure;
	struct list_context context = { .env = env };
	napi_create_array(env, &context.array);
	struct rtnl_request request;
	struct ifinfomsg *link = rtnl_begin(&request, RTM_GETLINK, NLM_F_DUMP, sizeof(struct ifinfomsg));
	link->ifi_family = AF_UNSPEC;
	int error = rtnl_transact(&request, on_link, &context);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "list links in %s: %s", netns[0] ? netns : "the agent's namespace",
				   strerror(-error));
	return result_ok(env, context.array);
}

static int on_address(struct nlmsghdr *message, void *opaque)
{
	struct list_context *context = opaque;
	napi_env env = context->env;
	if (message->nlmsg_type != RTM_NEWADDR)
		return 0;
	struct ifaddrmsg *address = NLMSG_DATA(message);
	struct rtattr *table[IFA_MAX + 1];
	rtnl_parse(table, IFA_MAX, IFA_RTA(address), (int)IFA_PAYLOAD(message));
	struct rtattr *value = table[IFA_LOCAL] ? table[IFA_LOCAL] : table[IFA_ADDRESS];
	if (!value || (address->ifa_family != AF_INET && address->ifa_family != AF_INET6))
		return 0;
	char text[INET6_ADDRSTRLEN] = "";
	inet_ntop(address->ifa_family, RTA_DATA(value), text, sizeof(text));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "ifindex", make_u32(env, address->ifa_index));
	set_prop(env, out, "family", make_u32(env, address->ifa_family == AF_INET ? 4 : 6));
	set_prop(env, out, "address", make_string(env, text));
	set_prop(env, out, "prefixLength", make_u32(env, address->ifa_prefixlen));
	napi_set_element(env, context->array, context->count++, out);
	return 0;
}

/* addrList(netns) -> [{ifindex, family: 4 | 6, address, prefixLength}] */
napi_value native_addr_list(napi_env env, napi_callback_info info)
{
	napi_value argv[1];
	char netns[4096];
	args_get(env, info, argv, 1);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)))
		return NULL;
	struct netns_guard guard;
	napi_value failure = enter_and_find(env, netns, NULL, &guard, NULL);
	if (failure)
		return failure;
	struct list_context context = { .env = env };
	napi_create_array(env, &context.array);
	struct rtnl_request request;
	struct ifaddrmsg *address = rtnl_begin(&request, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	address->ifa_family = AF_UNSPEC;
	int error = rtnl_transact(&request, on_address, &context);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "list addresses in %s: %s", netns[0] ? netns : "the agent's namespace",
				   strerror(-error));
	return result_ok(env, context.array);
}

/* linkSetGsoMaxSize(netns, ifname, size) */
napi_value native_link_set_gso_max_size(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	char netns[4096], ifname[64];
	uint32_t size;
	args_get(env, info, argv, 3);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)) ||
	    !arg_u32(env, argv[2], &size))
		return NULL;
	struct netns_guard guard;
	int ifindex = 0;
	napi_value failure = enter_and_find(env, netns, ifname, &guard, &ifindex);
	if (failure)
		return failure;
	struct rtnl_request request;
	struct ifinfomsg *link = rtnl_begin(&request, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	link->ifi_family = AF_UNSPEC;
	link->ifi_index = ifindex;
	rtnl_add_attr(&request, IFLA_GSO_MAX_SIZE, &size, sizeof(size));
	int error = rtnl_transact(&request, NULL, NULL);
	netns_leave(&guard);
	if (error) {
		const char *ack = rtnl_error_text();
		return result_fail(env, error, "set gso_max_size %u on %s: %s%s%s", size, ifname, strerror(-error),
				   ack[0] ? ": " : "", ack);
	}
	return result_ok(env, NULL);
}
