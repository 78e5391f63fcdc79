/** Parsing `tc -s -j qdisc show`: fq's counters, including the ones tc omits when zero. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseQdiscStats } from "./fq-stats.js";

describe("parseQdiscStats", () => {
  it("reads fq's throttled and treats omitted horizon drops as 0; other qdiscs have no fq counters", () => {
    const json = JSON.stringify([
      { kind: "fq", handle: "8001:", dev: "eth0", root: true, packets: 900, bytes: 1_362_600, drops: 0, throttled: 152 },
      { kind: "clsact", handle: "ffff:", dev: "eth0", parent: "ffff:fff1", packets: 0, drops: 0 },
    ]);
    const [fq, clsact] = parseQdiscStats(json);
    assert.deepEqual(fq, { kind: "fq", handle: "8001:", dev: "eth0", root: true, throttled: 152, horizonDrops: 0, flowLimitDrops: 0, drops: 0, sentPackets: 900, sentBytes: 1_362_600 });
    assert.equal(clsact?.root, false);
    assert.equal(clsact?.horizonDrops, null);
    assert.deepEqual(parseQdiscStats(""), []);
  });
});
