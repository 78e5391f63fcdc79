/**
 * On how many CPUs the Pod's program ran during a stream, from its per-CPU counters
 * (BPF_MAP_TYPE_PERCPU_ARRAY pacer_pod_counters: one slot per possible CPU, each bumped only by the CPU it
 * belongs to). A lookup returns every possible CPU's value, each rounded up to 8 bytes; `packets` is the
 * first u64 (bpf/edt.h, struct pacer_pod_counters). The pure part is unit-tested; reading is one map lookup.
 */
import { join } from "node:path";
import { BpfMap, EDT_MAPS, POD_COUNTERS, encodePodKey, possibleCpus, type EdtDirectionIndex } from "../../../src/bpf/index.js";

/** Each CPU's `packets` slot of one per-CPU counters value (pure). */
export function packetsPerCpu(value: Buffer, cpus: number): bigint[] {
  const stride = Math.ceil(POD_COUNTERS.size / 8) * 8;
  return Array.from({ length: cpus }, (_, cpu) => value.readBigUInt64LE(cpu * stride));
}

/** CPUs whose slot grew between two reads, and each CPU's share of the packets (pure). */
export function cpusUsed(before: readonly bigint[], after: readonly bigint[]): { cpus: number; shares: number[] } {
  const grown = after.map((value, cpu) => value - (before[cpu] ?? 0n));
  const total = grown.reduce((sum, value) => sum + value, 0n);
  return {
    cpus: grown.filter((value) => value > 0n).length,
    shares: grown.map((value) => (total === 0n ? 0 : Number(value) / Number(total))),
  };
}

/** Reads the per-CPU packet counts of a Pod entry from the agent's pinned counters map. */
export function readPacketsPerCpu(bpffsDir: string, identity: number, direction: EdtDirectionIndex): bigint[] {
  const map = BpfMap.openPinned(join(bpffsDir, EDT_MAPS.podCounters));
  try {
    const value = map.lookup(encodePodKey(identity, direction));
    return value === undefined ? [] : packetsPerCpu(value, possibleCpus());
  } finally {
    map.close();
  }
}
