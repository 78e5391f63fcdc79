/** What a node enforces: allocation, floor, hold and fallback, cut-off, trust after start, acknowledgements. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeShares } from "./node-shares.js";
import type { KernelBudgetShare, NodeAllocations } from "./protocol.js";

const M = 1_000_000;
const HOLD = 90_000;
const FLOOR = 1 * M;
const budgets = [{ key: "ns/b/u1/Egress", floorBitsPerSecond: FLOOR }];
const status = (seenReportSeq: number, bits: number, generation = 1, acknowledge = false): NodeAllocations => ({
  seenReportSeq,
  allocations: new Map([["ns/b/u1/Egress", { bitsPerSecond: bits, generation, claimBitsPerSecond: bits, acknowledge, floorBitsPerSecond: 0 }]]),
});
const fresh = (kernel: Map<string, KernelBudgetShare> = new Map(), firstSeq = 1): NodeShares => new NodeShares(HOLD, { kernel, firstSeq });
const enforced = (shares: NodeShares, nowMs: number): KernelBudgetShare => shares.enforce(nowMs, budgets).get("ns/b/u1/Egress")!;

/** An agent whose report seq 1 (with the budget in it) was written at 0 and answered with `bits`. */
function inContact(bits: number): NodeShares {
  const shares = fresh();
  shares.enforce(0, budgets);
  shares.reportAttempted(1);
  shares.reportSucceeded(0, new Map());
  shares.statusObserved(status(1, bits));
  return shares;
}

describe("NodeShares", () => {
  it("a node that gains its first selected Pod enforces the floor at once, before any allocation", () => {
    assert.deepEqual(enforced(fresh(), 0), { bitsPerSecond: FLOOR, expiresAtMs: Infinity, fallbackBitsPerSecond: FLOOR });
  });

  it("enforces its allocation, falling back to min(floor, share) at last contact + hold", () => {
    assert.deepEqual(enforced(inContact(40 * M), 1000), { bitsPerSecond: 40 * M, expiresAtMs: HOLD, fallbackBitsPerSecond: FLOOR });
    assert.deepEqual(enforced(inContact(0.5 * M), 1000), { bitsPerSecond: 0.5 * M, expiresAtMs: HOLD, fallbackBitsPerSecond: 0.5 * M });
  });

  it("enforces the floor, never zero, while its allocation is 0", () => {
    assert.equal(enforced(inContact(0), 1000).bitsPerSecond, FLOOR);
  });

  it("keeps its share through an outage shorter than the hold; each success moves the fallback on", () => {
    const shares = inContact(40 * M);
    assert.equal(enforced(shares, 89_999).bitsPerSecond, 40 * M);
    shares.reportAttempted(2);
    shares.reportSucceeded(60_000, new Map());
    assert.deepEqual(enforced(shares, 100_000), { bitsPerSecond: 40 * M, expiresAtMs: 60_000 + HOLD, fallbackBitsPerSecond: FLOOR });
  });

  it("cut off for the hold: the floor, and no allocation trusted until one answers a report written after", () => {
    const shares = inContact(40 * M);
    assert.equal(enforced(shares, HOLD).bitsPerSecond, FLOOR);
    assert.equal(shares.resyncFromSeq, 2);
    shares.reportAttempted(2);
    shares.reportSucceeded(HOLD + 5000, new Map());
    shares.statusObserved(status(1, 40 * M)); // the old answer, delivered late
    assert.equal(enforced(shares, HOLD + 6000).bitsPerSecond, FLOOR);
    shares.statusObserved(status(2, 30 * M, 2));
    assert.equal(enforced(shares, HOLD + 7000).bitsPerSecond, 30 * M);
    assert.equal(shares.resyncFromSeq, 0);
  });

  it("after a restart: the kernel's config until its own expiry, then the floor, until an answer to this agent", () => {
    const kernel = new Map([["ns/b/u1/Egress", { bitsPerSecond: 40 * M, expiresAtMs: 50_000, fallbackBitsPerSecond: FLOOR }]]);
    const shares = fresh(kernel, 8);
    shares.statusObserved(status(7, 40 * M)); // what the allocator wrote for the previous agent
    assert.equal(enforced(shares, 10_000).bitsPerSecond, 40 * M);
    assert.equal(enforced(shares, 50_000).bitsPerSecond, FLOOR);
    assert.equal(shares.resyncFromSeq, 8);
    shares.reportAttempted(8);
    shares.reportSucceeded(51_000, new Map());
    shares.statusObserved(status(8, 35 * M, 4));
    assert.equal(enforced(shares, 52_000).bitsPerSecond, 35 * M);
  });

  it("a budget whose senders start again after a quiet spell gets at least the floor until the allocator answers", () => {
    const shares = inContact(0.2 * M);
    assert.equal(enforced(shares, 1000).bitsPerSecond, 0.2 * M);
    shares.reportAttempted(2);
    assert.equal(shares.enforce(1500, [{ ...budgets[0]!, gainedSender: true }]).get("ns/b/u1/Egress")?.bitsPerSecond, FLOOR);
    assert.equal(enforced(shares, 2000).bitsPerSecond, FLOOR, "until answered");
    shares.reportAttempted(3);
    shares.reportSucceeded(2000, new Map());
    shares.statusObserved(status(3, 5 * M, 2));
    assert.equal(enforced(shares, 2500).bitsPerSecond, 5 * M);
  });

  it("released: capped at the floor the moment no Pod sends, and until an allocation answers a report sent since", () => {
    const shares = inContact(40 * M);
    assert.equal(enforced(shares, 1000).bitsPerSecond, 40 * M);
    assert.equal(shares.released("ns/b/u1/Egress"), false);
    assert.deepEqual(shares.enforce(1500, [{ ...budgets[0]!, idle: true }]).get("ns/b/u1/Egress"), { bitsPerSecond: FLOOR, expiresAtMs: HOLD, fallbackBitsPerSecond: FLOOR });
    assert.equal(shares.released("ns/b/u1/Egress"), true);
    shares.reportAttempted(2); // the report that says released
    shares.statusObserved(status(1, 40 * M, 1)); // an answer to an older report: no
    assert.equal(shares.enforce(2000, [{ ...budgets[0]!, gainedSender: true }]).get("ns/b/u1/Egress")?.bitsPerSecond, FLOOR, "sending again, still capped: the allocator may have given its share away");
    assert.equal(shares.released("ns/b/u1/Egress"), true, "its reports keep saying so");
    shares.reportAttempted(3);
    shares.statusObserved(status(3, 12 * M, 2));
    assert.equal(enforced(shares, 2500).bitsPerSecond, 12 * M, "answered: the allocation again");
    assert.equal(shares.released("ns/b/u1/Egress"), false);
  });

  it("released with a share below the floor keeps that share; cut off or just started, it is capped too", () => {
    const small = inContact(0.5 * M);
    assert.equal(small.enforce(1000, [{ ...budgets[0]!, idle: true }]).get("ns/b/u1/Egress")?.bitsPerSecond, 0.5 * M);
    const kernel = new Map([["ns/b/u1/Egress", { bitsPerSecond: 40 * M, expiresAtMs: 50_000, fallbackBitsPerSecond: FLOOR }]]);
    const restarted = fresh(kernel, 8);
    assert.equal(restarted.enforce(1000, budgets).get("ns/b/u1/Egress")?.bitsPerSecond, 40 * M, "the kernel's config until its expiry");
    assert.equal(restarted.enforce(1500, [{ ...budgets[0]!, idle: true }]).get("ns/b/u1/Egress")?.bitsPerSecond, FLOOR, "unless released");
  });

  it("keeps out an allocation older than one it has seen (a late event after a re-list)", () => {
    const shares = inContact(40 * M);
    shares.statusObserved(status(1, 20 * M, 3));
    assert.equal(enforced(shares, 1000).bitsPerSecond, 20 * M);
    shares.statusObserved(status(1, 40 * M, 2));
    assert.equal(enforced(shares, 2000).bitsPerSecond, 20 * M);
    assert.equal(shares.appliedGeneration("ns/b/u1/Egress"), 3);
  });

  it("a budget that reappears on the node gets the floor, not its old allocation, until the allocator answers", () => {
    const shares = inContact(40 * M);
    enforced(shares, 1000);
    shares.enforce(2000, []); // its last selected Pod went
    assert.equal(enforced(shares, 3000).bitsPerSecond, FLOOR);
    shares.reportAttempted(2);
    shares.reportSucceeded(3000, new Map());
    shares.statusObserved(status(2, 20 * M, 2));
    assert.equal(enforced(shares, 4000).bitsPerSecond, 20 * M);
  });

  it("acknowledges a decrease in its next report; soon only when the allocator asks for it", () => {
    const shares = inContact(40 * M);
    enforced(shares, 1000);
    assert.equal(shares.appliedGeneration("ns/b/u1/Egress"), 1);
    assert.equal(shares.acknowledgementDue, false, "nobody waits on it");
    shares.statusObserved(status(1, 1 * M, 1, true));
    assert.equal(shares.acknowledgementDue, true, "the first allocation, once asked");
    shares.reportSucceeded(1500, new Map([["ns/b/u1/Egress", 1]]));
    assert.equal(shares.acknowledgementDue, false);
    shares.statusObserved(status(1, 50 * M, 2));
    enforced(shares, 2000);
    shares.statusObserved(status(1, 20 * M, 3, true));
    enforced(shares, 3000);
    assert.equal(shares.acknowledgementDue, true);
    assert.equal(shares.appliedGeneration("ns/b/u1/Egress"), 3);
    shares.reportSucceeded(3500, new Map([["ns/b/u1/Egress", 2]]));
    assert.equal(shares.acknowledgementDue, true, "an older generation does not acknowledge it");
    shares.reportSucceeded(4000, new Map([["ns/b/u1/Egress", 3]]));
    assert.equal(shares.acknowledgementDue, false);
    shares.statusObserved(status(1, 50 * M, 4));
    enforced(shares, 5000);
    assert.equal(shares.acknowledgementDue, false, "not asked: the next report carries it");
    shares.statusObserved(status(1, 50 * M, 4, true));
    assert.equal(shares.acknowledgementDue, true, "asked (the allocator still counts an older, larger share): soon, whatever this one did");
  });
});
