/** The unlimited comparison's arithmetic: ABBA order, medians, per-pair ratios. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { abbaOrder, comparePairs, median } from "./paired-runs.js";

describe("paired off/on runs", () => {
  it("orders pairs ABBA so each state leads half the pairs", () => {
    assert.deepEqual(abbaOrder(4), [["on", "off"], ["off", "on"], ["on", "off"], ["off", "on"]]);
    assert.deepEqual(abbaOrder(1, "off"), [["off", "on"]]);
  });

  it("takes the median, averaging the middle two of an even count", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it("judges by the median of per-pair ratios, so drift between pairs cancels", () => {
    // The machine slows to half speed after two pairs; within each pair on = 0.95 of off.
    const comparison = comparePairs([
      [{ state: "on", bitsPerSec: 95 }, { state: "off", bitsPerSec: 100 }],
      [{ state: "off", bitsPerSec: 100 }, { state: "on", bitsPerSec: 95 }],
      [{ state: "on", bitsPerSec: 47.5 }, { state: "off", bitsPerSec: 50 }],
      [{ state: "off", bitsPerSec: 50 }, { state: "on", bitsPerSec: 47.5 }],
    ]);
    assert.deepEqual(comparison.ratios.map((ratio) => ratio.toFixed(2)), ["0.95", "0.95", "0.95", "0.95"]);
    assert.equal(comparison.medianRatio.toFixed(2), "0.95");
    assert.equal(comparison.medianOffBitsPerSec, 75);
    assert.equal(comparison.medianOnBitsPerSec, 71.25);
  });

  it("refuses a pair without both states", () => {
    assert.throws(() => comparePairs([[{ state: "on", bitsPerSec: 1 }, { state: "on", bitsPerSec: 1 }]]), /one off and one on/);
  });
});
