/**
 * The summary the allocator writes into each ClusterWide BandwidthBudget's status (total demand, total
 * allocation, nodes, the floor in use) for `kubectl get` and for every agent, and when to write it, pure. Every agent watches BandwidthBudgets
 * (their spec is what it enforces), so each status write is one watch event per node: at most one write per
 * budget per `minIntervalMs` (60 s), and only when the node count changed by more than 10% or a total moved
 * by more than `significantChange` (20%), or the floor in use changed (it moves only when the active node
 * count doubles or halves). At 5,000 nodes and 100 budgets that is ≤ 1.7 writes/s and ≤ 8,300
 * events/s in the worst case; bench/results/budgets-sim.md has what the simulated traces produce.
 */
import type { BudgetKey } from "./protocol.js";

export interface BudgetSummary {
  demandBitsPerSecond: number;
  allocatedBitsPerSecond: number;
  /** Nodes with active members. */
  nodes: number;
  /**
   * The floor in use (allocator.ts effectiveFloor): a node with no allocation for the budget yet starts
   * from min(spec.minPerNode, this), so a budget on 1,500 nodes does not hand each new sender 1% of it.
   */
  floorBitsPerSecond: number;
}

export interface SummaryTuning {
  minIntervalMs: number;
  significantChange: number;
}

export const DEFAULT_SUMMARY: SummaryTuning = { minIntervalMs: 60_000, significantChange: 0.2 };

const moved = (a: number, b: number, threshold: number): boolean => a !== b && Math.abs(a - b) > threshold * Math.max(Math.abs(a), Math.abs(b));

export function summaryChanged(before: BudgetSummary, after: BudgetSummary, threshold: number): boolean {
  return (
    before.floorBitsPerSecond !== after.floorBitsPerSecond ||
    moved(before.nodes, after.nodes, 0.1) ||
    moved(before.demandBitsPerSecond, after.demandBitsPerSecond, threshold) ||
    moved(before.allocatedBitsPerSecond, after.allocatedBitsPerSecond, threshold)
  );
}

export class SummaryThrottle {
  private readonly written = new Map<BudgetKey, { atMs: number; summary: BudgetSummary }>();

  constructor(private readonly tuning: SummaryTuning = DEFAULT_SUMMARY) {}

  /**
   * A new leader starts from the summaries already in the budgets' status, as if just written: a takeover
   * must not rewrite every budget at once (each write is an event for every agent).
   */
  adopt(key: BudgetKey, summary: BudgetSummary, nowMs: number): void {
    this.written.set(key, { atMs: nowMs, summary });
  }

  due(key: BudgetKey, nowMs: number, summary: BudgetSummary): boolean {
    const last = this.written.get(key);
    if (last === undefined) return true;
    return nowMs >= last.atMs + this.intervalOf(key) && summaryChanged(last.summary, summary, this.tuning.significantChange);
  }

  /**
   * minIntervalMs to 1.5× it, fixed per budget: budgets first written together (at a takeover, at start)
   * drift apart instead of writing — and sending an event to every agent — in the same second forever.
   */
  private intervalOf(key: BudgetKey): number {
    let hash = 2166136261;
    for (let index = 0; index < key.length; index++) hash = Math.imul(hash ^ key.charCodeAt(index), 16777619);
    return this.tuning.minIntervalMs * (1 + ((hash >>> 0) % 1000) / 2000);
  }

  /** Record a write when it is sent. */
  sent(key: BudgetKey, nowMs: number, summary: BudgetSummary): void {
    this.written.set(key, { atMs: nowMs, summary });
  }

  /** The write failed: try again once the interval has passed, whatever the totals do. */
  failed(key: BudgetKey, nowMs: number): void {
    this.written.set(key, { atMs: nowMs, summary: { demandBitsPerSecond: -1, allocatedBitsPerSecond: -1, nodes: -1, floorBitsPerSecond: -1 } });
  }

  forget(key: BudgetKey): void {
    this.written.delete(key);
  }
}
