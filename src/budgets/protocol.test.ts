/** The protocol's vocabulary: budget keys, and the timing relations its guarantees need. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { budgetKey, DEFAULT_TIMINGS, defaultFloor, parseBudgetKey, timingProblems } from "./protocol.js";

describe("protocol", () => {
  it("budget keys round-trip and a bad one says what it should look like", () => {
    assert.deepEqual(parseBudgetKey(budgetKey("shop", "crawler", "6f1c", "Egress")), { namespace: "shop", name: "crawler", uid: "6f1c", direction: "Egress" });
    assert.throws(() => parseBudgetKey("shop/crawler/Egress"), /<namespace>\/<name>\/<uid>\/<Egress\|Ingress>/);
  });

  it("the default timings keep heartbeat < hold < expiry with their margins", () => {
    assert.deepEqual(timingProblems(DEFAULT_TIMINGS), []);
    assert.match(timingProblems({ ...DEFAULT_TIMINGS, expiryMs: DEFAULT_TIMINGS.holdMs })[0] ?? "", /expiryMs must exceed holdMs/);
    assert.match(timingProblems({ ...DEFAULT_TIMINGS, holdMs: 40_000, expiryMs: 60_000 })[0] ?? "", /two heartbeats/);
  });

  it("the default floor is 1% of the budget, at least 1 kbit/s", () => {
    assert.equal(defaultFloor(200_000_000), 2_000_000);
    assert.equal(defaultFloor(10_000), 1000);
  });
});
