import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { costMarkdown, costRow, relativeToNoLimit } from "./cost-rows.js";

describe("cost rows", () => {
  it("CPU seconds per GB of payload, and each mode against the no-limit row of the same run", () => {
    const rows = relativeToNoLimit([
      costRow("per-flow", 1e9, { seconds: 10, bytes: 1.2e9, cpuSeconds: 3.6 }),
      costRow("no-limit", null, { seconds: 10, bytes: 6e9, cpuSeconds: 9 }),
    ]);
    assert.equal(rows[0]?.scenario, "cost per-flow egress 1000M");
    assert.equal(rows[0]?.goodputBitsPerSec, 9.6e8);
    assert.ok(Math.abs((rows[0]?.cpuSecondsPerGB ?? 0) - 3) < 1e-9);
    assert.ok(Math.abs((rows[0]?.relativeToNoLimit ?? 0) - 2) < 1e-9);
    assert.equal(rows[1]?.relativeToNoLimit, 1);
    assert.match(costMarkdown(rows).join("\n"), /\| per-flow \| 1000 \| 960\.0 \| 1\.20 \| 3\.60 \| 3\.000 \| 2\.00 \|/);
  });
  it("nothing received is an infinite cost, not a division error; no base, no ratio", () => {
    const [row] = relativeToNoLimit([costRow("reference-cni", 1e9, { seconds: 10, bytes: 0, cpuSeconds: 1 })]);
    assert.equal(row?.cpuSecondsPerGB, Number.POSITIVE_INFINITY);
    assert.equal(row?.relativeToNoLimit, null);
  });
});
