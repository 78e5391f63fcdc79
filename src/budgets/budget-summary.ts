/**
 * The summary the allocator writes into each ClusterWide BandwidthBudget's status (total demand, total
 * allocation, nodes) for `kubectl get`, and when to write it, pure. Every agent watches BandwidthBudgets
 * (their spec is what it enforces), so each status write is one watch event per node: at most one write per
 * budget per `minIntervalMs` (30 s), and only when the node count changed or a total moved by more than
 * `significantChange` (10%). At 5,000 nodes and 100 budgets that is ≤ 3.3 writes/s and ≤ 16,700 events/s
 * in the worst case; bench/results/budgets-sim.md has what the simulated traces produce.
 */
import type { BudgetKey } from "./protocol.js";

export interface BudgetSummary {
  demandBitsPerSecond: number;
  allocatedBitsPerSecond: number;
  /** Nodes with active members. */
  nodes: number;
}

export interface SummaryTuning {
  minIntervalMs: number;
  significantChange: number;
}

export const DEFAULT_SUMMARY: SummaryTuning = { minIntervalMs: 30_000, significantChange: 0.1 };

const moved = (a: number, b: number, threshold: number): boolean => a !== b && Math.abs(a - b) > threshold * Math.max(Math.abs(a), Math.abs(b));

export function summaryChanged(before: BudgetSummary, after: BudgetSummary, threshold: number): boolean {
  return (
    before.nodes !== after.nodes ||
    moved(before.demandBitsPerSecond, after.demandBitsPerSecond, threshold) ||
    moved(before.allocatedBitsPerSecond, after.allocatedBitsPerSecond, threshold)
  );
}

export class SummaryThrottle {
  private readonly written = new Map<BudgetKey, { atMs: number; summary: BudgetSummary }>();

  constructor(private readonly tuning: SummaryTuning = DEFAULT_SUMMARY) {}

  /** A new leader starts from the summaries already in the budgets' status (written long enough ago). */
  adopt(key: BudgetKey, summary: BudgetSummary, nowMs: number): void {
    this.written.set(key, { atMs: nowMs - this.tuning.minIntervalMs, summary });
  }

  due(key: BudgetKey, nowMs: number, summary: BudgetSummary): boolean {
    const last = this.written.get(key);
    if (last === undefined) return true;
    return nowMs >= last.atMs + this.tuning.minIntervalMs && summaryChanged(last.summary, summary, this.tuning.significantChange);
  }

  /** Record a write when it is sent. */
  sent(key: BudgetKey, nowMs: number, summary: BudgetSummary): void {
    this.written.set(key, { atMs: nowMs, summary });
  }

  /** The write failed: try again once the interval has passed, whatever the totals do. */
  failed(key: BudgetKey, nowMs: number): void {
    this.written.set(key, { atMs: nowMs, summary: { demandBitsPerSecond: -1, allocatedBitsPerSecond: -1, nodes: -1 } });
  }

  forget(key: BudgetKey): void {
    this.written.delete(key);
  }
}
