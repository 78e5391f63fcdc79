/*
 * rtnetlink operations inside a network namespace: root qdiscs (list, replace with raw options, delete),
 * tc filters on a parent, links and addresses (to resolve Pod IP -> netns and the host-side veth peer via
 * IFLA_LINK), and gso_max_size. TypeScript encodes qdisc options; C only moves bytes.
 */
#include "addon.h"
#include "rtnl.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <string.h>
#include <sys/socket.h>

struct dump_context {
	napi_env env;
	napi_value array;
	uint32_t count;
	int ifindex; /* 0 = all */
};

static void push(struct dump_context *context, napi_value value)
{
	napi_set_element(context->env, context->array, context->count++, value);
}

static napi_value fail_with_ack(napi_env env, int error, const char *what, const char *ifname)
{
	const char *ack = rtnl_error_text();
	return result_fail(env, error, "%s on %s: %s%s%s", what, ifname, strerror(-error), ack[0] ? ": " : "", ack);
}

static napi_value fq_stats(napi_env env, struct rtattr *application)
{
	struct tc_fq_qd_stats stats = { 0 };
	size_t length = RTA_PAYLOAD(application);
	memcpy(&stats, RTA_DATA(application), length < sizeof(stats) ? length : sizeof(stats));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "throttled", make_bigint(env, stats.throttled));
	set_prop(env, out, "flowsPlimit", make_bigint(env, stats.flows_plimit));
	set_prop(env, out, "horizonDrops", make_bigint(env, stats.horizon_drops));
	set_prop(env, out, "horizonCaps", make_bigint(env, stats.horizon_caps));
	set_prop(env, out, "ceMark", make_bigint(env, stats.ce_mark));
	set_prop(env, out, "flows", make_u32(env, stats.flows));
	set_prop(env, out, "throttledFlows", make_u32(env, stats.throttled_flows));
	return out;
}

static int on_qdisc(struct nlmsghdr *message, void *opaque)
{
	struct dump_context *context = opaque;
	napi_env env = context->env;
	struct tcmsg *tc = NLMSG_DATA(message);
	if (message->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != context->ifindex)
		return 0;
	struct rtattr *table[TCA_MAX + 1], *stats[TCA_STATS_MAX + 1];
	rtnl_parse(table, TCA_MAX, (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc))),
		   (int)(message->nlmsg_len - NLMSG_LENGTH(sizeof(*tc))));
	const char *kind = table[TCA_KIND] ? RTA_DATA(table[TCA_KIND]) : "";
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "kind", make_string(env, kind));
	set_prop(env, out, "handle", make_u32(env, tc->tcm_handle));
	set_prop(env, out, "parent", make_u32(env, tc->tcm_parent));
	set_prop(env, out, "options", table[TCA_OPTIONS] ? make_buffer(env, RTA_DATA(table[TCA_OPTIONS]),
								       RTA_PAYLOAD(table[TCA_OPTIONS]))
							: make_null(env));
	napi_value fq = make_null(env);
	if (table[TCA_STATS2] && strcmp(kind, "fq") == 0) {
		rtnl_parse(stats, TCA_STATS_MAX, RTA_DATA(table[TCA_STATS2]), (int)RTA_PAYLOAD(table[TCA_STATS2]));
		if (stats[TCA_STATS_APP])
			fq = fq_stats(env, stats[TCA_STATS_APP]);
	}
	set_prop(env, out, "fqStats", fq);
	push(context, out);
	return 0;
}

/* qdiscList(netns, ifname) -> [{kind, handle, parent, options, fqStats}] */
napi_value native_qdisc_list(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char netns[4096], ifname[64];
	args_get(env, info, argv, 2);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)))
		return NULL;
	struct netns_guard guard;
	struct dump_context context = { .env = env };
	napi_value failure = enter_and_find(env, netns, ifname, &guard, &context.ifindex);
	if (failure)
		return failure;
	napi_create_array(env, &context.array);
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin(&request, RTM_GETQDISC, NLM_F_DUMP, sizeof(struct tcmsg));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = context.ifindex;
	int error = rtnl_transact(&request, on_qdisc, &context);
	netns_leave(&guard);
	if (error)
		return fail_with_ack(env, error, "list qdiscs", ifname);
	return result_ok(env, context.array);
}

/* qdiscReplace(netns, ifname, kind, handle, parent, options | null): create-or-replace (tc qdisc replace). */
napi_value native_qdisc_replace(napi_env env, napi_callback_info info)
{
	napi_value argv[6];
	char netns[4096], ifname[64], kind[32];
	uint32_t handle, parent;
	void *options = NULL;
	size_t options_length = 0;
	args_get(env, info, argv, 6);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)) ||
	    !arg_string(env, argv[2], kind, sizeof(kind)) || !arg_u32(env, argv[3], &handle) ||
	    !arg_u32(env, argv[4], &parent))
		return NULL;
	if (!arg_is_nullish(env, argv[5]) && !arg_buffer(env, argv[5], &options, &options_length))
		return NULL;
	if (options_length > RTNL_REQUEST_SIZE - 256)
		return result_fail(env, EINVAL, "replace qdisc on %s: options too large", ifname);
	struct netns_guard guard;
	int ifindex = 0;
	napi_value failure = enter_and_find(env, netns, ifname, &guard, &ifindex);
	if (failure)
		return failure;
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin(&request, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK,
				      sizeof(struct tcmsg));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_handle = handle;
	tc->tcm_parent = parent;
	rtnl_add_attr(&request, TCA_KIND, kind, strlen(kind) + 1);
	if (options)
		rtnl_add_attr(&request, TCA_OPTIONS | NLA_F_NESTED, options, options_length);
	int error = rtnl_transact(&request, NULL, NULL);
	netns_leave(&guard);
	if (error)
		return fail_with_ack(env, error, "replace qdisc", ifname);
	return result_ok(env, NULL);
}

/* qdiscDelete(netns, ifname, handle, parent) */
napi_value native_qdisc_delete(napi_env env, napi_callback_info info)
{
	napi_value argv[4];
	char netns[4096], ifname[64];
	uint32_t handle, parent;
	args_get(env, info, argv, 4);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)) ||
	    !arg_u32(env, argv[2], &handle) || !arg_u32(env, argv[3], &parent))
		return NULL;
	struct netns_guard guard;
	int ifindex = 0;
	napi_value failure = enter_and_find(env, netns, ifname, &guard, &ifindex);
	if (failure)
		return failure;
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin(&request, RTM_DELQDISC, NLM_F_ACK, sizeof(struct tcmsg));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_handle = handle;
	tc->tcm_parent = parent;
	int error = rtnl_transact(&request, NULL, NULL);
	netns_leave(&guard);
	if (error)
		return fail_with_ack(env, error, "delete qdisc", ifname);
	return result_ok(env, NULL);
}

static int on_filter(struct nlmsghdr *message, void *opaque)
{
	struct dump_context *context = opaque;
	napi_env env = context->env;
	struct tcmsg *tc = NLMSG_DATA(message);
	if (message->nlmsg_type != RTM_NEWTFILTER)
		return 0;
	struct rtattr *table[TCA_MAX + 1], *bpf[TCA_BPF_MAX + 1];
	rtnl_parse(table, TCA_MAX, (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc))),
		   (int)(message->nlmsg_len - NLMSG_LENGTH(sizeof(*tc))));
	if (!table[TCA_OPTIONS] && tc->tcm_handle == 0)
		return 0; /* the per-priority chain header, not a filter */
	const char *kind = table[TCA_KIND] ? RTA_DATA(table[TCA_KIND]) : "";
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "kind", make_string(env, kind));
	set_prop(env, out, "handle", make_u32(env, tc->tcm_handle));
	set_prop(env, out, "priority", make_u32(env, TC_H_MAJ(tc->tcm_info) >> 16));
	set_prop(env, out, "protocol", make_u32(env, ntohs((uint16_t)TC_H_MIN(tc->tcm_info))));
	uint32_t program_id = 0;
	if (table[TCA_OPTIONS] && strcmp(kind, "bpf") == 0) {
		rtnl_parse(bpf, TCA_BPF_MAX, RTA_DATA(table[TCA_OPTIONS]), (int)RTA_PAYLOAD(table[TCA_OPTIONS]));
		if (bpf[TCA_BPF_ID])
			memcpy(&program_id, RTA_DATA(bpf[TCA_BPF_ID]), sizeof(program_id));
	}
	set_prop(env, out, "programId", make_u32(env, program_id));
	push(context, out);
	return 0;
}

/* tcFilterList(netns, ifname, parent) -> [{kind, handle, priority, protocol, programId}] */
napi_value native_tc_filter_list(napi_env env, napi_callback_info info)
{
	napi_value argv[3];
	char netns[4096], ifname[64];
	uint32_t parent;
	args_get(env, info, argv, 3);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)) ||
	    !arg_u32(env, argv[2], &parent))
		return NULL;
	struct netns_guard guard;
	struct dump_context context = { .env = env };
	napi_value failure = enter_and_find(env, netns, ifname, &guard, &context.ifindex);
	if (failure)
		return failure;
	napi_create_array(env, &context.array);
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin(&request, RTM_GETTFILTER, NLM_F_DUMP, sizeof(struct tcmsg));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = context.ifindex;
	tc->tcm_parent = parent;
	int error = rtnl_transact(&request, on_filter, &context);
	netns_leave(&guard);
	if (error == -EINVAL || error == -ENOENT)
		return result_ok(env, context.array); /* no clsact: no filters */
	if (error)
		return fail_with_ack(env, error, "list tc filters", ifname);
	return result_ok(env, context.array);
}
