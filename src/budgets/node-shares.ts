/**
 * What an agent enforces for each ClusterWide budget on its node, pure (docs/cluster-budgets.md, "What a
 * node enforces"). Inputs: the allocations the allocator wrote (its own BandwidthNode's status), the
 * outcome of its own report writes, the kernel's config at start and the clock, passed in.
 *
 * - In contact and trusted: the allocation; the budget's floor while the allocation is 0, or while no
 *   allocation answers a report that includes the budget yet (a node that gains its first selected Pod gets
 *   the floor at once, from the reserve, and no stale allocation from an earlier membership); and at least
 *   the floor from the moment the budget's active members rise from none until an allocation answers the
 *   report that says so (a small share left from an earlier, quieter spell does not starve a new sender).
 * - The kernel is told to fall back to min(floor, share) at lastContact + holdMs, where lastContact is when
 *   the last successful report write was sent: an agent that dies stops renewing, and its kernel falls back
 *   by itself before the allocator may reclaim the share (expiryMs > holdMs).
 * - Cut off (no successful write for holdMs): the floor, never zero, never unlimited; and no allocation is
 *   trusted again until one answers a report written after contact came back (`resyncFromSeq`), because
 *   the allocator may have reclaimed the share meanwhile.
 * - Just started: what the kernel enforced when the last agent stopped, until that config's own expiry, then
 *   the floor — again until an allocation answers a report of this agent.
 * - Every report carries the generation applied (appliedGeneration): it acknowledges a decrease, and until
 *   then the allocator keeps counting the old, larger share (hand-over.ts). The report is urgent only when
 *   the allocator asks (Allocation.acknowledge): it waits on the freed share for another node; otherwise
 *   the acknowledgement rides on the next report, whatever its reason.
 * - Released: a budget none of whose selected Pods sent in the last sample (`idle`) is capped at
 *   min(floor, share) at once, by the node itself — it has no sender to starve — and stays capped, idle or
 *   not, until an allocation answers a report written after the cap began. Its reports say so
 *   (BudgetReport.released), and the allocator drops the node's claim on seeing one, without the round trip
 *   of a decrease and its acknowledgement (coordinator.ts): a stopped node's share reaches another node
 *   about a second sooner. Capped at the floor, the node is where a node with share 0 is: the reserve
 *   covers it.
 */
import type { BudgetKey, KernelBudgetShare, NodeAllocations } from "./protocol.js";

export interface LocalBudget {
  key: BudgetKey;
  floorBitsPerSecond: number;
  /** The budget's active members just rose from none: at least the floor until an answer sees them. */
  gainedSender?: boolean;
  /** None of the budget's selected Pods sent in the last sample: capped at min(floor, share), released. */
  idle?: boolean;
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
  /** Per budget that gained a sender: the report that says so; the floor holds at least until it is answered. */
  private readonly floorUntilAnswered = new Map<BudgetKey, number>();
  /** Per budget, the applied generation the last successful report carried. */
  private readonly reportedApplied = new Map<BudgetKey, number>();
  /** Per released budget: the first report written since the cap began; capped until an answer sees it. */
  private readonly releasedUntil = new Map<BudgetKey, number>();

  constructor(private readonly holdMs: number, start: NodeSharesStart) {
    this.trustFromSeq = start.firstSeq;
    this.lastAttemptedSeq = start.firstSeq - 1;
    this.inherited = new Map(start.kernel);
  }

  /** The seq from which this agent trusts allocations again; 0 when it trusts what it has. */
  get resyncFromSeq(): number {
    return this.trusted() ? 0 : this.trustFromSeq;
  }

  /**
   * The allocator waits on this node's acknowledgement (Allocation.acknowledge) of an allocation it
   * applied, and no report carried it yet: report soon. Whatever the allocation did to the share — the
   * allocator may wait on an older decrease the node applied while its report with it was lost.
   */
  get acknowledgementDue(): boolean {
    for (const [key, applied] of this.applied) {
      const allocation = this.status?.allocations.get(key);
      if (allocation?.acknowledge && applied.generation >= allocation.generation && (this.reportedApplied.get(key) ?? 0) < allocation.generation) return true;
    }
    return false;
  }

  /** The floor to use for a budget: the allocator's (its allocation says it), else the spec's. */
  floorFor(key: BudgetKey, specFloorBitsPerSecond: number): number {
    const floor = this.status?.allocations.get(key)?.floorBitsPerSecond ?? 0;
    return floor > 0 ? Math.min(floor, specFloorBitsPerSecond) : specFloorBitsPerSecond;
  }

  /** The budget is capped at min(floor, share) until an answer (its reports carry `released`). */
  released(key: BudgetKey): boolean {
    return this.releasedUntil.has(key);
  }

  appliedGeneration(key: BudgetKey): number {
    return this.applied.get(key)?.generation ?? 0;
  }

  /**
   * A status from the watch (or a re-list). Each allocation's generation only grows, so an entry older than
   * the one already seen is a late copy (an event from before a re-list): it is kept out, or the node would
   * enforce, and report, an allocation the allocator already replaced.
   */
  statusObserved(status: NodeAllocations): void {
    const before = this.status;
    if (before === null) return void (this.status = status);
    const allocations = new Map(status.allocations);
    for (const [key, allocation] of allocations) {
      const known = before.allocations.get(key);
      if (known && known.generation > allocation.generation) allocations.set(key, known);
    }
    this.status = { seenReportSeq: Math.max(before.seenReportSeq, status.seenReportSeq), allocations };
  }

  reportAttempted(seq: number): void {
    this.lastAttemptedSeq = Math.max(this.lastAttemptedSeq, seq);
  }

  /** A report write succeeded; `sentAtMs` is when it was sent, `appliedGenerations` what it reported. */
  reportSucceeded(sentAtMs: number, appliedGenerations: ReadonlyMap<BudgetKey, number>): void {
    this.lastContactMs = Math.max(this.lastContactMs, sentAtMs);
    for (const [key, generation] of appliedGenerations) this.reportedApplied.set(key, Math.max(this.reportedApplied.get(key) ?? 0, generation));
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
      this.reportedApplied.clear();
    }
    const trusted = this.trusted() && !cutOff;
    const wanted = new Set(budgets.map((budget) => budget.key));
    for (const key of [...this.firstReportOf.keys()]) {
      if (!wanted.has(key)) (this.firstReportOf.delete(key), this.applied.delete(key), this.reportedApplied.delete(key), this.floorUntilAnswered.delete(key));
    }
    for (const key of [...this.releasedUntil.keys()]) if (!wanted.has(key)) this.releasedUntil.delete(key);
    const result = new Map<BudgetKey, KernelBudgetShare>();
    for (const { key, floorBitsPerSecond: floor, gainedSender, idle } of budgets) {
      if (!this.firstReportOf.has(key)) this.firstReportOf.set(key, this.lastAttemptedSeq + 1);
      if (gainedSender) this.floorUntilAnswered.set(key, this.lastAttemptedSeq + 1);
      const untilSeq = this.floorUntilAnswered.get(key);
      if (untilSeq !== undefined && (this.status?.seenReportSeq ?? 0) >= untilSeq) this.floorUntilAnswered.delete(key);
      if (idle && !this.releasedUntil.has(key)) this.releasedUntil.set(key, this.lastAttemptedSeq + 1);
      const releasedSeq = this.releasedUntil.get(key);
      if (releasedSeq !== undefined && !idle && (this.status?.seenReportSeq ?? 0) >= releasedSeq) this.releasedUntil.delete(key);
      const cap = (share: KernelBudgetShare): KernelBudgetShare =>
        this.releasedUntil.has(key) && share.bitsPerSecond > floor ? { ...share, bitsPerSecond: floor, fallbackBitsPerSecond: Math.min(floor, share.fallbackBitsPerSecond) } : share;
      const atFloor: KernelBudgetShare = { bitsPerSecond: floor, expiresAtMs: Infinity, fallbackBitsPerSecond: floor };
      if (!trusted || (this.status?.seenReportSeq ?? 0) < (this.firstReportOf.get(key) ?? 0)) {
        const inherited = this.inherited.get(key);
        result.set(key, cap(inherited && nowMs < inherited.expiresAtMs ? inherited : atFloor));
        continue;
      }
      this.inherited.delete(key);
      const allocation = this.status?.allocations.get(key);
      const allocated = allocation && allocation.bitsPerSecond > 0 ? allocation.bitsPerSecond : floor;
      const bits = this.floorUntilAnswered.has(key) ? Math.max(allocated, floor) : allocated;
      if (allocation) this.apply(key, allocation.generation, allocation.bitsPerSecond);
      result.set(key, cap({ bitsPerSecond: bits, expiresAtMs: this.lastContactMs + this.holdMs, fallbackBitsPerSecond: Math.min(floor, bits) }));
    }
    return result;
  }

  private trusted(): boolean {
    return this.status !== null && this.status.seenReportSeq >= this.trustFromSeq;
  }

  private apply(key: BudgetKey, generation: number, bitsPerSecond: number): void {
    const before = this.applied.get(key);
    if (before && before.generation === generation) return;
    this.applied.set(key, { generation, bitsPerSecond });
  }
}
