/**
 * The EDT datapath's budget timelines: one slot per (budget key, direction) on this node, its config (the
 * node's share, scope, expiry) written to the maps and its key kept in the state file, so Pods on this node
 * name budgets by key and the program charges them by slot.
 */
import { EDT_MAX_BUDGET, EDT_SCOPE_ALL, EDT_SCOPE_OUTSIDE_CLUSTER, type BudgetConfig, type EdtMaps } from "../../bpf/index.js";
import { DatapathError, type AppliedBudget, type BudgetShare, type Direction } from "../datapath.js";
import { validateBudgetShare } from "../validate.js";
import { step } from "./kernel-ops.js";
import { allocateSlot, type LimitRecords } from "./limit-records.js";

const NS_PER_MS = 1_000_000n;

/** CLOCK_MONOTONIC, the clock the program's bpf_ktime_get_ns reads (libuv's hrtime is CLOCK_MONOTONIC). */
const monotonicNowNs = (): bigint => process.hrtime.bigint();

export class EdtBudgets {
  constructor(
    private readonly records: LimitRecords,
    private readonly horizonNs: bigint,
  ) {}

  ensure(maps: EdtMaps, share: BudgetShare): { slot: number } {
    validateBudgetShare(share);
    const known = this.records.findBudget(share.key, share.direction);
    const slot = known?.slot ?? allocateSlot(this.records.budgets(), EDT_MAX_BUDGET);
    if (!known) this.records.putBudget({ key: share.key, direction: share.direction, slot });
    const config: BudgetConfig = {
      bitsPerSecond: BigInt(share.bitsPerSecond),
      horizonNs: this.horizonNs,
      expiresAtNs: share.expiresInMs === undefined ? 0n : monotonicNowNs() + BigInt(Math.ceil(share.expiresInMs)) * NS_PER_MS,
      fallbackBitsPerSecond: BigInt(share.fallbackBitsPerSecond ?? 0),
      scope: share.scope === "all" ? EDT_SCOPE_ALL : EDT_SCOPE_OUTSIDE_CLUSTER,
    };
    step(`set budget ${share.key} ${share.direction}`, () => maps.writeBudget(slot, config, !known));
    return { slot };
  }

  remove(maps: EdtMaps, key: string, direction: Direction, inUse: boolean): void {
    const known = this.records.findBudget(key, direction);
    if (!known) return;
    if (inUse) throw new DatapathError("INVALID_ARGUMENT", `budget ${key} ${direction} is still listed by a Pod: remove it from the Pod first`);
    step(`clear budget ${key} ${direction}`, () =>
      maps.writeBudget(known.slot, { bitsPerSecond: 0n, horizonNs: 0n, expiresAtNs: 0n, fallbackBitsPerSecond: 0n, scope: EDT_SCOPE_ALL }, true),
    );
    this.records.removeBudget(key, direction);
  }

  list(maps: EdtMaps): AppliedBudget[] {
    return this.records.budgets().map((record) => {
      const { config, counters } = step(`read budget ${record.key}`, () => maps.readBudget(record.slot));
      return {
        key: record.key,
        direction: record.direction,
        slot: record.slot,
        scope: config.scope === EDT_SCOPE_ALL ? "all" : "outside-cluster",
        bitsPerSecond: Number(config.bitsPerSecond),
        ...(config.expiresAtNs === 0n ? {} : {
          expiresInMs: Math.max(0, Number((config.expiresAtNs - monotonicNowNs()) / NS_PER_MS)),
          fallbackBitsPerSecond: Number(config.fallbackBitsPerSecond),
        }),
        counters: {
          packets: Number(counters.packets),
          bytes: Number(counters.bytes),
          delayedPackets: Number(counters.delayedPackets),
          horizonDrops: Number(counters.horizonDrops),
        },
      };
    });
  }

  /** Slots of `keys` for a Pod's config; a key never ensured is an error naming it. */
  slotsOf(keys: readonly string[], direction: Direction): number[] {
    return keys.map((key) => {
      const record = this.records.findBudget(key, direction);
      if (!record) throw new DatapathError("INVALID_ARGUMENT", `budget ${key} ${direction} is not in the datapath: ensureBudget it first`);
      return record.slot;
    });
  }

  /** Keys of `slots` (the reverse of slotsOf), for listLimits. */
  keysOf(slots: readonly number[], direction: Direction): string[] {
    return slots.map((slot) => this.records.budgets().find((record) => record.slot === slot && record.direction === direction)?.key ?? `slot ${slot}`);
  }
}
