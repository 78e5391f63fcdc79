import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { approximateQuantity, summaryEntry, summaryOf } from "./summary-wire.js";

describe("a budget's summary in its status", () => {
  it("shows rates as short Quantities", () => {
    assert.equal(approximateQuantity(0), "0");
    assert.equal(approximateQuantity(999), "999");
    assert.equal(approximateQuantity(12_345_678), "12.3M");
    assert.equal(approximateQuantity(200_000_000), "200M");
    assert.equal(approximateQuantity(1_500_000_000), "1.5G");
    assert.equal(approximateQuantity(980_400), "980k");
  });

  it("reads back what it writes, per direction, and nothing from a foreign status", () => {
    const summary = { demandBitsPerSecond: 31_000_000, allocatedBitsPerSecond: 28_500_000, nodes: 3, floorBitsPerSecond: 300_000 };
    const status = { egress: summaryEntry(summary, new Date("2025-01-01T00:00:00.123Z")) };
    assert.equal(status.egress.lastSummaryTime, "2025-01-01T00:00:00Z");
    assert.deepEqual(summaryOf(status, "Egress"), summary);
    assert.equal(summaryOf(status, "Ingress"), null);
    assert.equal(summaryOf({ egress: { nodes: "3" } }, "Egress"), null);
    assert.equal(summaryOf(undefined, "Egress"), null);
  });
});
