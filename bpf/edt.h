/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one place where the kernel-side and user-side layout of pacer's maps is written down.
 * src/bpf/edt-layout.ts encodes/decodes these structs; its test checks it against the BTF of the built
 * object (build/bpf/edt.bpf.o), so a change here that the codec does not follow fails a test.
 *
 * What the agent writes (config) is apart from what every packet writes (timelines, counters): the agent
 * never read-modify-writes a value the program is changing, and the written lines are the program's own.
 */
#ifndef PACER_EDT_H
#define PACER_EDT_H

/* Pod map index = identity * 2 + direction (identity 1..PACER_MAX_IDENTITY; 0 is no Pod). A node runs at
 * most a few hundred Pods (kubelet's --max-pods defaults to 110): 1023 keeps the per-CPU counters small. */
#define PACER_MAX_IDENTITY 1023
#define PACER_POD_ENTRIES ((PACER_MAX_IDENTITY + 1) * 2)
/* Budget slots 1..PACER_MAX_BUDGET (0 = none); a Pod's traffic in one direction is charged to at most
 * PACER_BUDGETS_PER_POD of them. */
#define PACER_MAX_BUDGET 1023
#define PACER_BUDGET_ENTRIES (PACER_MAX_BUDGET + 1)
#define PACER_BUDGETS_PER_POD 4
#define PACER_FLOW_ENTRIES 65536
#define PACER_RANGE_ENTRIES 16384

#define PACER_DIRECTION_EGRESS 0
#define PACER_DIRECTION_INGRESS 1

/* pacer_pod_config.flags */
#define PACER_FLOW_ISOLATION 1 /* flows with nothing pending leave at once, still charged (docs/design.md) */

/* pacer_budget_config.scope */
#define PACER_SCOPE_ALL 0
#define PACER_SCOPE_OUTSIDE_CLUSTER 1

/* Written by the agent; read by the program without a lock (each field is one aligned word). */
struct pacer_pod_config {
	/* Every limit is bits per second on the wire; 0 = none. */
	__u64 bits_per_sec;
	/* Traffic to (egress) or from (ingress) outside the cluster only. */
	__u64 external_bits_per_sec;
	/* A packet whose departure would be this far or further in the future is dropped, before charging. */
	__u64 horizon_ns;
	/* CE-mark ECT packets departing more than this far in the future; 0 = never (egress). */
	__u64 ecn_threshold_ns;
	/* Flow isolation: the burst one flow may send at once (ns of the Pod's rate), and the whole Pod. */
	__u64 flow_credit_ns;
	__u64 bypass_credit_ns;
	__u32 flags;
	__u32 budgets[PACER_BUDGETS_PER_POD];
	/* Flow isolation: the largest packet (wire bytes) that may leave ahead of the Pod's timeline. */
	__u32 sparse_max_len;
};

/* Written by every packet of the Pod, under the lock; 64 bytes, one cache line per Pod and direction. */
struct pacer_pod_timeline {
	struct bpf_spin_lock lock;
	__u32 reserved;
	/* End of the last slot given on each timeline (CLOCK_MONOTONIC ns); 0 = idle. */
	__u64 all_t_ns;
	__u64 external_t_ns;
	/* The Pod's bypass bucket for flow isolation, in ns of its rate, and when it was last refilled. */
	__u64 bypass_credit_ns;
	__u64 bypass_refill_ns;
	__u64 padding[3];
};

/* Bumped by every packet on its own CPU (a per-CPU map: no shared cache line, no atomics). */
struct pacer_pod_counters {
	__u64 packets;
	__u64 bytes;
	/* Packets given a departure in the future (paced). */
	__u64 delayed_packets;
	__u64 horizon_drops;
	__u64 ecn_marks;
	/* Packets of flows with nothing pending that left at once (flow isolation). */
	__u64 bypassed_packets;
	/* Packets and bytes classified as outside the cluster. */
	__u64 external_packets;
	__u64 external_bytes;
};

struct pacer_budget_config {
	/* This node's share of the budget. */
	__u64 bits_per_sec;
	__u64 horizon_ns;
	/* A cluster-wide share the agent must renew: after this time (CLOCK_MONOTONIC ns; 0 = never) the
	 * program uses fallback_bits_per_sec, so a node whose agent died falls to its floor by itself and
	 * the allocator can give the rest of its share to others. */
	__u64 expires_at_ns;
	__u64 fallback_bits_per_sec;
	__u32 scope;
	__u32 reserved;
};

struct pacer_budget_timeline {
	struct bpf_spin_lock lock;
	__u32 reserved;
	__u64 t_ns;
	__u64 padding[6];
};

struct pacer_budget_counters {
	__u64 packets;
	__u64 bytes;
	/* Packets the budget held back (its timeline was ahead of now): demand above the share. */
	__u64 delayed_packets;
	__u64 horizon_drops;
};

struct pacer_flow_key {
	__u32 pod_index;
	__u32 hash;
};

struct pacer_flow {
	/* The departure given to the flow's last packet: a flow's departures never go back (fq since v5.2
	 * serves a flow's packets in stamp order, commit eeb84aa0d0af), so its packets are never reordered. */
	__u64 last_departure_ns;
	__u64 credit_ns;
	__u64 refill_ns;
};

/* Inside-the-cluster prefixes; IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix length + 96). */
struct pacer_range_key {
	__u32 prefix_length;
	__u8 address[16];
};

#endif /* PACER_EDT_H */
