/**
 * What an agent enforces for each ClusterWide budget on its node, pure (docs/cluster-budgets.md, "What a
 * node enforces"). Inputs: the allocations the allocator wrote (its own BandwidthNode's status), the
 * outcome of its own report writes, the kernel's config at start and the clock, passed in.
 *
 * - In contact and trusted: the allocation; the budget's floor while the allocation is 0, or while no
 *   allocation answers a report that includes the budget yet (a node that gains its first selected Pod gets
 *   the floor at once, from the reserve, and no stale allocation from an earlier membership).
 * - The kernel is told to fall back to min(floor, share) at lastContact + holdMs, where lastContact is when
 *   the last successful report write was sent: an agent that dies stops renewing, and its kernel falls back
 *   by itself before the allocator may reclaim the share (expiryMs > holdMs).
 * - Cut off (no successful write for holdMs): the floor, never zero, never unlimited; and no allocation is
 *   trusted again until one answers a report written after contact came back (`resyncFromSeq`), because
 *   the allocator may have reclaimed the share meanwhile.
 * - Just started: what the kernel enforced when the last agent stopped, until that config's own expiry, then
 *   the floor — again until an allocation answers a report of this agent.
 * - A decrease is acknowledged in the next report (appliedGeneration): until then the allocator keeps
 *   counting the old, larger share (hand-over.ts). So is the first allocation applied after a start or a
 *   lost contact. The report is urgent only when the allocator asks (Allocation.acknowledge): it waits on
 *   the freed share for another node; any other decrease rides on the next report, whatever its reason.
 */
import type { BudgetKey, KernelBudgetShare, NodeAllocations } from "./protocol.js";

export interface LocalBudget {
  key: BudgetKey;
  floorBitsPerSecond: number;
}

export interface NodeSharesStart {
  /** The kernel's budget configs as the previous agent left them (pinned maps survive a restart). */
  kernel: ReadonlyMap<BudgetKey, KernelBudgetShare>;
  /** The first report seq this agent will write. */
  firstSeq: number;
}

interface Applied {
  generation: number;
  bitsPerSecond: number;
}

export class NodeShares {
  private status: NodeAllocations | null = null;
  private trustFromSeq: number;
  private lastAttemptedSeq: number;
  private lastContactMs = -Infinity;
  private inherited: Map<BudgetKey, KernelBudgetShare>;
  private readonly applied = new Map<BudgetKey, Applied>();
  /** Per budget, the first report that included it: its allocation counts only once it answers that report. */
  private readonly firstReportOf = new Map<BudgetKey, number>();
  /** Budgets whose last applied change was a decrease not yet acknowledged: the generation to report. */
  private readonly unacknowledged = new Map<BudgetKey, number>();

  constructor(private readonly holdMs: number, start: NodeSharesStart) {
    this.trustFromSeq = start.firstSeq;
    this.lastAttemptedSeq = start.firstSeq - 1;
    this.inherited = new Map(start.kernel);
  }

  /** The seq from which this agent trusts allocations again; 0 when it trusts what it has. */
  get resyncFromSeq(): number {
    return this.trusted() ? 0 : this.trustFromSeq;
  }

  /** A decrease the allocator waits on is not acknowledged yet (Allocation.acknowledge): report soon. */
  get acknowledgementDue(): boolean {
    for (const key of this.unacknowledged.keys()) if (this.status?.allocations.get(key)?.acknowledge) return true;
    return false;
  }

  appliedGeneration(key: BudgetKey): number {
    return this.applied.get(key)?.generation ?? 0;
  }

  statusObserved(status: NodeAllocations): void {
    this.status = status;
  }

  reportAttempted(seq: number): void {
    this.lastAttemptedSeq = Math.max(this.lastAttemptedSeq, seq);
  }

  /** A report write succeeded; `sentAtMs` is when it was sent, `appliedGenerations` what it reported. */
  reportSucceeded(sentAtMs: number, appliedGenerations: ReadonlyMap<BudgetKey, number>): void {
    this.lastContactMs = Math.max(this.lastContactMs, sentAtMs);
    for (const [key, generation] of this.unacknowledged) {
      if ((appliedGenerations.get(key) ?? 0) >= generation) this.unacknowledged.delete(key);
    }
  }

  cutOff(nowMs: number): boolean {
    return nowMs >= this.lastContactMs + this.holdMs;
  }

  /** The kernel config to enforce now for each budget the node has selected Pods for. */
  enforce(nowMs: number, budgets: readonly LocalBudget[]): Map<BudgetKey, KernelBudgetShare> {
    const cutOff = this.cutOff(nowMs) && this.lastContactMs > -Infinity;
    if (cutOff && this.trustFromSeq <= this.lastAttemptedSeq) {
      // Contact lost: whatever answers the reports written so far may be stale by the time it arrives.
      this.trustFromSeq = this.lastAttemptedSeq + 1;
      this.inherited.clear();
      this.applied.clear();
    }
    const trusted = this.trusted() && !cutOff;
    const wanted = new Set(budgets.map((budget) => budget.key));
    for (const key of [...this.firstReportOf.keys()]) {
      if (!wanted.has(key)) (this.firstReportOf.delete(key), this.applied.delete(key), this.unacknowledged.delete(key));
    }
    const result = new Map<BudgetKey, KernelBudgetShare>();
    for (const { key, floorBitsPerSecond: floor } of budgets) {
      if (!this.firstReportOf.has(key)) this.firstReportOf.set(key, this.lastAttemptedSeq + 1);
      const atFloor: KernelBudgetShare = { bitsPerSecond: floor, expiresAtMs: Infinity, fallbackBitsPerSecond: floor };
      if (!trusted || (this.status?.seenReportSeq ?? 0) < (this.firstReportOf.get(key) ?? 0)) {
        const inherited = this.inherited.get(key);
        result.set(key, inherited && nowMs < inherited.expiresAtMs ? inherited : atFloor);
        continue;
      }
      this.inherited.delete(key);
      const allocation = this.status?.allocations.get(key);
      const bits = allocation && allocation.bitsPerSecond > 0 ? allocation.bitsPerSecond : floor;
      if (allocation) this.apply(key, allocation.generation, allocation.bitsPerSecond);
      result.set(key, { bitsPerSecond: bits, expiresAtMs: this.lastContactMs + this.holdMs, fallbackBitsPerSecond: Math.min(floor, bits) });
    }
    return result;
  }

  private trusted(): boolean {
    return this.status !== null && this.status.seenReportSeq >= this.trustFromSeq;
  }

  private apply(key: BudgetKey, generation: number, bitsPerSecond: number): void {
    const before = this.applied.get(key);
    if (before && before.generation === generation) return;
    // The first allocation after a start or a lost contact is acknowledged too: the allocator cannot know
    // what the node enforced before it (an inherited or earlier, larger share).
    if (!before || bitsPerSecond < before.bitsPerSecond) this.unacknowledged.set(key, generation);
    this.applied.set(key, { generation, bitsPerSecond });
  }
}
