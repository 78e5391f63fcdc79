/**
 * The allocator's state machine, pure: what the Lease-elected agent does with the BandwidthNode objects it
 * watches (docs/cluster-budgets.md, "The allocator"). The caller feeds it watch events, API outcomes and
 * ticks (every ~1 s and soon after a report changes); each tick returns the status writes to make.
 *
 * - Takes over from what the previous leader published: every node's allocations and claims (hand-over.ts),
 *   and a full expiry counted from its own start.
 * - Each dirty budget is split (allocator.ts) and the split is handed over without passing the budget
 *   (hand-over.ts); only nodes whose allocations change, or that asked for a fresh answer (resyncFromSeq),
 *   get a write — one write per node, whatever the number of its budgets; an increase waits until the
 *   node's last write is a second old (a trickle of acknowledgements would otherwise write it each tick) —
 *   unless it reaches the node's target: that is the last write of the hand-over, and waiting the rest of
 *   the second for it was a second of every start (a partial grant out of the lent reserve, then the
 *   acknowledgement 0.1–0.2 s later). A deferred increase says when it is due (`dueAtMs`).
 * - A released budget (BudgetReport.released: the node's senders stopped, and it capped itself at its floor
 *   until answered) loses its share and its claim at once (hand-over.ts release): what it held goes to
 *   the others in the same tick, without a decrease and an acknowledgement in between.
 * - Silent nodes expire under liveness.ts's rule; an expired node keeps min(floor, claim) per budget off
 *   the capacity (its kernel fell back to that, and its Pods may still send) until it reports again or its
 *   object is deleted.
 * - The BandwidthBudget summaries go out through budget-summary.ts's throttle.
 */
import { splitBudget, type NodeDemand } from "./allocator.js";
import { DEFAULT_SUMMARY, SummaryThrottle, type BudgetSummary } from "./budget-summary.js";
import type { CoordinatorTuning } from "./coordinator-tuning.js";
import { acknowledge, bookFromPublished, claimOf, currentOf, planHandOver, publish, release, type ShareBook } from "./hand-over.js";
import { ApiHealth, isExpired } from "./liveness.js";
import type { BudgetKey, BudgetTerms, NodeAllocations, NodeReport } from "./protocol.js";

export { DEFAULT_COORDINATOR, type CoordinatorTuning, type HeldBackDemand } from "./coordinator-tuning.js";

/** A BandwidthNode as the allocator sees it (spec: the report; status: what was published). */
export interface ObservedNode {
  name: string;
  report: NodeReport | null;
  allocations: NodeAllocations | null;
}

export interface StatusWrite {
  node: string;
  allocations: NodeAllocations;
}

export interface TickResult {
  statusWrites: StatusWrite[];
  summaryWrites: Array<{ key: BudgetKey; summary: BudgetSummary }>;
}

interface NodeState {
  report: NodeReport | null;
  lastReportMs: number;
  books: Map<BudgetKey, ShareBook>;
  /** Per budget, what an expired node still takes off the capacity; null while it is alive. */
  expiredFloors: Map<BudgetKey, number> | null;
  writtenSeenSeq: number;
  needsWrite: boolean;
  lastWriteMs: number;
  /** Last generations of budgets whose books went (the node may still hold them): new books go on from there. */
  droppedGenerations: Map<BudgetKey, number>;
}

const FULL_PASS_EVERY = 10;

export class Coordinator {
  private readonly nodes = new Map<string, NodeState>();
  private readonly dirty = new Set<BudgetKey>();
  private readonly health = new ApiHealth();
  private readonly summaries: SummaryThrottle;
  private readonly latest = new Map<BudgetKey, BudgetSummary>();
  /** The floor each budget's last split used (allocator.ts effectiveFloor), published with allocations. */
  private readonly floors = new Map<BudgetKey, number>();
  private ticks = 0;
  private due = Infinity;

  constructor(private readonly tuning: CoordinatorTuning, nowMs: number, published: Iterable<ObservedNode>, private budgets: ReadonlyMap<BudgetKey, BudgetTerms>) {
    this.summaries = new SummaryThrottle({ minIntervalMs: tuning.summaryIntervalMs, significantChange: DEFAULT_SUMMARY.significantChange });
    this.health.succeeded(nowMs); // the takeover's list succeeded
    for (const node of published) {
      const books = new Map<BudgetKey, ShareBook>();
      for (const [key, allocation] of node.allocations?.allocations ?? []) {
        const acknowledged = node.report?.budgets.get(key)?.appliedGeneration ?? 0;
        books.set(key, bookFromPublished({ generation: allocation.generation, bitsPerSecond: allocation.bitsPerSecond }, allocation.claimBitsPerSecond, acknowledged, allocation.acknowledge));
      }
      this.nodes.set(node.name, { report: node.report, lastReportMs: nowMs, books, expiredFloors: null, writtenSeenSeq: node.allocations?.seenReportSeq ?? 0, needsWrite: false, lastWriteMs: -Infinity, droppedGenerations: new Map() });
    }
    for (const key of budgets.keys()) this.dirty.add(key);
  }

  /** A summary already in a budget's status (so a new leader does not rewrite every budget at once). */
  adoptSummary(key: BudgetKey, summary: BudgetSummary, nowMs: number): void {
    this.summaries.adopt(key, summary, nowMs);
  }

  budgetsChanged(budgets: ReadonlyMap<BudgetKey, BudgetTerms>): void {
    this.budgets = budgets;
    for (const key of budgets.keys()) this.dirty.add(key);
  }

  apiSucceeded(nowMs: number): void {
    this.health.succeeded(nowMs);
  }

  apiFailed(): void {
    this.health.failed();
  }

  nodeObserved(nowMs: number, observed: ObservedNode): void {
    this.health.succeeded(nowMs);
    const report = observed.report;
    let state = this.nodes.get(observed.name);
    if (state === undefined) {
      state = { report: null, lastReportMs: nowMs, books: new Map(), expiredFloors: null, writtenSeenSeq: observed.allocations?.seenReportSeq ?? 0, needsWrite: false, lastWriteMs: -Infinity, droppedGenerations: new Map() };
      this.nodes.set(observed.name, state);
    }
    if (report === null || (state.report !== null && report.reportSeq <= state.report.reportSeq)) return; // our own status write, or old
    state.lastReportMs = nowMs;
    if (state.expiredFloors !== null) {
      // Back from expiry: its kernel is at its fallback and its agent trusts nothing old; start its books at 0.
      for (const key of state.expiredFloors.keys()) this.dirty.add(key);
      for (const [key, book] of state.books) state.books.set(key, { published: [{ generation: currentOf(book).generation, bitsPerSecond: 0 }] });
      state.expiredFloors = null;
    }
    const keys = new Set([...report.budgets.keys(), ...(state.report?.budgets.keys() ?? [])]);
    for (const key of keys) {
      const before = state.report?.budgets.get(key);
      const now = report.budgets.get(key);
      const book = state.books.get(key);
      if (now === undefined) {
        // No selected Pods on the node any more: nothing is charged to the budget there.
        if (book) (state.droppedGenerations.set(key, currentOf(book).generation), state.books.delete(key), (state.needsWrite = true));
      } else if (book) {
        const claim = claimOf(book);
        acknowledge(book, now.appliedGeneration);
        // Released (its senders stopped; node-shares.ts): the node is capped at its floor until answered, so
        // its claim goes now. An answer is written when the share changed, or when the node has senders
        // again (it stays capped until one comes).
        if (now.released === true && (release(book) || now.members > 0)) state.needsWrite = true;
        if (claimOf(book) !== claim) this.dirty.add(key);
      }
      if (before === undefined || now === undefined || before.demandBitsPerSecond !== now.demandBitsPerSecond || before.members !== now.members || before.heldBack !== now.heldBack || before.unbounded !== now.unbounded) this.dirty.add(key);
    }
    state.report = report;
    if (report.resyncFromSeq > state.writtenSeenSeq) state.needsWrite = true;
  }

  nodeDeleted(name: string): void {
    const state = this.nodes.get(name);
    if (!state) return;
    for (const key of [...state.books.keys(), ...(state.expiredFloors?.keys() ?? [])]) this.dirty.add(key);
    this.nodes.delete(name);
  }

  /** When a deferred increase may be written: the caller ticks then (as soon as a report), not a second later. */
  get dueAtMs(): number {
    return this.due;
  }

  tick(nowMs: number): TickResult {
    this.due = Infinity;
    this.expireSilentNodes(nowMs);
    const full = this.ticks++ % FULL_PASS_EVERY === 0;
    const keys = full ? [...this.budgets.keys()] : [...this.dirty].filter((key) => this.budgets.has(key));
    this.dirty.clear();
    const { members, fixed } = this.membersByBudget();
    const summaryWrites: TickResult["summaryWrites"] = [];
    for (const key of keys) this.latest.set(key, this.allocate(nowMs, key, this.budgets.get(key)!, members.get(key) ?? [], fixed.get(key) ?? 0));
    for (const [key, summary] of this.latest) {
      if (!this.budgets.has(key)) this.latest.delete(key);
      else if (this.summaries.due(key, nowMs, summary)) {
        this.summaries.sent(key, nowMs, summary);
        summaryWrites.push({ key, summary });
      }
    }
    return { statusWrites: this.statusWrites(nowMs), summaryWrites };
  }

  /** A status write failed (or its outcome is unknown): the books keep counting it; write again next tick. */
  statusWriteFailed(node: string): void {
    const state = this.nodes.get(node);
    if (state) state.needsWrite = true;
  }

  summaryWriteFailed(key: BudgetKey, nowMs: number): void {
    this.summaries.failed(key, nowMs);
  }

  /** Nodes expired now (for metrics and status). */
  expiredNodes(): string[] {
    return [...this.nodes].filter(([, state]) => state.expiredFloors !== null).map(([name]) => name);
  }

  /** Σ of every node's claim and expired floor for a budget: what may be enforced at most (for checks). */
  claimedBitsPerSecond(key: BudgetKey): number {
    let sum = 0;
    for (const state of this.nodes.values()) sum += state.expiredFloors?.get(key) ?? (state.books.has(key) ? claimOf(state.books.get(key)!) : 0);
    return sum;
  }

  private expireSilentNodes(nowMs: number): void {
    for (const state of this.nodes.values()) {
      if (state.expiredFloors !== null || !isExpired(nowMs, state.lastReportMs, this.health, this.tuning.timings.expiryMs)) continue;
      state.expiredFloors = new Map();
      for (const [key, book] of state.books) {
        const floor = this.budgets.get(key)?.floorBitsPerSecond ?? 0;
        state.expiredFloors.set(key, Math.min(floor, claimOf(book)));
        this.dirty.add(key);
      }
    }
  }

  /** Per budget: the live nodes that report it, and what expired nodes still take off its capacity. */
  private membersByBudget(): { members: Map<BudgetKey, string[]>; fixed: Map<BudgetKey, number> } {
    const members = new Map<BudgetKey, string[]>();
    const fixed = new Map<BudgetKey, number>();
    for (const [name, state] of this.nodes) {
      if (state.expiredFloors !== null) {
        for (const [key, bits] of state.expiredFloors) fixed.set(key, (fixed.get(key) ?? 0) + bits);
        continue;
      }
      for (const key of state.report?.budgets.keys() ?? []) {
        const list = members.get(key) ?? [];
        list.push(name);
        members.set(key, list);
      }
    }
    return { members, fixed };
  }

  private allocate(nowMs: number, key: BudgetKey, terms: BudgetTerms, names: readonly string[], fixed: number): BudgetSummary {
    const demands: NodeDemand[] = [];
    for (const name of names) {
      const entry = this.nodes.get(name)!.report!.budgets.get(key)!;
      const policy = this.tuning.heldBackDemand;
      const unbounded = entry.heldBack && (policy === "unbounded" || (policy === "escalating" && entry.unbounded));
      demands.push({ node: name, demandBitsPerSecond: entry.demandBitsPerSecond, members: entry.members, heldBack: entry.heldBack, unbounded });
    }
    const split = splitBudget(
      { budgetBitsPerSecond: terms.bitsPerSecond, reserveFraction: this.tuning.reserveFraction, floorBitsPerSecond: terms.floorBitsPerSecond, fixedBitsPerSecond: fixed },
      demands,
    );
    this.floors.set(key, split.floorBitsPerSecond);
    const requests = names.map((name) => {
      const state = this.nodes.get(name)!;
      let book = state.books.get(key);
      if (book === undefined) state.books.set(key, (book = { published: [], baseGeneration: state.droppedGenerations.get(key) ?? 0 }));
      const atLocalFloor = currentOf(book).bitsPerSecond === 0 && (state.report?.budgets.get(key)?.members ?? 0) > 0;
      return { node: name, targetBitsPerSecond: split.shares.get(name) ?? 0, book, ...(atLocalFloor ? { minimumGrantBitsPerSecond: split.floorBitsPerSecond } : {}) };
    });
    const borrow = Math.floor(this.tuning.handOverBorrow * this.tuning.reserveFraction * terms.bitsPerSecond);
    const contended = demands.some((demand) => demand.heldBack);
    const { changes, waiting } = planHandOver(split.capacityBitsPerSecond, requests, this.tuning.handOver, this.tuning.stickiness, borrow);
    let allocated = 0;
    for (const request of requests) {
      const change = changes.get(request.node);
      const state = this.nodes.get(request.node)!;
      const book = request.book;
      const partial = change !== undefined && change < request.targetBitsPerSecond;
      if (change !== undefined && partial && change > currentOf(book).bitsPerSecond && nowMs < state.lastWriteMs + this.tuning.increaseIntervalMs) {
        // A part of an increase, written less than a second after the last: it goes with the tick due then
        // (the caller asks `dueAtMs`). The increase that reaches the target goes at once: one write, however
        // soon after a partial grant — the acknowledgements it waited on usually come within 0.2 s.
        this.dirty.add(key);
        this.due = Math.min(this.due, state.lastWriteMs + this.tuning.increaseIntervalMs);
      } else if (change !== undefined) {
        publish(book, change);
        // Asked for at once when an increase waits on it, or when a held-back node will soon want what it
        // frees; otherwise the node's next report carries it (a write saved).
        book.acknowledgeRequested = waiting || (this.tuning.acknowledgeWhenContended && contended);
        state.needsWrite = true;
      } else if (waiting && !book.acknowledgeRequested && claimOf(book) > currentOf(book).bitsPerSecond) {
        book.acknowledgeRequested = true; // an increase waits on this node's older decrease: ask for its ack
        state.needsWrite = true;
      }
      allocated += currentOf(book).bitsPerSecond;
    }
    const active = demands.filter((demand) => demand.members > 0).length;
    return { demandBitsPerSecond: Math.round(split.demandBitsPerSecond), allocatedBitsPerSecond: allocated, nodes: active, floorBitsPerSecond: split.floorBitsPerSecond };
  }

  private statusWrites(nowMs: number): StatusWrite[] {
    const writes: StatusWrite[] = [];
    for (const [name, state] of this.nodes) {
      if (!state.needsWrite || state.expiredFloors !== null) continue;
      state.needsWrite = false;
      state.lastWriteMs = nowMs;
      const seenReportSeq = state.report?.reportSeq ?? state.writtenSeenSeq;
      state.writtenSeenSeq = seenReportSeq;
      const allocations = new Map(
        [...state.books].filter(([, book]) => book.published.length > 0).map(([key, book]) => {
          const current = currentOf(book);
          const claim = claimOf(book);
          const floorBitsPerSecond = this.floors.get(key) ?? this.budgets.get(key)?.floorBitsPerSecond ?? 0;
          return [key, { bitsPerSecond: current.bitsPerSecond, generation: current.generation, claimBitsPerSecond: claim, acknowledge: claim > current.bitsPerSecond && book.acknowledgeRequested === true, floorBitsPerSecond }] as const;
        }),
      );
      writes.push({ node: name, allocations: { seenReportSeq, allocations } });
    }
    return writes;
  }
}
