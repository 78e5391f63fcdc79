/* rtnetlink transport (see rtnl.h). One socket per request, created in the caller's current namespace. */
#include "rtnl.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static char error_text[512];

const char *rtnl_error_text(void)
{
	return error_text;
}

void *rtnl_begin(struct rtnl_request *request, int type, int flags, size_t header_size)
{
	memset(request, 0, sizeof(*request));
	request->header.nlmsg_len = NLMSG_LENGTH(header_size);
	request->header.nlmsg_type = (__u16)type;
	request->header.nlmsg_flags = (__u16)(NLM_F_REQUEST | flags);
	return NLMSG_DATA(&request->header);
}

void rtnl_add_attr(struct rtnl_request *request, int type, const void *data, size_t length)
{
	size_t offset = NLMSG_ALIGN(request->header.nlmsg_len);
	size_t attribute_length = RTA_LENGTH(length);
	if (offset + RTA_ALIGN(attribute_length) > sizeof(*request))
		abort(); /* a programming error: requests are small and bounded */
	struct rtattr *attribute = (struct rtattr *)((char *)request + offset);
	attribute->rta_type = (unsigned short)type;
	attribute->rta_len = (unsigned short)attribute_length;
	if (length)
		memcpy(RTA_DATA(attribute), data, length);
	request->header.nlmsg_len = (__u32)(offset + RTA_ALIGN(attribute_length));
}

void rtnl_parse(struct rtattr **table, int max, struct rtattr *attribute, int length)
{
	memset(table, 0, sizeof(struct rtattr *) * (size_t)(max + 1));
	for (; RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length)) {
		int type = attribute->rta_type & ~NLA_F_NESTED;
		if (type <= max && !table[type])
			table[type] = attribute;
	}
}

void rtnl_parse_message(struct rtattr **table, int max, struct nlmsghdr *message, size_t header_size)
{
	/* = IFLA_RTA/IFLA_PAYLOAD and their IFA_ and TCA_ twins, for any header size */
	rtnl_parse(table, max, (struct rtattr *)((char *)NLMSG_DATA(message) + NLMSG_ALIGN(header_size)),
		   (int)(message->nlmsg_len - NLMSG_SPACE(header_size)));
}

void rtnl_parse_nested(struct rtattr **table, int max, struct rtattr *attribute)
{
	rtnl_parse(table, max, RTA_DATA(attribute), (int)RTA_PAYLOAD(attribute));
}

static void read_extended_ack(struct nlmsghdr *message, struct nlmsgerr *error)
{
	if (!(message->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	size_t offset = sizeof(*error);
	if (!(message->nlmsg_flags & NLM_F_CAPPED))
		offset += error->msg.nlmsg_len - sizeof(struct nlmsghdr);
	int length = (int)(message->nlmsg_len - NLMSG_HDRLEN) - (int)offset;
	struct rtattr *attribute = (struct rtattr *)((char *)error + offset);
	for (; length > 0 && RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length)) {
		if (attribute->rta_type == NLMSGERR_ATTR_MSG) {
			size_t text_length = RTA_PAYLOAD(attribute);
			if (text_length >= sizeof(error_text))
				text_length = sizeof(error_text) - 1;
			memcpy(error_text, RTA_DATA(attribute), text_length);
			error_text[text_length] = '\0';
		}
	}
}

int rtnl_transact(struct rtnl_request *request, rtnl_on_message on_message, void *context)
{
	error_text[0] = '\0';
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	request->header.nlmsg_seq = 1;
	if (sendto(fd, request, request->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		int error = errno;
		close(fd);
		return -error;
	}
	size_t capacity = 65536;
	char *buffer = malloc(capacity);
	if (!buffer) {
		close(fd);
		return -ENOMEM; /* the caller's "<what>: Cannot allocate memory" */
	}
	int result = 0;
	for (;;) {
		ssize_t received = recv(fd, buffer, capacity, 0);
		if (received < 0) {
			if (errno == EINTR)
				continue;
			result = -errno;
			break;
		}
		int remaining = (int)received;
		int finished = 0;
		for (struct nlmsghdr *message = (struct nlmsghdr *)buffer; NLMSG_OK(message, remaining);
		     message = NLMSG_NEXT(message, remaining)) {
			if (message->nlmsg_type == NLMSG_DONE) {
				finished = 1;
				break;
			}
			if (message->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *error = NLMSG_DATA(message);
				if (error->error)
					read_extended_ack(message, error);
				result = error->error;
				finished = 1;
				break;
			}
			if (on_message && result == 0)
				result = on_message(message, context);
		}
		if (finished || !(request->header.nlmsg_flags & NLM_F_DUMP))
			break;
	}
	free(buffer);
	close(fd);
	return result;
}
