/** Weighted water-filling: exact levels, bounds, weights, and never more than the capacity. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { waterFill, type FillItem } from "./water-fill.js";

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

describe("waterFill", () => {
  it("splits evenly among equal items without bounds", () => {
    assert.deepEqual(waterFill([{ weight: 1, low: 0, high: Infinity }, { weight: 1, low: 0, high: Infinity }], 100).shares, [50, 50]);
  });

  it("gives a satisfied item its demand and the rest to the others", () => {
    const fill = waterFill([{ weight: 1, low: 0, high: 10 }, { weight: 1, low: 0, high: Infinity }, { weight: 1, low: 0, high: Infinity }], 100);
    assert.deepEqual(fill.shares, [10, 45, 45]);
    assert.equal(fill.level, 45);
  });

  it("rises with weight", () => {
    assert.deepEqual(waterFill([{ weight: 1, low: 0, high: Infinity }, { weight: 3, low: 0, high: Infinity }], 100).shares, [25, 75]);
  });

  it("starts items at their low bound", () => {
    assert.deepEqual(waterFill([{ weight: 1, low: 30, high: Infinity }, { weight: 1, low: 0, high: Infinity }], 100).shares, [50, 50]);
    assert.deepEqual(waterFill([{ weight: 1, low: 70, high: Infinity }, { weight: 1, low: 0, high: Infinity }], 100).shares, [70, 30]);
  });

  it("returns the high bounds when they fit, the low bounds when even they do not", () => {
    assert.deepEqual(waterFill([{ weight: 1, low: 1, high: 10 }, { weight: 1, low: 1, high: 20 }], 100), { shares: [10, 20], level: Infinity });
    assert.deepEqual(waterFill([{ weight: 1, low: 60, high: 90 }, { weight: 1, low: 60, high: 90 }], 100).shares, [60, 60]);
  });

  it("rejects an item whose bounds are crossed, saying which", () => {
    assert.throws(() => waterFill([{ weight: 1, low: 5, high: 1 }], 10), /0 ≤ low ≤ high.*"low":5/);
  });

  it("property: whole shares within bounds, Σ = min(capacity, Σ high) up to rounding, max-min fair", () => {
    const item = fc.record({ weight: fc.integer({ min: 1, max: 20 }), low: fc.integer({ min: 0, max: 1000 }), extra: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: null }) })
      .map(({ weight, low, extra }): FillItem => ({ weight, low, high: extra === null ? Infinity : low + extra }));
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2_000_000 }), (items, capacity) => {
      const { shares } = waterFill(items, capacity);
      shares.forEach((share, index) => {
        const entry = items[index]!;
        assert.ok(Number.isInteger(share));
        assert.ok(share >= Math.floor(entry.low) && share <= entry.high, `share ${share} outside [${entry.low}, ${entry.high}]`);
      });
      if (sum(items.map((entry) => entry.low)) >= capacity) return;
      const total = sum(shares);
      assert.ok(total <= capacity, `Σ ${total} > capacity ${capacity}`);
      const highSum = sum(items.map((entry) => entry.high));
      assert.ok(total >= Math.min(capacity, highSum) - items.length - 1, `Σ ${total} wastes capacity ${capacity}`);
      // Max-min: an item below its high bound is not below the level of an item above its low bound.
      const slack = items.length + 2;
      items.forEach((a, i) => {
        if (shares[i]! >= a.high - slack) return;
        items.forEach((b, j) => {
          if (shares[j]! <= b.low + slack) return;
          assert.ok(shares[i]! / a.weight >= shares[j]! / b.weight - slack, `item ${i} (${shares[i]}/${a.weight}) below item ${j} (${shares[j]}/${b.weight})`);
        });
      });
    }), { numRuns: 500 });
  });
});
