/* Links and addresses of a network namespace, and gso_max_size (rtnetlink, see rtnl-call.h). */
#include "addon.h"
#include "rtnl-call.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint32_t attribute_u32(struct rtattr *attribute)
{
	uint32_t value = 0;
	if (attribute)
		memcpy(&value, RTA_DATA(attribute), sizeof(value));
	return value;
}

static int on_link(struct nlmsghdr *message, void *opaque)
{
	struct rtnl_dump *dump = opaque;
	napi_env env = dump->env;
	if (message->nlmsg_type != RTM_NEWLINK)
		return 0;
	struct ifinfomsg *link = NLMSG_DATA(message);
	struct rtattr *table[IFLA_MAX + 1], *link_info[IFLA_INFO_MAX + 1];
	rtnl_parse_message(table, IFLA_MAX, message, sizeof(*link));
	const char *kind = "";
	if (table[IFLA_LINKINFO]) {
		rtnl_parse_nested(link_info, IFLA_INFO_MAX, table[IFLA_LINKINFO]);
		if (link_info[IFLA_INFO_KIND])
			kind = RTA_DATA(link_info[IFLA_INFO_KIND]);
	}
	rtnl_dump_push(
		dump,
		make_object(env, "ifindex", make_i32(env, link->ifi_index), "name",
			    make_string(env, table[IFLA_IFNAME] ? RTA_DATA(table[IFLA_IFNAME]) : ""), "up",
			    make_bool(env, (link->ifi_flags & IFF_UP) != 0), "mtu",
			    make_u32(env, attribute_u32(table[IFLA_MTU])), "gsoMaxSize",
			    make_u32(env, attribute_u32(table[IFLA_GSO_MAX_SIZE])),
			    /* IFLA_LINK: the peer's ifindex for a veth (in the peer's namespace, IFLA_LINK_NETNSID
			     * when elsewhere). */
			    "link", table[IFLA_LINK] ? make_u32(env, attribute_u32(table[IFLA_LINK])) : make_null(env),
			    "linkNetnsid",
			    table[IFLA_LINK_NETNSID] ? make_i32(env, (int32_t)attribute_u32(table[IFLA_LINK_NETNSID]))
						     : make_null(env),
			    "kind", make_string(env, kind), NULL));
	return 0;
}

static int on_address(struct nlmsghdr *message, void *opaque)
{
	struct rtnl_dump *dump = opaque;
	napi_env env = dump->env;
	if (message->nlmsg_type != RTM_NEWADDR)
		return 0;
	struct ifaddrmsg *address = NLMSG_DATA(message);
	struct rtattr *table[IFA_MAX + 1];
	rtnl_parse_message(table, IFA_MAX, message, sizeof(*address));
	struct rtattr *value = table[IFA_LOCAL] ? table[IFA_LOCAL] : table[IFA_ADDRESS];
	if (!value || (address->ifa_family != AF_INET && address->ifa_family != AF_INET6))
		return 0;
	char text[INET6_ADDRSTRLEN] = "";
	inet_ntop(address->ifa_family, RTA_DATA(value), text, sizeof(text));
	rtnl_dump_push(dump, make_object(env, "ifindex", make_u32(env, address->ifa_index), "family",
					 make_u32(env, address->ifa_family == AF_INET ? 4 : 6), "address",
					 make_string(env, text), "prefixLength", make_u32(env, address->ifa_prefixlen),
					 NULL));
	return 0;
}

/* A dump of a whole namespace (netns argument only); failures read "list <what> in <namespace>: <strerror>". */
static napi_value list_namespace(napi_env env, napi_callback_info info, int type, size_t header_size,
				 rtnl_on_message on_message, const char *what)
{
	char netns[4096];
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns)))
		return NULL;
	struct netns_guard guard;
	napi_value failure = enter_and_find(env, netns, NULL, &guard, NULL);
	if (failure)
		return failure;
	struct rtnl_dump dump = { .env = env };
	napi_create_array(env, &dump.array);
	struct rtnl_request request;
	/* ifi_family / ifa_family: the first byte of either header */
	*(unsigned char *)rtnl_begin(&request, type, NLM_F_DUMP, header_size) = AF_UNSPEC;
	int error = rtnl_transact(&request, on_message, &dump);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "list %s in %s: %s", what, netns[0] ? netns : "the agent's namespace",
				   strerror(-error));
	return result_ok(env, dump.array);
}

/* linkList(netns) -> [{ifindex, name, up, mtu, gsoMaxSize, link, linkNetnsid, kind}] */
napi_value native_link_list(napi_env env, napi_callback_info info)
{
	return list_namespace(env, info, RTM_GETLINK, sizeof(struct ifinfomsg), on_link, "links");
}

/* addrList(netns) -> [{ifindex, family: 4 | 6, address, prefixLength}] */
napi_value native_addr_list(napi_env env, napi_callback_info info)
{
	return list_namespace(env, info, RTM_GETADDR, sizeof(struct ifaddrmsg), on_address, "addresses");
}

/* linkSetGsoMaxSize(netns, ifname, size) */
napi_value native_link_set_gso_max_size(napi_env env, napi_callback_info info)
{
	char netns[4096], ifname[64], what[64];
	uint32_t size;
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname), ARG_U32(&size)))
		return NULL;
	struct rtnl_request request;
	struct ifinfomsg *link = rtnl_begin(&request, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	link->ifi_family = AF_UNSPEC;
	rtnl_add_attr(&request, IFLA_GSO_MAX_SIZE, &size, sizeof(size));
	snprintf(what, sizeof(what), "set gso_max_size %u", size);
	return rtnl_call_on_interface(env, netns, ifname, &link->ifi_index, &request, NULL, NULL, what);
}

static int on_route(struct nlmsghdr *message, void *opaque)
{
	struct rtnl_dump *dump = opaque;
	napi_env env = dump->env;
	if (message->nlmsg_type != RTM_NEWROUTE)
		return 0;
	struct rtmsg *route = NLMSG_DATA(message);
	if (route->rtm_family != AF_INET && route->rtm_family != AF_INET6)
		return 0;
	struct rtattr *table[RTA_MAX + 1];
	rtnl_parse_message(table, RTA_MAX, message, sizeof(*route));
	napi_value hops;
	napi_create_array(env, &hops);
	uint32_t hop_count = 0;
	if (table[RTA_MULTIPATH]) {
		/* RTA_MULTIPATH: a sequence of struct rtnexthop, each followed by its own attributes. */
		struct rtnexthop *hop = RTA_DATA(table[RTA_MULTIPATH]);
		int left = RTA_PAYLOAD(table[RTA_MULTIPATH]);
		while (left >= (int)sizeof(*hop) && hop->rtnh_len >= sizeof(*hop) && hop->rtnh_len <= left) {
			napi_set_element(env, hops, hop_count++, make_u32(env, (uint32_t)hop->rtnh_ifindex));
			left -= RTNH_ALIGN(hop->rtnh_len);
			hop = RTNH_NEXT(hop);
		}
	}
	uint32_t table_id = table[RTA_TABLE] ? attribute_u32(table[RTA_TABLE]) : route->rtm_table;
	rtnl_dump_push(dump, make_object(env, "family", make_u32(env, route->rtm_family == AF_INET ? 4 : 6), "dstLength",
					 make_u32(env, route->rtm_dst_len), "table", make_u32(env, table_id), "oif",
					 table[RTA_OIF] ? make_u32(env, attribute_u32(table[RTA_OIF])) : make_null(env),
					 "nexthopOifs", hops, NULL));
	return 0;
}

/* routeList(netns) -> [{family: 4 | 6, dstLength, table, oif, nexthopOifs: [ifindex]}] */
napi_value native_route_list(napi_env env, napi_callback_info info)
{
	return list_namespace(env, info, RTM_GETROUTE, sizeof(struct rtmsg), on_route, "routes");
}
