/**
 * In-memory Datapath: same contract as the EDT datapath, no kernel. Used by reconciler tests and the agent
 * benchmark, and held to the same conformance suite as the real one. "Kernel state" lives in a FakeKernel
 * that outlives a FakeDatapath, so an agent restart (new datapath, same kernel) can be simulated.
 */
import {
  DatapathError,
  type AppliedBudget,
  type AppliedLimit,
  type BudgetShare,
  type Datapath,
  type Direction,
  type EnsureResult,
  type LimitSpec,
  type RepairedPiece,
} from "../datapath.js";
import { normalizePrefixes, validateBudgetShare, validateSpec } from "../validate.js";

interface FakeEntry {
  spec: LimitSpec;
  identity: number;
  qdiscInstalled: boolean;
  programAttached: boolean;
}

/** Stands in for what the kernel would keep across agent restarts (pinned maps, qdiscs, filters). */
export class FakeKernel {
  readonly entries = new Map<string, FakeEntry>();
  readonly budgets = new Map<string, { share: BudgetShare; slot: number; writtenAtMs: number }>();
  /** Traffic the fake "sent" through a budget timeline (send()); the real kernel counts it per packet. */
  readonly budgetCounters = new Map<string, { bytes: number; delayedPackets: number }>();
  internalRanges: string[] = [];
  /** Namespaces that exist; undefined means every path exists. */
  existingNetns: Set<string> | undefined;
  /** Count of kernel operations, for tests that assert idempotence costs nothing. */
  writes = 0;
  /** Every budget share written that differs from the one before it, in order (what a restarted agent did). */
  readonly budgetWrites: BudgetShare[] = [];

  /** Moves the kernel's clock on by `ms` for the expiring budget shares (an agent away that long). */
  elapse(ms: number): void {
    for (const budget of this.budgets.values()) budget.writtenAtMs -= ms;
  }

  /** Charges `bytes` (and `delayedPackets` held back) to a budget timeline's counters, as traffic would. */
  send(key: string, direction: Direction, bytes: number, delayedPackets = 0): void {
    const counters = this.budgetCounters.get(entryKey(key, direction)) ?? { bytes: 0, delayedPackets: 0 };
    this.budgetCounters.set(entryKey(key, direction), { bytes: counters.bytes + bytes, delayedPackets: counters.delayedPackets + delayedPackets });
  }

  /** Simulates someone inside the Pod removing what the datapath installed. */
  tamper(podKey: string, direction: Direction, piece: RepairedPiece): void {
    const entry = this.entries.get(entryKey(podKey, direction));
    if (!entry) throw new Error(`fake kernel: no entry for ${podKey} ${direction}`);
    if (piece === "qdisc") entry.qdiscInstalled = false;
    else entry.programAttached = false;
  }
}

const entryKey = (key: string, direction: Direction): string => `${key}\u0000${direction}`;
const sameLimits = (a: LimitSpec, b: LimitSpec): boolean =>
  a.bitsPerSecond === b.bitsPerSecond && (a.externalBitsPerSecond ?? null) === (b.externalBitsPerSecond ?? null) &&
  JSON.stringify(a.budgets ?? []) === JSON.stringify(b.budgets ?? []);

export class FakeDatapath implements Datapath {
  readonly kind = "fake";
  private closed = false;

  constructor(readonly kernel: FakeKernel = new FakeKernel()) {}

  async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
    this.assertOpen();
    validateSpec(spec);
    const { existingNetns } = this.kernel;
    if (existingNetns && !existingNetns.has(spec.attachment.netnsPath)) {
      throw new DatapathError("NOT_FOUND", `open network namespace ${spec.attachment.netnsPath}: no such file`);
    }
    for (const budget of spec.budgets ?? []) {
      if (!this.kernel.budgets.has(entryKey(budget, spec.direction))) {
        throw new DatapathError("INVALID_ARGUMENT", `budget ${budget} ${spec.direction} is not in the datapath: ensureBudget it first`);
      }
    }
    const key = entryKey(spec.attachment.podKey, spec.direction);
    const existing = this.kernel.entries.get(key);
    if (!existing) {
      this.kernel.writes++;
      const identity = this.allocateIdentity();
      this.kernel.entries.set(key, { spec, identity, qdiscInstalled: true, programAttached: true });
      return { identity, repaired: [] };
    }
    const repaired: RepairedPiece[] = [];
    if (!existing.qdiscInstalled) repaired.push("qdisc");
    if (!existing.programAttached) repaired.push("program");
    if (repaired.length > 0 || !sameLimits(existing.spec, spec)) this.kernel.writes++;
    existing.qdiscInstalled = true;
    existing.programAttached = true;
    existing.spec = spec;
    return { identity: existing.identity, repaired };
  }

  async removeLimit(podKey: string, direction: Direction): Promise<void> {
    this.assertOpen();
    if (this.kernel.entries.delete(entryKey(podKey, direction))) this.kernel.writes++;
  }

  async listLimits(): Promise<AppliedLimit[]> {
    this.assertOpen();
    return [...this.kernel.entries.values()].map(({ spec, identity }) => ({
      podKey: spec.attachment.podKey,
      direction: spec.direction,
      identity,
      bitsPerSecond: spec.bitsPerSecond,
      externalBitsPerSecond: spec.externalBitsPerSecond ?? null,
      budgets: [...(spec.budgets ?? [])],
      netnsPath: spec.attachment.netnsPath,
      interfaceName:
        spec.direction === "egress" ? spec.attachment.podInterface : (spec.attachment.hostInterface ?? ""),
      counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
    }));
  }

  async ensureBudget(share: BudgetShare): Promise<{ slot: number }> {
    this.assertOpen();
    validateBudgetShare(share);
    const key = entryKey(share.key, share.direction);
    const existing = this.kernel.budgets.get(key);
    if (existing && JSON.stringify(existing.share) === JSON.stringify(share)) {
      existing.writtenAtMs = performance.now(); // the same expiry, renewed from now (as the kernel's)
      return { slot: existing.slot };
    }
    this.kernel.writes++;
    const used = new Set([...this.kernel.budgets.values()].map((budget) => budget.slot));
    let slot = existing?.slot ?? 1;
    while (!existing && used.has(slot)) slot++;
    this.kernel.budgets.set(key, { share, slot, writtenAtMs: performance.now() });
    this.kernel.budgetWrites.push(share);
    return { slot };
  }

  async removeBudget(key: string, direction: Direction): Promise<void> {
    this.assertOpen();
    const inUse = [...this.kernel.entries.values()].some((entry) => entry.spec.direction === direction && (entry.spec.budgets ?? []).includes(key));
    if (inUse) throw new DatapathError("INVALID_ARGUMENT", `budget ${key} ${direction} is still listed by a Pod: remove it from the Pod first`);
    if (this.kernel.budgets.delete(entryKey(key, direction))) this.kernel.writes++;
  }

  async listBudgets(): Promise<AppliedBudget[]> {
    this.assertOpen();
    return [...this.kernel.budgets.values()].map(({ share, slot, writtenAtMs }) => ({
      key: share.key, direction: share.direction, slot, scope: share.scope, bitsPerSecond: share.bitsPerSecond,
      ...(share.expiresInMs === undefined ? {} : {
        expiresInMs: Math.max(0, Math.floor(writtenAtMs + share.expiresInMs - performance.now())),
        fallbackBitsPerSecond: share.fallbackBitsPerSecond ?? 0,
      }),
      counters: { packets: 0, horizonDrops: 0, ...(this.kernel.budgetCounters.get(entryKey(share.key, share.direction)) ?? { bytes: 0, delayedPackets: 0 }) },
    }));
  }

  async setInternalRanges(prefixes: readonly string[]): Promise<void> {
    this.assertOpen();
    this.kernel.internalRanges = normalizePrefixes(prefixes);
  }

  async internalRanges(): Promise<string[]> {
    this.assertOpen();
    return [...this.kernel.internalRanges];
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private allocateIdentity(): number {
    const used = new Set([...this.kernel.entries.values()].map((e) => e.identity));
    let identity = 1;
    while (used.has(identity)) identity++;
    return identity;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("fake datapath: used after close()");
  }
}
