/* A minimal rtnetlink client: one request, its answer(s), extended-ack error text. */
#ifndef PACER_RTNL_H
#define PACER_RTNL_H
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>

#define RTNL_REQUEST_SIZE 8192

struct rtnl_request {
	struct nlmsghdr header;
	char payload[RTNL_REQUEST_SIZE];
};

typedef int (*rtnl_on_message)(struct nlmsghdr *message, void *context);

/* Starts a request of `type` with `flags` (NLM_F_REQUEST is added) and a fixed header of `header_size`. */
void *rtnl_begin(struct rtnl_request *request, int type, int flags, size_t header_size);
void rtnl_add_attr(struct rtnl_request *request, int type, const void *data, size_t length);
/* Opens a socket in the CURRENT network namespace, sends, feeds replies to on_message, closes.
 * Returns 0 or -errno; the kernel's extended-ack text (if any) is in rtnl_error_text(). */
int rtnl_transact(struct rtnl_request *request, rtnl_on_message on_message, void *context);
const char *rtnl_error_text(void);
/* Fills table[0..max] with the attributes in [attribute, attribute+length); the first of each type wins. */
void rtnl_parse(struct rtattr **table, int max, struct rtattr *attribute, int length);
/* The attributes after a message's fixed header of `header_size` bytes (struct tcmsg, ifinfomsg, ifaddrmsg). */
void rtnl_parse_message(struct rtattr **table, int max, struct nlmsghdr *message, size_t header_size);
/* The attributes nested in `attribute`. */
void rtnl_parse_nested(struct rtattr **table, int max, struct rtattr *attribute);

#endif
