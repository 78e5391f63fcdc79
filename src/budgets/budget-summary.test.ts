/** The BandwidthBudget summary throttle: first write, 30 s spacing, only on change, retry after failure. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SummaryThrottle, summaryChanged, type BudgetSummary } from "./budget-summary.js";

const summary = (overrides: Partial<BudgetSummary> = {}): BudgetSummary => ({ demandBitsPerSecond: 100, allocatedBitsPerSecond: 90, nodes: 3, ...overrides });

describe("SummaryThrottle", () => {
  it("writes a budget's first summary at once, then at most every 30 s and only on a change", () => {
    const throttle = new SummaryThrottle();
    assert.equal(throttle.due("b", 0, summary()), true);
    throttle.sent("b", 0, summary());
    assert.equal(throttle.due("b", 10_000, summary({ nodes: 4 })), false, "within 30 s");
    assert.equal(throttle.due("b", 30_000, summary()), false, "unchanged");
    assert.equal(throttle.due("b", 30_000, summary({ demandBitsPerSecond: 109 })), false, "9% is not a change");
    assert.equal(throttle.due("b", 30_000, summary({ allocatedBitsPerSecond: 80 })), true);
    assert.equal(throttle.due("b", 30_000, summary({ nodes: 4 })), true);
  });

  it("retries a failed write after the interval even when nothing changed since", () => {
    const throttle = new SummaryThrottle();
    throttle.failed("b", 0);
    assert.equal(throttle.due("b", 29_000, summary()), false);
    assert.equal(throttle.due("b", 30_000, summary()), true);
  });

  it("adopts a summary found in the status as written long enough ago", () => {
    const throttle = new SummaryThrottle();
    throttle.adopt("b", summary(), 100_000);
    assert.equal(throttle.due("b", 100_000, summary()), false);
    assert.equal(throttle.due("b", 100_000, summary({ nodes: 9 })), true);
  });

  it("summaryChanged: node count, or a total moved by more than the threshold", () => {
    assert.equal(summaryChanged(summary(), summary(), 0.1), false);
    assert.equal(summaryChanged(summary({ demandBitsPerSecond: 0 }), summary(), 0.1), true);
  });
});
