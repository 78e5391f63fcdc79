import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { specOf, statusOf, type BandwidthNodeObject } from "../../src/budgets/wire.js";
import { traceLine } from "./protocol-trace.js";

describe("protocol trace", () => {
  it("one line per node: its report and the allocator's answer", () => {
    const key = "default/crawlers/u1/Egress";
    const object: BandwidthNodeObject = {
      apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthNode", metadata: { name: "n2" },
      spec: specOf({ reportSeq: 12, resyncFromSeq: 0, budgets: new Map([[key, { demandBitsPerSecond: 3_100_000, members: 1, heldBack: true, unbounded: true, appliedGeneration: 4 }]]) }, new Date(0)),
      status: statusOf({ seenReportSeq: 11, allocations: new Map([[key, { bitsPerSecond: 2_000_000, generation: 5, claimBitsPerSecond: 2_500_000, acknowledge: true, floorBitsPerSecond: 240_000 }]]) }),
    };
    assert.equal(traceLine(object), "seq 12 d 3.10 m 1 hb unb g4 | seen 11 a 2.00 c 2.50 g5 ack");
    assert.equal(traceLine({ ...object, spec: undefined, status: undefined }), "no report | no status");
    assert.equal(traceLine(null), "none");
  });
});
