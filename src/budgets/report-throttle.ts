/**
 * When an agent writes its node's report (BandwidthNode spec), pure: one write carries every budget of the
 * node, so the rate is per node, whatever the number of budgets.
 *
 * - Never while a write is in flight, never sooner than minIntervalMs after the last attempt.
 * - Soon: on a significant change — a budget appears or goes, its member count changes, it becomes or stops
 *   being held back or unbounded, its demand moves by more than 10% (not while it stays unbounded: then the
 *   allocator ignores the number, and the probe moving with every share change would cost a write each) —
 *   or when a decrease must be acknowledged or an allocation asked for (`urgent`).
 * - At least every heartbeatMs after the last success, changed or not (the allocator's liveness signal and
 *   the agent's own hold: node-shares.ts).
 * - After a failure: again after a backoff, 1 s doubling to maxRetryMs, spread by the caller's jitter so a
 *   returning API server is not hit by every node in the same second.
 */
import type { BudgetKey, BudgetReport } from "./protocol.js";

export interface ThrottleTuning {
  minIntervalMs: number;
  heartbeatMs: number;
  /** Relative demand change that is worth a write (0.1: 10%). */
  significantChange: number;
  maxRetryMs: number;
}

export const DEFAULT_THROTTLE: ThrottleTuning = { minIntervalMs: 1000, heartbeatMs: 30_000, significantChange: 0.1, maxRetryMs: 8000 };

export type ReportReason = "first" | "budgets" | "members" | "heldBack" | "unbounded" | "demand" | "urgent" | "heartbeat" | "retry";

export class ReportThrottle {
  private written: ReadonlyMap<BudgetKey, BudgetReport> | null = null;
  private attempting: ReadonlyMap<BudgetKey, BudgetReport> | null = null;
  private lastAttemptMs = -Infinity;
  private lastSuccessMs = -Infinity;
  private failures = 0;
  private retryAtMs = -Infinity;

  constructor(private readonly tuning: ThrottleTuning = DEFAULT_THROTTLE) {}

  get inFlight(): boolean {
    return this.attempting !== null;
  }

  /** Why the report should be written now, or null to wait. */
  reasonToWrite(nowMs: number, current: ReadonlyMap<BudgetKey, BudgetReport>, urgent: boolean): ReportReason | null {
    if (this.attempting !== null || nowMs < this.lastAttemptMs + this.tuning.minIntervalMs) return null;
    if (this.failures > 0) return nowMs >= this.retryAtMs ? "retry" : null;
    if (this.written === null) return "first";
    const change = significantChange(this.written, current, this.tuning.significantChange);
    if (change !== null) return change;
    if (urgent) return "urgent";
    return nowMs >= this.lastSuccessMs + this.tuning.heartbeatMs ? "heartbeat" : null;
  }

  attempted(nowMs: number, report: ReadonlyMap<BudgetKey, BudgetReport>): void {
    this.attempting = new Map(report);
    this.lastAttemptMs = nowMs;
  }

  succeeded(nowMs: number): void {
    this.written = this.attempting ?? this.written;
    this.attempting = null;
    this.lastSuccessMs = nowMs;
    this.failures = 0;
  }

  /** `jitter` in [0, 1): the caller's randomness (this file has none). */
  failed(nowMs: number, jitter: number): void {
    this.attempting = null;
    this.failures += 1;
    const backoff = Math.min(this.tuning.maxRetryMs, this.tuning.minIntervalMs * 2 ** (this.failures - 1));
    this.retryAtMs = nowMs + backoff * (0.5 + jitter / 2);
  }
}

function significantChange(before: ReadonlyMap<BudgetKey, BudgetReport>, after: ReadonlyMap<BudgetKey, BudgetReport>, threshold: number): ReportReason | null {
  if (before.size !== after.size) return "budgets";
  let reason: ReportReason | null = null;
  for (const [key, now] of after) {
    const then = before.get(key);
    if (then === undefined) return "budgets";
    if (then.members !== now.members) return "members";
    if (then.heldBack !== now.heldBack) reason = "heldBack";
    else if (then.unbounded !== now.unbounded) reason ??= "unbounded";
    else if (!now.unbounded && relativeChange(then.demandBitsPerSecond, now.demandBitsPerSecond) > threshold) reason ??= "demand";
  }
  return reason;
}

const relativeChange = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
