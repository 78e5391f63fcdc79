// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * THE BENCHMARK'S ANCHOR, not the product: pacer's program as it was before the kernel-matrix work (one
 * timeline per Pod updated without a lock, atomic counters on the shared value, the socket's own stamp
 * adopted into the timeline). bench/datapath.ts measures it beside bpf/edt.bpf.c in the same run.
 * It is never built by scripts/build.sh and never ships.
 *
 * pacer's Earliest-Departure-Time program (docs/design.md, "The per-packet algorithm"), attached at tc egress of one interface:
 * the Pod's eth0 inside its netns (egress) or the host-side veth (ingress into the Pod), with fq as that
 * interface's root qdisc. fq holds each packet until skb->tstamp (net/sched/sch_fq.c, "EDT" since v4.20,
 * commit fb420d5d91c1 "tcp/fq: move back to CLOCK_MONOTONIC").
 *
 * One loaded instance per Pod attachment: user space sets pod_identity and direction in .rodata before load
 * (like Cilium compiles its endpoint ID in); all instances share one pinned array map of state.
 * No CO-RE relocations: the object must load on kernels without vmlinux BTF (User-Mode Linux).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "edt-v0.1.h"

#define NSEC_PER_SEC 1000000000ULL

const volatile __u32 pod_identity = 0;
const volatile __u32 direction = PACER_DIRECTION_EGRESS;
/* Set by the loader when the kernel has bpf_skb_set_tstamp (v5.18, commit 9bb984f28d5b "bpf: Add
 * __sk_buff->delivery_time_type and bpf_skb_set_skb_delivery_time()"): marks the time as a monotonic
 * delivery time, which survives a netns hop for every protocol (docs/design.md, "The per-packet algorithm"). */
const volatile __u8 use_set_tstamp = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACER_EDT_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_edt_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_edt_state SEC(".maps");

/*
 * Every verdict but a horizon drop is TC_ACT_UNSPEC: "continue with the next filter" in direct-action mode
 * (net/sched/cls_bpf.c, cls_bpf_classify), so a CNI's own program on the same hook (Calico, Cilium) still
 * runs after ours. TC_ACT_OK would end the chain and skip it.
 */
SEC("tc")
int pacer_edt(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6))
		return TC_ACT_UNSPEC;

	__u32 key = pod_identity * 2 + direction;
	struct pacer_edt_state *state = bpf_map_lookup_elem(&pacer_edt_state, &key);
	if (!state)
		return TC_ACT_UNSPEC;
	__u64 bits_per_sec = state->bits_per_sec;
	if (bits_per_sec == 0)
		return TC_ACT_UNSPEC;

	__u64 wire_len = skb->wire_len;
	__u64 now = bpf_ktime_get_ns();
	__u64 t = skb->tstamp;
	if (t < now)
		t = now;
	/* The limit is a wire rate: charge wire_len (docs/design.md, "The per-packet algorithm"), as the qdisc counts. */
	__u64 delay_ns = wire_len * 8 * NSEC_PER_SEC / bits_per_sec;
	/* t_last 0 = a fresh limit: idle. (Charging from time 0 would drop the first packets on a kernel
	 * whose monotonic clock is younger than one packet time, e.g. a test kernel just booted.) */
	__u64 t_next = state->t_last_ns ? state->t_last_ns + delay_ns : t;
	if (t_next < t)
		t_next = t; /* an idle gap earns no credit */

	__sync_fetch_and_add(&state->packets, 1);
	__sync_fetch_and_add(&state->bytes, wire_len);
	if (t_next - now >= state->horizon_ns) {
		__sync_fetch_and_add(&state->horizon_drops, 1);
		return TC_ACT_SHOT;
	}
	if (t_next > now)
		__sync_fetch_and_add(&state->delayed_packets, 1);
	__u64 ecn_threshold_ns = state->ecn_threshold_ns;
	if (ecn_threshold_ns != 0 && t_next - now > ecn_threshold_ns && bpf_skb_ecn_set_ce(skb))
		__sync_fetch_and_add(&state->ecn_marks, 1);

	state->t_last_ns = t_next;
	if (use_set_tstamp)
		bpf_skb_set_tstamp(skb, t_next, BPF_SKB_TSTAMP_DELIVERY_MONO);
	else
		skb->tstamp = t_next;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
