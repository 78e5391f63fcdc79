/** The BandwidthBudget summary throttle: first write, 30 s spacing, only on change, retry after failure. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SummaryThrottle, summaryChanged, type BudgetSummary } from "./budget-summary.js";

const summary = (overrides: Partial<BudgetSummary> = {}): BudgetSummary => ({ demandBitsPerSecond: 100, allocatedBitsPerSecond: 90, nodes: 3, floorBitsPerSecond: 1, ...overrides });

describe("SummaryThrottle", () => {
  it("writes a budget's first summary at once, then at most every 60–90 s (fixed per budget) and only on a change", () => {
    const throttle = new SummaryThrottle();
    assert.equal(throttle.due("b", 0, summary()), true);
    throttle.sent("b", 0, summary());
    assert.equal(throttle.due("b", 59_999, summary({ nodes: 4 })), false, "within 60 s");
    assert.equal(throttle.due("b", 90_000, summary()), false, "unchanged");
    assert.equal(throttle.due("b", 90_000, summary({ demandBitsPerSecond: 119 })), false, "16% is not a change");
    assert.equal(throttle.due("b", 90_000, summary({ allocatedBitsPerSecond: 70 })), true);
    assert.equal(throttle.due("b", 90_000, summary({ nodes: 4 })), true);
  });

  it("spreads budgets written together over the interval", () => {
    const throttle = new SummaryThrottle();
    const keys = Array.from({ length: 50 }, (_, index) => `ns/app-${index}/Egress`);
    for (const key of keys) throttle.sent(key, 0, summary());
    const dueAt = keys.map((key) => {
      let at = 60_000;
      while (!throttle.due(key, at, summary({ nodes: 9 }))) at += 1000;
      return at;
    });
    assert.ok(new Set(dueAt).size > 20, `${new Set(dueAt).size} distinct seconds`);
    assert.ok(Math.max(...dueAt) <= 90_000);
  });

  it("retries a failed write after the interval even when nothing changed since", () => {
    const throttle = new SummaryThrottle();
    throttle.failed("b", 0);
    assert.equal(throttle.due("b", 59_000, summary()), false);
    assert.equal(throttle.due("b", 90_000, summary()), true);
  });

  it("adopts a summary found in the status as just written (a takeover rewrites no budget at once)", () => {
    const throttle = new SummaryThrottle();
    throttle.adopt("b", summary(), 100_000);
    assert.equal(throttle.due("b", 100_000, summary({ nodes: 9 })), false);
    assert.equal(throttle.due("b", 190_000, summary({ nodes: 9 })), true);
  });

  it("summaryChanged: node count by more than 10%, or a total moved by more than the threshold", () => {
    assert.equal(summaryChanged(summary(), summary(), 0.1), false);
    assert.equal(summaryChanged(summary({ demandBitsPerSecond: 0 }), summary(), 0.1), true);
    assert.equal(summaryChanged(summary({ nodes: 100 }), summary({ nodes: 105 }), 0.1), false);
    assert.equal(summaryChanged(summary(), summary({ floorBitsPerSecond: 2 }), 0.1), true, "a new floor is news for every node");
  });
});
