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
	char netns[4096], ifname[64];
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname)))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	int error = bpf_tc_hook_create(&hook);
	netns_leave(&guard);
	if (error && error != -EEXIST)
		return result_fail(env, error, "create clsact on %s: %s", ifname, strerror(-error));
	return result_ok(env, make_object(env, "created", make_bool(env, error == 0), NULL));
}

/* tcHookDestroy(netns, ifname): deletes the clsact qdisc and every filter on it. */
napi_value native_tc_hook_destroy(napi_env env, napi_callback_info info)
{
	char netns[4096], ifname[64];
	if (!ARGS_READ(env, info, ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname)))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int error = bpf_tc_hook_destroy(&hook);
	netns_leave(&guard);
	if (error)
		return result_fail(env, error, "delete clsact on %s: %s", ifname, strerror(-error));
	return result_ok(env, NULL);
}

enum tc_program_operation { TC_ATTACH, TC_DETACH, TC_QUERY };

/*
 * tcAttach(netns, ifname, egress, handle, priority, programFd, replace) -> {programId}
 * tcDetach(netns, ifname, egress, handle, priority)
 * tcQuery(netns, ifname, egress, handle, priority) -> {programId}; errno ENOENT when nothing is attached.
 */
static napi_value tc_program(napi_env env, napi_callback_info info, enum tc_program_operation operation)
{
	char netns[4096], ifname[64];
	bool egress, replace = false;
	uint32_t handle, priority;
	int32_t program_fd = 0;
	const struct arg_spec arguments[] = { ARG_OPTIONAL_STRING(netns), ARG_STRING(ifname), ARG_BOOL(&egress),
					      ARG_U32(&handle),		  ARG_U32(&priority), ARG_I32(&program_fd),
					      ARG_BOOL(&replace) };
	if (!args_read(env, info, arguments, operation == TC_ATTACH ? 7 : 5))
		return NULL;
	ENTER_OR_RETURN(netns, ifname);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	/* Detach and query take neither a program fd nor flags (libbpf refuses them: EINVAL). */
	LIBBPF_OPTS(bpf_tc_opts, options, .handle = handle, .priority = priority, .prog_fd = program_fd,
		    .flags = replace ? BPF_TC_F_REPLACE : 0);
	int error = operation == TC_ATTACH   ? bpf_tc_attach(&hook, &options)
		    : operation == TC_DETACH ? bpf_tc_detach(&hook, &options)
					     : bpf_tc_query(&hook, &options);
	netns_leave(&guard);
	static const char *const verbs[] = { [TC_ATTACH] = "attach", [TC_DETACH] = "detach", [TC_QUERY] = "query" };
	if (error)
		return result_fail(env, error, "%s tc %s on %s: %s", verbs[operation], egress ? "egress" : "ingress",
				   ifname, strerror(-error));
	if (operation == TC_DETACH)
		return result_ok(env, NULL);
	return result_ok(env, make_object(env, "programId", make_u32(env, options.prog_id), NULL));
}

napi_value native_tc_attach(napi_env env, napi_callback_info info)
{
	return tc_program(env, info, TC_ATTACH);
}

napi_value native_tc_detach(napi_env env, napi_callback_info info)
{
	return tc_program(env, info, TC_DETACH);
}

napi_value native_tc_query(napi_env env, napi_callback_info info)
{
	return tc_program(env, info, TC_QUERY);
}
