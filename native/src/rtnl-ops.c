/*
 * rtnetlink operations on an interface inside a network namespace: root qdiscs (list, replace with raw
 * options, delete) and tc filters on a parent. TypeScript encodes qdisc options; C only moves bytes.
 */
#include "addon.h"
#include "rtnl-call.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/gen_stats.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <string.h>

static napi_value fq_stats(napi_env env, struct rtattr *application)
{
	struct tc_fq_qd_stats stats = { 0 };
	size_t length = RTA_PAYLOAD(application);
	memcpy(&stats, RTA_DATA(application), length < sizeof(stats) ? length : sizeof(stats));
	return make_object(env, "throttled", make_bigint(env, stats.throttled), "flowsPlimit",
			   make_bigint(env, stats.flows_plimit), "horizonDrops", make_bigint(env, stats.horizon_drops),
			   "horizonCaps", make_bigint(env, stats.horizon_caps), "ceMark", make_bigint(env, stats.ce_mark),
			   "flows", make_u32(env, stats.flows), "throttledFlows", make_u32(env, stats.throttled_flows),
			   NULL);
}

static int on_qdisc(struct nlmsghdr *message, void *opaque)
{
	struct rtnl_dump *dump = opaque;
	napi_env env = dump->env;
	struct tcmsg *tc = NLMSG_DATA(message);
	if (message->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != dump->ifindex)
		return 0;
	struct rtattr *table[TCA_MAX + 1], *stats[TCA_STATS_MAX + 1];
	rtnl_parse_message(table, TCA_MAX, message, sizeof(*tc));
	const char *kind = table[TCA_KIND] ? RTA_DATA(table[TCA_KIND]) : "";
	napi_value fq = make_null(env);
	struct gnet_stats_basic basic = { 0 };
	struct gnet_stats_queue queue = { 0 };
	if (table[TCA_STATS2]) {
		rtnl_parse_nested(stats, TCA_STATS_MAX, table[TCA_STATS2]);
		if (stats[TCA_STATS_APP] && strcmp(kind, "fq") == 0)
			fq = fq_stats(env, stats[TCA_STATS_APP]);
		/* What the qdisc sent: qdisc_pkt_len, the wire length of every segment a GSO skb becomes. */
		if (stats[TCA_STATS_BASIC])
			memcpy(&basic, RTA_DATA(stats[TCA_STATS_BASIC]),
			       RTA_PAYLOAD(stats[TCA_STATS_BASIC]) < sizeof(basic) ? RTA_PAYLOAD(stats[TCA_STATS_BASIC]) : sizeof(basic));
		if (stats[TCA_STATS_QUEUE])
			memcpy(&queue, RTA_DATA(stats[TCA_STATS_QUEUE]),
			       RTA_PAYLOAD(stats[TCA_STATS_QUEUE]) < sizeof(queue) ? RTA_PAYLOAD(stats[TCA_STATS_QUEUE]) : sizeof(queue));
	}
	napi_value options = table[TCA_OPTIONS]
				     ? make_buffer(env, RTA_DATA(table[TCA_OPTIONS]), RTA_PAYLOAD(table[TCA_OPTIONS]))
				     : make_null(env);
	rtnl_dump_push(dump, make_object(env, "kind", make_string(env, kind), "handle", make_u32(env, tc->tcm_handle),
					 "parent", make_u32(env, tc->tcm_parent), "options", options, "fqStats", fq,
					 "sentBytes", make_bigint(env, basic.bytes), "sentPackets", make_u32(env, basic.packets),
					 "drops", make_u32(env, queue.drops), NULL));
	return 0;
}

/* qdiscList(netns, ifname) -> [{kind, handle, parent, options, fqStats, sentBytes, sentPackets, drops}] */
napi_value native_qdisc_list(napi_env env, napi_callback_info info)
{
	char netns[4096], ifname[64];
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname)))
		return NULL;
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin_tc(&request, RTM_GETQDISC, NLM_F_DUMP, 0, 0);
	struct rtnl_dump dump = { 0 };
	return rtnl_call_on_interface(env, netns, ifname, &tc->tcm_ifindex, &request, on_qdisc, &dump,
				      "list qdiscs");
}

/* qdiscReplace(netns, ifname, kind, handle, parent, options | null): create-or-replace (tc qdisc replace). */
napi_value native_qdisc_replace(napi_env env, napi_callback_info info)
{
	char netns[4096], ifname[64], kind[32];
	uint32_t handle, parent;
	void *options = NULL;
	size_t options_length = 0;
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname), ARG_STRING(kind), ARG_U32(&handle),
		       ARG_U32(&parent), ARG_OPTIONAL_BUFFER(&options, &options_length)))
		return NULL;
	if (options_length > RTNL_REQUEST_SIZE - 256)
		return result_fail(env, EINVAL, "replace qdisc on %s: options too large", ifname);
	struct rtnl_request request;
	struct tcmsg *tc =
		rtnl_begin_tc(&request, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, handle, parent);
	rtnl_add_attr(&request, TCA_KIND, kind, strlen(kind) + 1);
	if (options)
		rtnl_add_attr(&request, TCA_OPTIONS | NLA_F_NESTED, options, options_length);
	return rtnl_call_on_interface(env, netns, ifname, &tc->tcm_ifindex, &request, NULL, NULL, "replace qdisc");
}

/* qdiscDelete(netns, ifname, handle, parent) */
napi_value native_qdisc_delete(napi_env env, napi_callback_info info)
{
	char netns[4096], ifname[64];
	uint32_t handle, parent;
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname), ARG_U32(&handle), ARG_U32(&parent)))
		return NULL;
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin_tc(&request, RTM_DELQDISC, NLM_F_ACK, handle, parent);
	return rtnl_call_on_interface(env, netns, ifname, &tc->tcm_ifindex, &request, NULL, NULL, "delete qdisc");
}

static int on_filter(struct nlmsghdr *message, void *opaque)
{
	struct rtnl_dump *dump = opaque;
	napi_env env = dump->env;
	struct tcmsg *tc = NLMSG_DATA(message);
	if (message->nlmsg_type != RTM_NEWTFILTER)
		return 0;
	struct rtattr *table[TCA_MAX + 1], *bpf[TCA_BPF_MAX + 1];
	rtnl_parse_message(table, TCA_MAX, message, sizeof(*tc));
	if (!table[TCA_OPTIONS] && tc->tcm_handle == 0)
		return 0; /* the per-priority chain header, not a filter */
	const char *kind = table[TCA_KIND] ? RTA_DATA(table[TCA_KIND]) : "";
	uint32_t program_id = 0;
	if (table[TCA_OPTIONS] && strcmp(kind, "bpf") == 0) {
		rtnl_parse_nested(bpf, TCA_BPF_MAX, table[TCA_OPTIONS]);
		if (bpf[TCA_BPF_ID])
			memcpy(&program_id, RTA_DATA(bpf[TCA_BPF_ID]), sizeof(program_id));
	}
	rtnl_dump_push(dump, make_object(env, "kind", make_string(env, kind), "handle", make_u32(env, tc->tcm_handle),
					 "priority", make_u32(env, TC_H_MAJ(tc->tcm_info) >> 16), "protocol",
					 make_u32(env, ntohs((uint16_t)TC_H_MIN(tc->tcm_info))), "programId",
					 make_u32(env, program_id), NULL));
	return 0;
}

/* tcFilterList(netns, ifname, parent) -> [{kind, handle, priority, protocol, programId}]; no clsact: [] */
napi_value native_tc_filter_list(napi_env env, napi_callback_info info)
{
	char netns[4096], ifname[64];
	uint32_t parent;
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname), ARG_U32(&parent)))
		return NULL;
	struct rtnl_request request;
	struct tcmsg *tc = rtnl_begin_tc(&request, RTM_GETTFILTER, NLM_F_DUMP, 0, parent);
	struct rtnl_dump dump = { .no_parent_is_empty = true };
	return rtnl_call_on_interface(env, netns, ifname, &tc->tcm_ifindex, &request, on_filter, &dump,
				      "list tc filters");
}
