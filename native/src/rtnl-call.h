/*
 * rtnetlink requests answered the N-API way: enter the namespace, resolve the interface into the request,
 * send, come back; answers collected into a JavaScript array; failures carry the kernel's extended ack.
 */
#ifndef PACER_RTNL_CALL_H
#define PACER_RTNL_CALL_H
#include "napi-util.h"
#include "rtnl.h"
#include <stdbool.h>

/* What a dump's message callback (rtnl_on_message) gets as its context. */
struct rtnl_dump {
	napi_env env;
	napi_value array; /* created by the call */
	uint32_t count;
	int ifindex;            /* the interface the request was for; 0 = none */
	bool no_parent_is_empty; /* -EINVAL/-ENOENT answer an empty list (tc filters without clsact) */
};

void rtnl_dump_push(struct rtnl_dump *dump, napi_value value);

/* Inside `netns` ("" = the agent's), resolves `ifname` into *ifindex (a field of `request`), sends the request
 * with `on_message` fed by `dump` (both NULL for a plain ack) and comes back. Answers the dump's array (or
 * nothing) on success, else "<what> on <ifname>: <strerror>[: <extended ack>]", or the namespace/interface
 * lookup failure. */
napi_value rtnl_call_on_interface(napi_env env, const char *netns, const char *ifname, int *ifindex,
				  struct rtnl_request *request, rtnl_on_message on_message, struct rtnl_dump *dump,
				  const char *what);

/* Starts a tc message (qdisc or filter) for the interface resolved later into its tcm_ifindex. */
struct tcmsg *rtnl_begin_tc(struct rtnl_request *request, int type, int flags, uint32_t handle, uint32_t parent);

#endif
