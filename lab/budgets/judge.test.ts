import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { convergenceSeconds, idealShares, inTolerance, maxRatio, perSecond } from "./judge.js";

describe("the real run's judgement", () => {
  it("turns cumulative rx bytes into per-second rates per node", () => {
    const samples = [0, 1000, 2000].map((atMs) => ({ atMs, bytes: [atMs * 1000, atMs * 500] }));
    assert.deepEqual(perSecond(samples, 0, 2000), [[8e6, 4e6], [8e6, 4e6]]);
  });

  it("splits the budget less its reserve evenly among the sending nodes", () => {
    assert.deepEqual(idealShares(20e6, [true, false, true]), [9.5e6, 0, 9.5e6]);
  });

  it("settles at the first second from which every node stays in tolerance", () => {
    const budget = 20e6;
    const ideal = [9.5e6, 9.5e6];
    const seconds = [[19e6, 0], [15e6, 4e6], [9.6e6, 9.0e6], [9.4e6, 9.5e6], [9.5e6, 9.6e6]];
    assert.equal(convergenceSeconds(seconds, ideal, budget), 2);
    assert.equal(convergenceSeconds([[19e6, 0], [19e6, 0]], ideal, budget), null);
    assert.ok(inTolerance(0, 100_000, budget), "1% of the budget covers a small ideal");
    assert.equal(maxRatio(seconds, budget), 0.955);
  });
});
