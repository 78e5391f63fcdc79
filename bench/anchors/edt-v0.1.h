/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one place where the kernel-side and user-side layout of pacer's EDT state is written down.
 * src/bpf/edt-state-codec.ts encodes/decodes this struct; its test checks the codec against the BTF of the
 * built object (build/bpf/edt.bpf.o), so a change here that the codec does not follow fails a test.
 */
#ifndef PACER_EDT_H
#define PACER_EDT_H

/* Array index = identity * 2 + direction (identity 1..PACER_EDT_MAX_IDENTITY). */
#define PACER_EDT_MAX_IDENTITY 16383
#define PACER_EDT_MAX_ENTRIES ((PACER_EDT_MAX_IDENTITY + 1) * 2)

#define PACER_DIRECTION_EGRESS 0
#define PACER_DIRECTION_INGRESS 1

struct pacer_edt_state {
	/* Limit in bits per second on the wire; 0 = unlimited (never delayed). Bits, not bytes, so that any
	 * integer limit the annotation allows is represented exactly. */
	__u64 bits_per_sec;
	/* Departure time (CLOCK_MONOTONIC ns) given to the previous packet. */
	__u64 t_last_ns;
	/* A packet whose departure time is this far or further in the future is dropped. */
	__u64 horizon_ns;
	/* CE-mark ECT packets whose departure is more than this far in the future; 0 = never mark. */
	__u64 ecn_threshold_ns;
	/* Counters, only ever increased by the program. */
	__u64 packets;
	__u64 bytes;
	__u64 delayed_packets;
	__u64 horizon_drops;
	__u64 ecn_marks;
};

#endif /* PACER_EDT_H */
