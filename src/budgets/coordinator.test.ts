/** The allocator's state machine: splits, hand-over with acks, resync answers, expiry, takeover, summaries. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Coordinator, DEFAULT_COORDINATOR, type ObservedNode, type StatusWrite } from "./coordinator.js";
import type { BudgetReport, BudgetTerms, NodeAllocations } from "./protocol.js";

const M = 1_000_000;
const KEY = "ns/b/u1/Egress";
const budgets = new Map<string, BudgetTerms>([[KEY, { bitsPerSecond: 100 * M, floorBitsPerSecond: 1 * M }]]);

const observed = (name: string, reportSeq: number, entry: Partial<BudgetReport> | null, resyncFromSeq = 0): ObservedNode => ({
  name,
  report: {
    reportSeq,
    resyncFromSeq,
    budgets: entry === null ? new Map() : new Map([[KEY, { demandBitsPerSecond: 1 * M, members: 1, heldBack: true, unbounded: true, appliedGeneration: 0, ...entry }]]),
  },
  allocations: null,
});
const bitsOf = (writes: StatusWrite[]): Record<string, number> =>
  Object.fromEntries(writes.map((write) => [write.node, (write.allocations.allocations.get(KEY)?.bitsPerSecond ?? 0) / M]));
const generationOf = (writes: StatusWrite[], node: string): number => writes.find((write) => write.node === node)?.allocations.allocations.get(KEY)?.generation ?? 0;

/** Without lending ahead of acknowledgements (hand-over.test.ts tests that), so the hand-over shows plainly. */
const TUNING = { ...DEFAULT_COORDINATOR, handOverBorrow: 0 };
/** A coordinator that took over an empty cluster at `nowMs`. */
const empty = (nowMs = 0): Coordinator => new Coordinator(TUNING, nowMs, [], budgets);

describe("Coordinator", () => {
  it("splits a budget between reporting nodes and writes each node once, with the report it answers", () => {
    const coordinator = empty();
    coordinator.nodeObserved(100, observed("a", 1, {}));
    coordinator.nodeObserved(100, observed("b", 4, { heldBack: false, unbounded: false, demandBitsPerSecond: 10 * M }));
    const { statusWrites } = coordinator.tick(1000);
    assert.deepEqual(bitsOf(statusWrites), { a: 85, b: 10 });
    assert.deepEqual(statusWrites.map((write) => write.allocations.seenReportSeq).sort(), [1, 4]);
    assert.deepEqual(coordinator.tick(2000).statusWrites, [], "nothing changed: nothing written");
  });

  it("moves share from one node to another only as the first acknowledges its decrease", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    coordinator.nodeObserved(1500, observed("a", 2, { appliedGeneration: 1 }));
    coordinator.nodeObserved(1500, observed("b", 1, {}));
    const first = coordinator.tick(2000).statusWrites;
    assert.deepEqual(bitsOf(first), { a: 47.5 }, "b waits (at its local floor, from the reserve): a may still enforce 95");
    assert.equal(first[0]?.allocations.allocations.get(KEY)?.acknowledge, true, "b waits on it: a is asked to acknowledge soon");
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 95 * M);
    coordinator.nodeObserved(2500, observed("a", 3, { appliedGeneration: generationOf(first, "a") }));
    assert.deepEqual(bitsOf(coordinator.tick(3000).statusWrites), { b: 47.5 });
    assert.ok(coordinator.claimedBitsPerSecond(KEY) <= 95 * M);
  });

  it("a released node's share and claim go at once: another node's increase needs no acknowledgement", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.nodeObserved(0, observed("b", 1, {}));
    const first = coordinator.tick(1000).statusWrites;
    assert.deepEqual(bitsOf(first), { a: 47.5, b: 47.5 });
    coordinator.nodeObserved(1500, observed("a", 2, { appliedGeneration: 1 }));
    coordinator.nodeObserved(1500, observed("b", 2, { appliedGeneration: 1 }));
    coordinator.tick(2000);
    // a's senders stop: it capped itself at its floor and says so; b is held back.
    coordinator.nodeObserved(3000, observed("a", 3, { members: 0, demandBitsPerSecond: 0, heldBack: false, unbounded: false, appliedGeneration: 1, released: true }));
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 47.5 * M, "a's claim is gone on the report");
    const writes = coordinator.tick(3100).statusWrites;
    assert.deepEqual(bitsOf(writes), { a: 0, b: 95 }, "b's increase in the same tick");
    assert.equal(writes.find((write) => write.node === "a")?.allocations.allocations.get(KEY)?.acknowledge, false);
    assert.ok(coordinator.claimedBitsPerSecond(KEY) <= 95 * M);
    // Sending again while still capped (its report before the answer): it gets an answer, and a share.
    coordinator.nodeObserved(3300, observed("a", 4, { members: 1, appliedGeneration: 2, released: true }));
    assert.ok(coordinator.tick(4500).statusWrites.some((write) => write.node === "a" && write.allocations.seenReportSeq === 4));
  });

  it("asks for no early acknowledgement of a decrease nobody waits on, and asks later when someone does", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, { heldBack: false, unbounded: false, demandBitsPerSecond: 60 * M }));
    coordinator.tick(1000);
    coordinator.nodeObserved(1500, observed("a", 2, { heldBack: false, unbounded: false, demandBitsPerSecond: 20 * M, appliedGeneration: 1 }));
    const decrease = coordinator.tick(2000).statusWrites;
    assert.deepEqual(bitsOf(decrease), { a: 20 });
    assert.equal(decrease[0]?.allocations.allocations.get(KEY)?.acknowledge, false);
    coordinator.nodeObserved(4000, observed("b", 1, {}));
    const asked = coordinator.tick(5000).statusWrites;
    assert.deepEqual(bitsOf(asked), { a: 20, b: 35 }, "b gets what no claim holds; a is asked for its ack");
    assert.equal(asked.find((write) => write.node === "a")?.allocations.allocations.get(KEY)?.acknowledge, true);
  });

  it("lends half the reserve to an increase ahead of the acknowledgement it waits on", () => {
    const coordinator = new Coordinator(DEFAULT_COORDINATOR, 0, [], budgets);
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    coordinator.nodeObserved(1500, observed("a", 2, { appliedGeneration: 1 }));
    coordinator.nodeObserved(1500, observed("b", 1, {}));
    assert.deepEqual(bitsOf(coordinator.tick(2000).statusWrites), { a: 47.5, b: 2.5 });
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 97.5 * M, "at most 95% + 2.5% while a has not acknowledged");
  });

  it("writes the increase that reaches the target at once after a partial one; another partial one waits half a second, and says when", () => {
    const coordinator = new Coordinator(DEFAULT_COORDINATOR, 0, [], budgets);
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.nodeObserved(0, observed("c", 1, {}));
    coordinator.tick(1000);
    coordinator.nodeObserved(1500, observed("a", 2, { appliedGeneration: 1 }));
    coordinator.nodeObserved(1500, observed("c", 2, { appliedGeneration: 1 }));
    coordinator.nodeObserved(1500, observed("b", 1, {}));
    const first = coordinator.tick(2000).statusWrites;
    assert.deepEqual(Object.keys(bitsOf(first)).sort(), ["a", "b", "c"], "a and c decrease to a third each");
    assert.equal(bitsOf(first).b, 2.5, "lent ahead of a's and c's acknowledgements");
    assert.equal(coordinator.dueAtMs, Infinity, "nothing deferred");
    coordinator.nodeObserved(2100, observed("a", 3, { appliedGeneration: generationOf(first, "a") }));
    const partial = coordinator.tick(2200).statusWrites;
    assert.deepEqual(partial, [], "a's ack frees only part of b's target: that part waits, b was written 0.2 s ago");
    assert.equal(coordinator.dueAtMs, 2500);
    coordinator.nodeObserved(2300, observed("c", 3, { appliedGeneration: generationOf(first, "c") }));
    const rest = coordinator.tick(2400).statusWrites;
    assert.ok(Math.abs((bitsOf(rest).b ?? 0) - 95 / 3) < 0.01, `c's ack completes it: b reaches its target at once (${JSON.stringify(bitsOf(rest))})`);
    assert.ok(coordinator.claimedBitsPerSecond(KEY) <= 95 * M + 1);
  });

  it("believes a held-back node's probe until the agent says it is unbounded ('escalating'); the other policies", () => {
    const probing = (policy: "escalating" | "unbounded" | "reported", unbounded: boolean): Record<string, number> => {
      const coordinator = new Coordinator({ ...TUNING, heldBackDemand: policy }, 0, [], budgets);
      coordinator.nodeObserved(0, observed("a", 1, { heldBack: true, unbounded, demandBitsPerSecond: 12.5 * M }));
      coordinator.nodeObserved(0, observed("b", 1, { heldBack: false, unbounded: false, demandBitsPerSecond: 30 * M }));
      return bitsOf(coordinator.tick(1000).statusWrites);
    };
    assert.deepEqual(probing("escalating", false), { a: 65, b: 30 }, "the probe, plus what nobody asked for (a is held back)");
    assert.deepEqual(probing("escalating", true), { a: 65, b: 30 });
    const contended = (policy: "escalating" | "unbounded" | "reported", unbounded: boolean): number => {
      const coordinator = new Coordinator({ ...TUNING, heldBackDemand: policy }, 0, [], budgets);
      coordinator.nodeObserved(0, observed("a", 1, { heldBack: true, unbounded, demandBitsPerSecond: 12.5 * M }));
      coordinator.nodeObserved(0, observed("b", 1, { heldBack: true, unbounded: true, demandBitsPerSecond: 100 * M }));
      return (coordinator.tick(1000).statusWrites.find((write) => write.node === "a")?.allocations.allocations.get(KEY)?.bitsPerSecond ?? 0) / M;
    };
    assert.equal(contended("escalating", false), 12.5, "the probe, believed");
    assert.equal(contended("escalating", true), 47.5, "unbounded: the level");
    assert.equal(contended("reported", true), 12.5);
    assert.equal(contended("unbounded", false), 47.5);
  });

  it("answers a node that asks for a fresh allocation even when no share changes", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    coordinator.nodeObserved(2000, observed("a", 9, { appliedGeneration: 1 }, 9));
    const writes = coordinator.tick(3000).statusWrites;
    assert.equal(writes.length, 1);
    assert.equal(writes[0]?.allocations.seenReportSeq, 9);
  });

  it("rewrites a node whose write failed", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    coordinator.statusWriteFailed("a");
    assert.deepEqual(bitsOf(coordinator.tick(2000).statusWrites), { a: 95 });
  });

  it("expires a node silent for 105 s while the API answered, keeping its floor off the capacity", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.nodeObserved(0, observed("b", 1, {}));
    coordinator.tick(1000);
    let seq = 1;
    for (let now = 2000; now <= 106_000; now += 2000) {
      coordinator.apiSucceeded(now);
      coordinator.nodeObserved(now, observed("b", ++seq, { appliedGeneration: 1 }));
      coordinator.tick(now);
    }
    // a's 47.5 went back into the split, less a's floor (1): b rises from its claim of 47.5 to 94.
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 95 * M);
    coordinator.nodeObserved(107_000, observed("b", ++seq, { appliedGeneration: 2 }));
    assert.equal(coordinator.tick(108_000).statusWrites.length, 0);
  });

  it("expires nobody while its own API calls fail, nor until the API has been back for the expiry", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    for (let now = 2000; now <= 200_000; now += 2000) {
      if (now < 120_000) coordinator.apiFailed();
      else coordinator.apiSucceeded(now);
      assert.deepEqual(coordinator.tick(now).statusWrites, [], `at ${now} ms`);
    }
  });

  it("a node back from expiry starts from 0 and gets a share out of the capacity again", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    for (let now = 2000; now <= 110_000; now += 2000) (coordinator.apiSucceeded(now), coordinator.tick(now));
    coordinator.nodeObserved(111_000, observed("a", 2, {}, 2));
    const writes = coordinator.tick(112_000).statusWrites;
    assert.deepEqual(bitsOf(writes), { a: 95 });
    assert.ok(generationOf(writes, "a") > 1, "generations go on");
  });

  it("takes over from published allocations: an unacknowledged claim keeps its capacity", () => {
    const published = (name: string, bits: number, claim: number, applied: number): ObservedNode => ({
      ...observed(name, 5, { appliedGeneration: applied }),
      allocations: { seenReportSeq: 5, allocations: new Map([[KEY, { bitsPerSecond: bits * M, generation: 3, claimBitsPerSecond: claim * M, acknowledge: false, floorBitsPerSecond: 1 * M }]]) } satisfies NodeAllocations,
    });
    const coordinator = new Coordinator(TUNING, 50_000, [published("a", 20, 60, 2), published("b", 35, 35, 3)], budgets);
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 95 * M);
    const writes = coordinator.tick(51_000).statusWrites;
    assert.deepEqual(bitsOf(writes), { a: 47.5 }, "a may rise within its own claim; b must wait for a's ack");
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 95 * M);
  });

  it("drops a budget from a node whose report no longer has it", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, {}));
    coordinator.tick(1000);
    coordinator.nodeObserved(2000, observed("a", 2, null));
    const writes = coordinator.tick(3000).statusWrites;
    assert.equal(writes.length, 1);
    assert.equal(writes[0]?.allocations.allocations.size, 0);
    assert.equal(coordinator.claimedBitsPerSecond(KEY), 0);
    coordinator.nodeObserved(4000, observed("a", 3, {}));
    const back = coordinator.tick(5000).statusWrites;
    assert.equal(generationOf(back, "a"), 2, "generations go on: the node's agent ignores an older one");
  });

  it("writes each budget's summary at once, then only on a change after 60–90 s", () => {
    const coordinator = empty();
    coordinator.nodeObserved(0, observed("a", 1, { heldBack: false, demandBitsPerSecond: 10 * M }));
    assert.deepEqual(coordinator.tick(1000).summaryWrites, [{ key: KEY, summary: { demandBitsPerSecond: 10 * M, allocatedBitsPerSecond: 10 * M, nodes: 1, floorBitsPerSecond: 1 * M } }]);
    coordinator.nodeObserved(2000, observed("b", 1, { heldBack: false, demandBitsPerSecond: 10 * M }));
    assert.deepEqual(coordinator.tick(3000).summaryWrites, []);
    assert.deepEqual(coordinator.tick(31_000).summaryWrites, []);
    assert.equal(coordinator.tick(91_000).summaryWrites[0]?.summary.nodes, 2);
  });
});
