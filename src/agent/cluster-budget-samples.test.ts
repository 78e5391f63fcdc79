import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Budget } from "../budgets/budget.js";
import type { AppliedBudget } from "../datapath/datapath.js";
import { adoptedShare, datapathShareOf, protocolKey, samplesOf, termsOf, timelineOf } from "./cluster-budget-samples.js";

const budget = (mode: Budget["mode"], egress: number | null, ingress: number | null = null): Budget => ({
  key: "ns/crawlers/u1", namespace: "ns", name: "crawlers", uid: "u1", generation: 1, selector: {}, rates: { egress, ingress },
  scope: "outside-cluster", mode, minPerNodeBitsPerSecond: mode === "ClusterWide" ? 300_000 : null,
});
const applied = (bytes: number, delayedPackets = 0): AppliedBudget => ({
  key: "ns/crawlers/u1", direction: "egress", slot: 1, scope: "outside-cluster", bitsPerSecond: 1e6, counters: { packets: 0, bytes, delayedPackets, horizonDrops: 0 },
});

describe("ClusterWide samples from the datapath", () => {
  it("maps timelines to protocol keys and back", () => {
    assert.equal(protocolKey("ns/crawlers/u1", "egress"), "ns/crawlers/u1/Egress");
    assert.deepEqual(timelineOf("ns/crawlers/u1/Ingress"), { budgetKey: "ns/crawlers/u1", direction: "ingress" });
  });

  it("gives the allocator every ClusterWide budget's terms per direction, no PerNode one", () => {
    assert.deepEqual([...termsOf([budget("ClusterWide", 30e6, 10e6), { ...budget("PerNode", 5e6), key: "ns/other/u2" }])], [
      ["ns/crawlers/u1/Egress", { bitsPerSecond: 30e6, floorBitsPerSecond: 300_000 }],
      ["ns/crawlers/u1/Ingress", { bitsPerSecond: 10e6, floorBitsPerSecond: 300_000 }],
    ]);
  });

  it("counts the members whose bytes grew, at least one when the budget's bytes grew", () => {
    const timelines = [{ budget: budget("ClusterWide", 30e6), direction: "egress" as const, members: ["ns/a", "ns/b", "ns/c"] }];
    const before = new Map([["ns/a\u0000egress", 100], ["ns/b\u0000egress", 100], ["ns/c\u0000egress", 100]]);
    const now = new Map([["ns/a\u0000egress", 900], ["ns/b\u0000egress", 100], ["ns/c\u0000egress", 500]]);
    const common = { atMs: 500, timelines, floorOf: () => 300_000 };
    const [sample] = samplesOf({ ...common, applied: [applied(5000, 7)], before, now, previousBudgetBytes: new Map([["ns/crawlers/u1/Egress", 4000]]) });
    assert.deepEqual(sample, { key: "ns/crawlers/u1/Egress", floorBitsPerSecond: 300_000, atMs: 500, bytes: 5000, delayedPackets: 7, activeMembers: 2 });
    const [quiet] = samplesOf({ ...common, applied: [applied(5000)], before: now, now, previousBudgetBytes: new Map([["ns/crawlers/u1/Egress", 4000]]) });
    assert.equal(quiet?.activeMembers, 1);
    const [idle] = samplesOf({ ...common, applied: [applied(5000)], before: now, now, previousBudgetBytes: new Map([["ns/crawlers/u1/Egress", 5000]]) });
    assert.equal(idle?.activeMembers, 0);
    assert.deepEqual(samplesOf({ ...common, applied: [], before, now, previousBudgetBytes: new Map() }), [], "not in the datapath yet: no sample");
  });

  it("hands the datapath a share with its expiry relative to now, never below 1k", () => {
    assert.deepEqual(datapathShareOf({ bitsPerSecond: 12e6, expiresAtMs: 91_000, fallbackBitsPerSecond: 0 }, 1000), { bitsPerSecond: 12e6, expiresInMs: 90_000, fallbackBitsPerSecond: 1000 });
    assert.deepEqual(datapathShareOf({ bitsPerSecond: 5e6, expiresAtMs: 1000, fallbackBitsPerSecond: 2e5 }, 1000), { bitsPerSecond: 2e5, expiresInMs: 1000, fallbackBitsPerSecond: 2e5 }, "past its expiry: the fallback");
    assert.deepEqual(datapathShareOf({ bitsPerSecond: 3e5, expiresAtMs: Infinity, fallbackBitsPerSecond: 3e5 }, 1000), { bitsPerSecond: 3e5 }, "the floor, which never expires: a plain rate the datapath accepts");
  });
});

describe("what a restarted agent adopts from the kernel", () => {
  const left = (extra: Partial<AppliedBudget>): AppliedBudget => ({ ...applied(0), bitsPerSecond: 7_600_000, ...extra });
  it("a share the kernel fell back on is its fallback, not the rate it fell back from", () => {
    assert.deepEqual(adoptedShare(left({ expiresInMs: 0, fallbackBitsPerSecond: 240_000 }), 5000), { bitsPerSecond: 240_000, expiresAtMs: 5000, fallbackBitsPerSecond: 240_000 });
    // and the datapath, told it past its expiry, keeps the fallback
    assert.equal(datapathShareOf(adoptedShare(left({ expiresInMs: 0, fallbackBitsPerSecond: 240_000 }), 5000), 5001).bitsPerSecond, 240_000);
  });
  it("a share still in force holds until its own expiry, then its fallback", () => {
    const share = adoptedShare(left({ expiresInMs: 30_000, fallbackBitsPerSecond: 240_000 }), 5000);
    assert.deepEqual(share, { bitsPerSecond: 7_600_000, expiresAtMs: 35_000, fallbackBitsPerSecond: 240_000 });
  });
  it("a share without expiry (a floor, or not ClusterWide) holds until the protocol decides", () => {
    assert.deepEqual(adoptedShare(left({}), 5000), { bitsPerSecond: 7_600_000, expiresAtMs: 5000, fallbackBitsPerSecond: 7_600_000 });
  });
});
