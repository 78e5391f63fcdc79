// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pacer's Earliest-Departure-Time program (docs/design.md, "The per-packet algorithm"), attached at tc
 * egress of one interface: the Pod's eth0 inside its netns (egress) or the host-side veth (ingress into the
 * Pod), with fq as that interface's root qdisc. fq holds each packet until skb->tstamp (net/sched/sch_fq.c,
 * "EDT" since v4.20, commit fb420d5d91c1 "tcp/fq: move back to CLOCK_MONOTONIC").
 *
 * A packet is charged to every timeline it falls under — each shared budget of its Pod (in scope), the
 * Pod's outside-cluster limit (if it goes outside), the Pod's limit — and leaves at the latest of their
 * slots. With flow isolation, a flow with nothing pending leaves at once instead of at the Pod's slot
 * (still charged to it), within its own and the Pod's bypass credit: a Pod's light flows are not queued
 * behind its bulk flows.
 *
 * Timelines are shared by every CPU that sends for the Pod (and budgets by several Pods), so each one is
 * updated under the bpf_spin_lock in its value (v5.1, commit d83525ca62cf). A lock rather than
 * BPF_CMPXCHG: CAS needs v5.12 (5ffa25502b5a) and the matrix starts at 5.10, and one lock section updates
 * the Pod's timelines, its bypass bucket and the flow's state together, which a single-word CAS cannot.
 * No helper may be called while a lock is held, so every lookup happens before.
 *
 * One loaded instance per Pod attachment: user space sets pod_identity and direction in .rodata before
 * load (as Cilium compiles its endpoint ID in); all instances share the pinned maps. No CO-RE relocations:
 * the object must load on kernels without vmlinux BTF (User-Mode Linux).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "edt.h"

#define NSEC_PER_SEC 1000000000ULL

const volatile __u32 pod_identity = 0;
const volatile __u32 direction = PACER_DIRECTION_EGRESS;
/* Set by the loader when the kernel has bpf_skb_set_tstamp (v5.18, commit 9bb984f28d5b "bpf: Add
 * __sk_buff->delivery_time_type and bpf_skb_set_skb_delivery_time()"): marks the time as a monotonic
 * delivery time, which survives a netns hop for every protocol (docs/design.md). */
const volatile __u8 use_set_tstamp = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACER_POD_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_pod_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_pod_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACER_POD_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_pod_timeline);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_pod_timeline SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PACER_POD_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_pod_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_pod_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACER_BUDGET_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_budget_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_budget_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PACER_BUDGET_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_budget_timeline);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_budget_timeline SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PACER_BUDGET_ENTRIES);
	__type(key, __u32);
	__type(value, struct pacer_budget_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_budget_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PACER_FLOW_ENTRIES);
	__type(key, struct pacer_flow_key);
	__type(value, struct pacer_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PACER_RANGE_ENTRIES);
	__type(key, struct pacer_range_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pacer_internal_ranges SEC(".maps");

static __always_inline __u64 max_u64(__u64 a, __u64 b)
{
	return a > b ? a : b;
}

static __always_inline __u64 transmit_ns(__u64 wire_len, __u64 bits_per_sec)
{
	return bits_per_sec ? wire_len * 8 * NSEC_PER_SEC / bits_per_sec : 0;
}

/* Whether the packet's remote end (destination on egress, source on ingress) is outside the cluster:
 * not covered by any prefix the agent put in pacer_internal_ranges. */
static __always_inline int goes_outside(struct __sk_buff *skb)
{
	struct pacer_range_key key = { .prefix_length = 128 };
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		/* struct iphdr: saddr at 12, daddr at 16 */
		__u32 offset = ETH_HLEN + (direction == PACER_DIRECTION_EGRESS ? 16 : 12);
		key.address[10] = 0xff;
		key.address[11] = 0xff;
		if (bpf_skb_load_bytes(skb, offset, &key.address[12], 4) < 0)
			return 0;
	} else {
		/* struct ipv6hdr: saddr at 8, daddr at 24 */
		__u32 offset = ETH_HLEN + (direction == PACER_DIRECTION_EGRESS ? 24 : 8);
		if (bpf_skb_load_bytes(skb, offset, key.address, 16) < 0)
			return 0;
	}
	return bpf_map_lookup_elem(&pacer_internal_ranges, &key) == NULL;
}

/* Adds the time since the last refill to a bucket of credit (in ns of the rate), up to its cap: a refill at
 * the Pod's rate. Bypassed bytes are still charged, so they only move bulk packets later: what leaves ahead
 * of the timeline over any window W is at most bypass_credit + R · min(W, the bulk backlog already
 * stamped), and never more than the rate for long (docs/design.md, "Flow isolation"). */
static __always_inline __u64 refilled(__u64 credit, __u64 refilled_at, __u64 now, __u64 cap)
{
	__u64 elapsed = now > refilled_at ? now - refilled_at : 0;
	return elapsed >= cap || credit + elapsed >= cap ? cap : credit + elapsed;
}

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

	__u32 index = pod_identity * 2 + direction;
	struct pacer_pod_config *config = bpf_map_lookup_elem(&pacer_pod_config, &index);
	struct pacer_pod_timeline *pod = bpf_map_lookup_elem(&pacer_pod_timeline, &index);
	struct pacer_pod_counters *counters = bpf_map_lookup_elem(&pacer_pod_counters, &index);
	if (!config || !pod || !counters)
		return TC_ACT_UNSPEC;
	__u64 all_rate = config->bits_per_sec;
	__u64 external_rate = config->external_bits_per_sec;
	if (all_rate == 0 && external_rate == 0 && config->budgets[0] == 0)
		return TC_ACT_UNSPEC;

	/* The limit is a wire rate: charge wire_len (docs/design.md), as the qdisc counts. */
	__u64 wire_len = skb->wire_len;
	__u64 horizon = config->horizon_ns;
	/* Classified only where a scope can matter (an outside-cluster limit or a budget): an LPM lookup. */
	int outside = (external_rate != 0 || config->budgets[0] != 0) && goes_outside(skb);
	__u64 now = bpf_ktime_get_ns();
	/* The earliest departure from the timelines; the socket's own stamp (TCP pacing) is honoured at the
	 * end but never enters a shared timeline, so one slowly paced flow cannot push the whole Pod ahead. */
	__u64 departure = now;
	int dropped = 0;

	/* Shared budgets first: a later drop would leave a hole in a timeline already charged, and a hole in a
	 * budget (lost capacity) is worse than one in the Pod's own. */
#pragma unroll
	for (int i = 0; i < PACER_BUDGETS_PER_POD; i++) {
		__u32 slot = config->budgets[i];
		if (slot == 0)
			break;
		struct pacer_budget_config *budget = bpf_map_lookup_elem(&pacer_budget_config, &slot);
		struct pacer_budget_timeline *timeline = bpf_map_lookup_elem(&pacer_budget_timeline, &slot);
		struct pacer_budget_counters *budget_counters = bpf_map_lookup_elem(&pacer_budget_counters, &slot);
		if (!budget || !timeline || !budget_counters)
			continue;
		__u64 budget_rate = budget->bits_per_sec;
		__u64 expires = budget->expires_at_ns;
		if (expires != 0 && now > expires)
			budget_rate = budget->fallback_bits_per_sec;
		if (budget_rate == 0)
			continue;
		if (budget->scope == PACER_SCOPE_OUTSIDE_CLUSTER && !outside)
			continue;
		__u64 cost = transmit_ns(wire_len, budget_rate);
		__u64 budget_horizon = budget->horizon_ns;
		bpf_spin_lock(&timeline->lock);
		__u64 start = max_u64(max_u64(timeline->t_ns, now), departure);
		if (start - now >= budget_horizon)
			dropped = 1;
		else
			timeline->t_ns = start + cost;
		bpf_spin_unlock(&timeline->lock);
		budget_counters->packets++;
		budget_counters->bytes += wire_len;
		if (dropped) {
			budget_counters->horizon_drops++;
			break;
		}
		if (start > now)
			budget_counters->delayed_packets++;
		departure = start;
	}

	/* Flow isolation: the flow's state, found (or made) before the Pod's lock is taken. */
	struct pacer_flow *flow = NULL;
	if (!dropped && (config->flags & PACER_FLOW_ISOLATION)) {
		struct pacer_flow_key key = { .pod_index = index, .hash = bpf_get_hash_recalc(skb) };
		flow = bpf_map_lookup_elem(&pacer_flows, &key);
		if (!flow) {
			struct pacer_flow fresh = {};
			bpf_map_update_elem(&pacer_flows, &key, &fresh, BPF_NOEXIST);
			flow = bpf_map_lookup_elem(&pacer_flows, &key);
		}
	}
	__u64 all_cost = transmit_ns(wire_len, all_rate);
	__u64 external_cost = outside ? transmit_ns(wire_len, external_rate) : 0;
	__u64 flow_cap = config->flow_credit_ns;
	__u64 bypass_cap = config->bypass_credit_ns;
	__u64 own = skb->tstamp;
	int bypassed = 0;

	if (!dropped) {
		bpf_spin_lock(&pod->lock);
		/* A small packet of a flow with nothing pending (its last departure has passed) and credit left — its
		 * own, and the Pod's — leaves at once. Bulk flows send full-size packets, and at a fair share of a
		 * small limit even a bulk flow often has nothing pending (its window waits for ACKs), so size is what
		 * tells a light flow's packet from a bulk one's (docs/design.md, "Flow isolation"). A packet
		 * the socket itself stamped for later (TCP pacing under fq: BBR, SO_MAX_PACING_RATE) is from a
		 * flow that paces itself, a bulk flow that merely keeps its queue short: it never bypasses. */
		__u64 cost = all_cost > external_cost ? all_cost : external_cost;
		/* cost 0: no own timeline applies to this packet (budgets only, or inside-cluster traffic of an
		 * outside-cluster limit), so there is nothing to bypass. */
		if (flow && cost != 0 && wire_len <= config->sparse_max_len && flow->last_departure_ns <= now && own <= now) {
			__u64 flow_credit = refilled(flow->credit_ns, flow->refill_ns, now, flow_cap);
			__u64 pod_credit = refilled(pod->bypass_credit_ns, pod->bypass_refill_ns, now, bypass_cap);
			if (flow_credit >= cost && pod_credit >= cost) {
				bypassed = 1;
				flow_credit -= cost;
				pod_credit -= cost;
			}
			flow->credit_ns = flow_credit;
			flow->refill_ns = now;
			pod->bypass_credit_ns = pod_credit;
			pod->bypass_refill_ns = now;
		}
		__u64 slots = departure;
		if (external_cost) {
			__u64 start = max_u64(max_u64(pod->external_t_ns, now), slots);
			if (start - now >= horizon)
				dropped = 1;
			else
				pod->external_t_ns = start + external_cost;
			slots = start;
		}
		if (!dropped && all_rate) {
			__u64 start = max_u64(max_u64(pod->all_t_ns, now), slots);
			if (start - now >= horizon)
				dropped = 1;
			else
				pod->all_t_ns = start + all_cost;
			slots = start;
		}
		if (!bypassed)
			departure = slots;
		departure = max_u64(departure, own);
		if (flow && !dropped) {
			departure = max_u64(departure, flow->last_departure_ns);
			flow->last_departure_ns = departure;
		}
		bpf_spin_unlock(&pod->lock);
	}

	counters->packets++;
	counters->bytes += wire_len;
	if (outside) {
		counters->external_packets++;
		counters->external_bytes += wire_len;
	}
	if (dropped) {
		counters->horizon_drops++;
		return TC_ACT_SHOT;
	}
	if (bypassed)
		counters->bypassed_packets++;
	if (departure > now)
		counters->delayed_packets++;
	__u64 ecn_threshold = config->ecn_threshold_ns;
	if (ecn_threshold != 0 && departure - now > ecn_threshold && bpf_skb_ecn_set_ce(skb))
		counters->ecn_marks++;

	if (use_set_tstamp)
		bpf_skb_set_tstamp(skb, departure, BPF_SKB_TSTAMP_DELIVERY_MONO);
	else
		skb->tstamp = departure;
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
