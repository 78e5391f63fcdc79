/*
 * tc clsact + cls_bpf through libbpf's bpf_tc_* API, run inside the target network namespace (setns on this
 * thread, then back: libbpf opens its netlink socket in whatever namespace the thread is in).
 */
#include "addon.h"
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define ENTER_OR_RETURN(netns, ifname)                                                                         \
	struct netns_guard guard;                                                                              \
	int ifindex = 0;                                                                                       \
	napi_value failure = enter_and_find(env, netns, ifname, &guard, &ifindex);                             \
	if (failure)                                                                                           \
		return failure;

/* tcHookCreate(netns, ifname) -> {created}: creates clsact; "already there" is success (created: false). */
napi_value native_tc_hook_create(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char netns[4096], ifname[64];
	args_get(env, info, argv, 2);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	int error = bpf_tc_hook_create(&hook);
	netns_leave(&guard);
	if (error && error != -EEXIST)
		return result_fail(env, error, "create clsact on %s: %s", ifname, strerror(-error));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "created", make_bool(env, error == 0));
	return result_ok(env, out);
}

/* tcHookDestroy(netns, ifname): deletes the clsact qdisc and every filter on it. */
napi_value native_tc_hook_destroy(napi_env env, napi_callback_info info)
{
	napi_value argv[2];
	char netns[4096], ifname[64];
	args_get(env, info, argv, 2);
	if (!arg_optional_string(env, argv[0], netns, sizeof(netns)) || !arg_string(env, argv[1], ifname, sizeof(ifname)))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int error = bpf_tc_hook_destroy(&hook);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "delete clsact on %s: %s", ifname, strerror(-error));
	return result_ok(env, NULL);
}

static bool read_point(napi_env env, napi_value *argv, char *netns, char *ifname, bool *egress, uint32_t *handle,
		       uint32_t *priority)
{
	return arg_optional_string(env, argv[0], netns, 4096) && arg_string(env, argv[1], ifname, 64) &&
	       arg_bool(env, argv[2], egress) && arg_u32(env, argv[3], handle) && arg_u32(env, argv[4], priority);
}

/* tcAttach(netns, ifname, egress, handle, priority, programFd, replace) -> {programId} */
napi_value native_tc_attach(napi_env env, napi_callback_info info)
{
	napi_value argv[7];
	char netns[4096], ifname[64];
	bool egress, replace;
	uint32_t handle, priority;
	int32_t program_fd;
	args_get(env, info, argv, 7);
	if (!read_point(env, argv, netns, ifname, &egress, &handle, &priority) ||
	    !arg_i32(env, argv[5], &program_fd) || !arg_bool(env, argv[6], &replace))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = handle, .priority = priority, .prog_fd = program_fd,
		    .flags = replace ? BPF_TC_F_REPLACE : 0);
	int error = bpf_tc_attach(&hook, &options);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "attach tc %s on %s: %s", egress ? "egress" : "ingress", ifname,
				   strerror(-error));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "programId", make_u32(env, options.prog_id));
	return result_ok(env, out);
}

/* tcDetach(netns, ifname, egress, handle, priority) */
napi_value native_tc_detach(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	char netns[4096], ifname[64];
	bool egress;
	uint32_t handle, priority;
	args_get(env, info, argv, 5);
	if (!read_point(env, argv, netns, ifname, &egress, &handle, &priority))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = handle, .priority = priority);
	int error = bpf_tc_detach(&hook, &options);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "detach tc %s on %s: %s", egress ? "egress" : "ingress", ifname,
				   strerror(-error));
	return result_ok(env, NULL);
}

/* tcQuery(netns, ifname, egress, handle, priority) -> {programId}; errno ENOENT when nothing is attached. */
napi_value native_tc_query(napi_env env, napi_callback_info info)
{
	napi_value argv[5];
	char netns[4096], ifname[64];
	bool egress;
	uint32_t handle, priority;
	args_get(env, info, argv, 5);
	if (!read_point(env, argv, netns, ifname, &egress, &handle, &priority))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = handle, .priority = priority);
	int error = bpf_tc_query(&hook, &options);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "query tc %s on %s: %s", egress ? "egress" : "ingress", ifname,
				   strerror(-error));
	napi_value out;
	napi_create_object(env, &out);
	set_prop(env, out, "programId", make_u32(env, options.prog_id));
	return result_ok(env, out);
}
