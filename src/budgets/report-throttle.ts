/**
 * When an agent writes its node's report (BandwidthNode spec), pure: one write carries every budget of the
 * node, so the rate is per node, whatever the number of budgets.
 *
 * - Never while a write is in flight, never sooner than minIntervalMs after the last attempt.
 * - Soon: on a significant change — a budget appears or goes, its member count changes, it becomes or stops
 *   being held back or unbounded, its demand moves by more than 10% (not while it stays unbounded: then the
 *   allocator ignores the number, and the probe moving with every share change would cost a write each) —
 *   or when a decrease must be acknowledged or an allocation asked for (`urgent`).
 * - Urgent ones — a budget just released (its senders stopped: node-shares.ts), an acknowledgement the
 *   allocator waits on, an answer the agent needs — already urgentMinIntervalMs after the last attempt:
 *   each is news another node waits on (the share the first frees is the second's increase), and the
 *   1-s spacing would add up to a second to every hand-over. They come once per stop or per request, so
 *   they add little; the spacing still bounds a node to 1/urgentMinIntervalMs writes a second.
 * - At least every heartbeatMs after the last success, changed or not (the allocator's liveness signal and
 *   the agent's own hold: node-shares.ts).
 * - After a failure: again after a backoff, 1 s doubling to maxRetryMs, spread by the caller's jitter so a
 *   returning API server is not hit by every node in the same second.
 */
import type { BudgetKey, BudgetReport } from "./protocol.js";

export interface ThrottleTuning {
  minIntervalMs: number;
  /** Spacing for urgent writes (a release, an acknowledgement or answer waited on). */
  urgentMinIntervalMs: number;
  heartbeatMs: number;
  /** Relative demand change that is worth a write (0.1: 10%). */
  significantChange: number;
  maxRetryMs: number;
}

export const DEFAULT_THROTTLE: ThrottleTuning = { minIntervalMs: 1000, urgentMinIntervalMs: 250, heartbeatMs: 30_000, significantChange: 0.1, maxRetryMs: 8000 };

export type ReportReason = "first" | "budgets" | "released" | "members" | "heldBack" | "unbounded" | "demand" | "urgent" | "heartbeat" | "retry";

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

  /** The last write failed (retrying). */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** Why the report should be written now, or null to wait. */
  reasonToWrite(nowMs: number, current: ReadonlyMap<BudgetKey, BudgetReport>, urgent: boolean): ReportReason | null {
    if (this.attempting !== null || nowMs < this.lastAttemptMs + Math.min(this.tuning.urgentMinIntervalMs, this.tuning.minIntervalMs)) return null;
    const spaced = nowMs >= this.lastAttemptMs + this.tuning.minIntervalMs;
    if (this.failures > 0) return spaced && nowMs >= this.retryAtMs ? "retry" : null;
    if (this.written === null) return spaced ? "first" : null;
    if (!spaced) return newlyReleased(this.written, current) ? "released" : urgent ? "urgent" : null;
    if (newlyReleased(this.written, current)) return "released";
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

/** A budget the last written report had unreleased is released now (its senders stopped). */
function newlyReleased(before: ReadonlyMap<BudgetKey, BudgetReport>, after: ReadonlyMap<BudgetKey, BudgetReport>): boolean {
  for (const [key, now] of after) if (now.released === true && before.get(key)?.released !== true && before.has(key)) return true;
  return false;
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
