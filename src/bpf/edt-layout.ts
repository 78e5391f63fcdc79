/**
 * pacer's maps as bpf/edt.h lays them out: names, keys, value codecs. edt-layout.test.ts checks every
 * struct here against the BTF of build/bpf/edt.bpf.o: change both together.
 */
import { decodeStruct, encodeStruct, structLayout } from "./struct-codec.js";

export const EDT_PROGRAM_NAME = "pacer_edt";
export const EDT_MAX_IDENTITY = 1023;
export const EDT_MAX_BUDGET = 1023;
export const EDT_BUDGETS_PER_POD = 4;

export const EDT_MAPS = {
  podConfig: "pacer_pod_config",
  podTimeline: "pacer_pod_timeline",
  podCounters: "pacer_pod_counters",
  budgetConfig: "pacer_budget_config",
  budgetTimeline: "pacer_budget_timeline",
  budgetCounters: "pacer_budget_counters",
  flows: "pacer_flows",
  internalRanges: "pacer_internal_ranges",
} as const;

export type EdtDirectionIndex = 0 | 1;
export const EDT_DIRECTION_EGRESS: EdtDirectionIndex = 0;
export const EDT_DIRECTION_INGRESS: EdtDirectionIndex = 1;

export const EDT_FLOW_ISOLATION = 1;
export const EDT_SCOPE_ALL = 0;
export const EDT_SCOPE_OUTSIDE_CLUSTER = 1;

export const POD_CONFIG = structLayout("pacer_pod_config", [
  { name: "bits_per_sec", type: "u64", property: "bitsPerSecond" },
  { name: "external_bits_per_sec", type: "u64", property: "externalBitsPerSecond" },
  { name: "horizon_ns", type: "u64", property: "horizonNs" },
  { name: "ecn_threshold_ns", type: "u64", property: "ecnThresholdNs" },
  { name: "flow_credit_ns", type: "u64", property: "flowCreditNs" },
  { name: "bypass_credit_ns", type: "u64", property: "bypassCreditNs" },
  { name: "flags", type: "u32", property: "flags" },
  { name: "budgets", type: { array: "u32", length: EDT_BUDGETS_PER_POD }, property: "budgets" },
  { name: "sparse_max_len", type: "u32", property: "sparseMaxLen" },
]);

export const POD_TIMELINE = structLayout("pacer_pod_timeline", [
  { name: "lock", type: "lock" },
  { name: "reserved", type: "u32" },
  { name: "all_t_ns", type: "u64", property: "allTNs" },
  { name: "external_t_ns", type: "u64", property: "externalTNs" },
  { name: "bypass_credit_ns", type: "u64", property: "bypassCreditNs" },
  { name: "bypass_refill_ns", type: "u64", property: "bypassRefillNs" },
  { name: "padding", type: { array: "u64", length: 3 } },
]);

export const POD_COUNTERS = structLayout("pacer_pod_counters", [
  { name: "packets", type: "u64", property: "packets" },
  { name: "bytes", type: "u64", property: "bytes" },
  { name: "delayed_packets", type: "u64", property: "delayedPackets" },
  { name: "horizon_drops", type: "u64", property: "horizonDrops" },
  { name: "ecn_marks", type: "u64", property: "ecnMarks" },
  { name: "bypassed_packets", type: "u64", property: "bypassedPackets" },
  { name: "external_packets", type: "u64", property: "externalPackets" },
  { name: "external_bytes", type: "u64", property: "externalBytes" },
]);

export const BUDGET_CONFIG = structLayout("pacer_budget_config", [
  { name: "bits_per_sec", type: "u64", property: "bitsPerSecond" },
  { name: "horizon_ns", type: "u64", property: "horizonNs" },
  { name: "expires_at_ns", type: "u64", property: "expiresAtNs" },
  { name: "fallback_bits_per_sec", type: "u64", property: "fallbackBitsPerSecond" },
  { name: "scope", type: "u32", property: "scope" },
  { name: "reserved", type: "u32" },
]);

export const BUDGET_TIMELINE = structLayout("pacer_budget_timeline", [
  { name: "lock", type: "lock" },
  { name: "reserved", type: "u32" },
  { name: "t_ns", type: "u64", property: "tNs" },
  { name: "padding", type: { array: "u64", length: 6 } },
]);

export const BUDGET_COUNTERS = structLayout("pacer_budget_counters", [
  { name: "packets", type: "u64", property: "packets" },
  { name: "bytes", type: "u64", property: "bytes" },
  { name: "delayed_packets", type: "u64", property: "delayedPackets" },
  { name: "horizon_drops", type: "u64", property: "horizonDrops" },
]);

export const RANGE_KEY = structLayout("pacer_range_key", [
  { name: "prefix_length", type: "u32", property: "prefixLength" },
  { name: "address", type: { array: "u8", length: 16 }, property: "address" },
]);

export interface PodConfig {
  bitsPerSecond: bigint;
  externalBitsPerSecond: bigint;
  horizonNs: bigint;
  ecnThresholdNs: bigint;
  flowCreditNs: bigint;
  bypassCreditNs: bigint;
  flags: number;
  /** Flow isolation: the largest packet, in wire bytes, that may bypass the Pod's timeline. */
  sparseMaxLen: number;
  /** Budget slots (1..EDT_MAX_BUDGET), at most EDT_BUDGETS_PER_POD; the map gets zeros after them. */
  budgets: number[];
}

export interface PodCounters {
  packets: bigint;
  bytes: bigint;
  delayedPackets: bigint;
  horizonDrops: bigint;
  ecnMarks: bigint;
  bypassedPackets: bigint;
  externalPackets: bigint;
  externalBytes: bigint;
}

export interface BudgetConfig {
  bitsPerSecond: bigint;
  horizonNs: bigint;
  /** CLOCK_MONOTONIC ns after which fallbackBitsPerSecond applies; 0n = never. */
  expiresAtNs: bigint;
  fallbackBitsPerSecond: bigint;
  scope: number;
}

export interface BudgetCounters {
  packets: bigint;
  bytes: bigint;
  delayedPackets: bigint;
  horizonDrops: bigint;
}

export const emptyPodConfig = (): PodConfig => ({
  bitsPerSecond: 0n, externalBitsPerSecond: 0n, horizonNs: 0n, ecnThresholdNs: 0n, flowCreditNs: 0n, bypassCreditNs: 0n, flags: 0, sparseMaxLen: 0, budgets: [],
});

export const encodePodConfig = (config: PodConfig): Buffer => {
  if (config.budgets.length > EDT_BUDGETS_PER_POD) throw new RangeError(`a Pod's traffic is charged to at most ${EDT_BUDGETS_PER_POD} budgets`);
  return encodeStruct(POD_CONFIG, { ...config });
};

export const decodePodConfig = (buffer: Buffer): PodConfig => {
  const value = decodeStruct(POD_CONFIG, buffer) as unknown as PodConfig;
  return { ...value, budgets: value.budgets.filter((slot) => slot !== 0) };
};

export const encodeBudgetConfig = (config: BudgetConfig): Buffer => encodeStruct(BUDGET_CONFIG, { ...config });
export const decodeBudgetConfig = (buffer: Buffer): BudgetConfig => decodeStruct(BUDGET_CONFIG, buffer) as unknown as BudgetConfig;

/** A zeroed timeline value: idle (what a fresh limit or budget starts from). */
export const idlePodTimeline = (): Buffer => Buffer.alloc(POD_TIMELINE.size);
export const idleBudgetTimeline = (): Buffer => Buffer.alloc(BUDGET_TIMELINE.size);

/**
 * Sums a per-CPU map value (one entry per possible CPU, each rounded up to 8 bytes, as the kernel copies
 * per-CPU values to user space).
 */
function sumPerCpu<T extends Record<string, bigint>>(layout: ReturnType<typeof structLayout>, buffer: Buffer, cpus: number): T {
  const stride = Math.ceil(layout.size / 8) * 8;
  const total: Record<string, bigint> = {};
  for (let cpu = 0; cpu < cpus; cpu++) {
    const one = decodeStruct(layout, buffer, cpu * stride) as Record<string, bigint>;
    for (const [key, value] of Object.entries(one)) total[key] = (total[key] ?? 0n) + value;
  }
  return total as T;
}

export const perCpuValueSize = (layout: { size: number }, cpus: number): number => Math.ceil(layout.size / 8) * 8 * cpus;
export const decodePodCounters = (buffer: Buffer, cpus: number): PodCounters => sumPerCpu<PodCounters & Record<string, bigint>>(POD_COUNTERS, buffer, cpus);
export const decodeBudgetCounters = (buffer: Buffer, cpus: number): BudgetCounters =>
  sumPerCpu<BudgetCounters & Record<string, bigint>>(BUDGET_COUNTERS, buffer, cpus);

/** The Pod maps' index of (identity, direction). */
export function encodePodKey(identity: number, direction: EdtDirectionIndex): Buffer {
  if (!Number.isInteger(identity) || identity < 1 || identity > EDT_MAX_IDENTITY) {
    throw new RangeError(`identity ${identity} outside 1..${EDT_MAX_IDENTITY}`);
  }
  const key = Buffer.alloc(4);
  key.writeUInt32LE(identity * 2 + direction);
  return key;
}

export function decodePodKey(key: Buffer): { identity: number; direction: EdtDirectionIndex } {
  const index = key.readUInt32LE(0);
  return { identity: Math.floor(index / 2), direction: (index % 2) as EdtDirectionIndex };
}

export function encodeBudgetKey(slot: number): Buffer {
  if (!Number.isInteger(slot) || slot < 1 || slot > EDT_MAX_BUDGET) throw new RangeError(`budget slot ${slot} outside 1..${EDT_MAX_BUDGET}`);
  const key = Buffer.alloc(4);
  key.writeUInt32LE(slot);
  return key;
}

/** An LPM key: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), its prefix length + 96. */
export function encodeRangeKey(address: Uint8Array, prefixLength: number): Buffer {
  const mapped = address.length === 4 ? Uint8Array.from([...new Array<number>(10).fill(0), 0xff, 0xff, ...address]) : address;
  const length = address.length === 4 ? prefixLength + 96 : prefixLength;
  if (mapped.length !== 16 || !Number.isInteger(length) || length < 0 || length > 128) {
    throw new RangeError(`range key: ${address.length}-byte address with prefix length ${prefixLength}`);
  }
  return encodeStruct(RANGE_KEY, { prefixLength: length, address: [...mapped] });
}
