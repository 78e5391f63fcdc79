/**
 * Parameters that follow a limit's rate (pure): the flow-isolation credits the program spends
 * (docs/design.md, "Flow isolation") and the fq packet limits that keep fq from dropping before the
 * program's horizon does.
 */
import type { FqOptions } from "../../bpf/index.js";

const NSEC_PER_SEC = 1_000_000_000;
const MTU_FRAME_BYTES = 1514;

/** Nanoseconds `bytes` take at `bitsPerSecond`, at least 1. */
const timeOf = (bytes: number, bitsPerSecond: number): number => Math.max(1, Math.ceil((bytes * 8 * NSEC_PER_SEC) / bitsPerSecond));

/**
 * The largest packet (wire bytes) that may leave ahead of the Pod's timeline: pings, DNS, a TCP_RR
 * transaction, an HTTP request, TCP's ACKs and handshakes fit; a bulk flow's full-size segments do not.
 * With many bulk flows sharing a small limit, each one's window waits for ACKs and its next segment finds
 * nothing of its flow pending, so "nothing pending" alone would let the bulk through too (measured at 10M
 * with 128 CUBIC streams: ping p50 325 ms, bench/results/e2e.md).
 */
export const SPARSE_MAX_BYTES = 1024;

/**
 * One flow may send max(2 full frames, 1 ms of the rate) of small packets at once before it queues like
 * the bulk; the whole Pod max(4 full frames, 2 ms of the rate). Both refill at the Pod's rate: what bypasses
 * is charged all the same, so light flows jump the queue but never get more than the limit.
 */
export function flowIsolationCredits(bitsPerSecond: number): { flowCreditNs: bigint; bypassCreditNs: bigint; sparseMaxLen: number } {
  return {
    flowCreditNs: BigInt(Math.max(timeOf(2 * MTU_FRAME_BYTES, bitsPerSecond), 1_000_000)),
    bypassCreditNs: BigInt(Math.max(timeOf(4 * MTU_FRAME_BYTES, bitsPerSecond), 2_000_000)),
    sparseMaxLen: SPARSE_MAX_BYTES,
  };
}

/**
 * fq drops a packet beyond its per-flow or total packet limit (default 100 and 10000) after the program
 * charged it, which leaves a hole in the timeline; only the horizon should drop. A flow can hold a whole
 * horizon of full frames at the rate, twice that as a margin, within [1000, 100000] per flow and
 * [10000, 200000] in all.
 */
export function fqLimitsFor(bitsPerSecond: number, horizonNs: bigint): Pick<FqOptions, "flowPlimit" | "plimit"> {
  const framesInHorizon = Math.ceil((Number(horizonNs) / NSEC_PER_SEC) * (bitsPerSecond / (8 * MTU_FRAME_BYTES)));
  const flowPlimit = Math.min(100_000, Math.max(1000, 2 * framesInHorizon));
  return { flowPlimit, plimit: Math.min(200_000, Math.max(10_000, 2 * flowPlimit)) };
}
