/** One agent's protocol end to end with scripted API outcomes: floor, report, allocation, ack, cut-off, restart. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeProtocol, type LocalBudgetSample } from "./node-protocol.js";
import type { NodeAllocations } from "./protocol.js";

const M = 1_000_000;
const KEY = "ns/b/u1/Egress";
const FLOOR = 1 * M;

/** A node whose Pods send `mbit` Mbit/s in scope, held back or not: cumulative counters per sample. */
class Counters {
  private bytes = 0;
  private delayed = 0;
  sample(atMs: number, mbit: number, heldBack: boolean): LocalBudgetSample[] {
    this.bytes += (mbit * M * 500) / 8000;
    if (heldBack) this.delayed += 10;
    return [{ key: KEY, floorBitsPerSecond: FLOOR, atMs, bytes: this.bytes, delayedPackets: this.delayed, activeMembers: 1 }];
  }
}
const answer = (seenReportSeq: number, bits: number, generation: number, acknowledge = false): NodeAllocations => ({
  seenReportSeq,
  allocations: new Map([[KEY, { bitsPerSecond: bits, generation, claimBitsPerSecond: bits, acknowledge, floorBitsPerSecond: 0 }]]),
});

describe("NodeProtocol", () => {
  it("floor at once, a first report, then the allocation; a decrease the allocator waits on is acknowledged at once", () => {
    const protocol = new NodeProtocol({ previousReport: null, kernel: new Map() });
    const counters = new Counters();
    const first = protocol.sample(0, counters.sample(0, 0, false));
    assert.equal(first.kernel.get(KEY)?.bitsPerSecond, FLOOR);
    assert.equal(first.reason, "first");
    assert.equal(first.report?.reportSeq, 1);
    assert.equal(first.report?.budgets.get(KEY)?.demandBitsPerSecond, FLOOR);
    protocol.reportSucceeded(0, 20);

    protocol.statusObserved(0, answer(1, 40 * M, 1));
    const second = protocol.sample(500, counters.sample(500, 1, true));
    assert.equal(second.kernel.get(KEY)?.bitsPerSecond, 40 * M);
    assert.equal(second.kernel.get(KEY)?.expiresAtMs, 90_000);
    assert.equal(second.report, null, "within a second of the last write");
    const third = protocol.sample(1000, counters.sample(1000, 40, true));
    assert.equal(third.report?.budgets.get(KEY)?.appliedGeneration, 1);
    assert.equal(third.report?.budgets.get(KEY)?.demandBitsPerSecond, 100 * M, "probe: 40 × 1.25 × 2 — held back at the floor, then held back again at 40 for a whole interval");
    protocol.reportSucceeded(1000, 1010);

    protocol.statusObserved(0, answer(2, 30 * M, 2, true));
    const fourth = protocol.sample(2000, counters.sample(2000, 30, true));
    assert.equal(fourth.kernel.get(KEY)?.bitsPerSecond, 30 * M);
    assert.ok(fourth.report !== null, "the decrease the allocator waits on is acknowledged at once");
    assert.equal(fourth.report?.budgets.get(KEY)?.appliedGeneration, 2);
  });

  it("cut off for the hold: the floor, and the next report asks for a fresh allocation", () => {
    const protocol = new NodeProtocol({ previousReport: null, kernel: new Map() });
    const counters = new Counters();
    protocol.sample(0, counters.sample(0, 0, false));
    protocol.reportSucceeded(0, 10);
    protocol.statusObserved(0, answer(1, 40 * M, 1));
    let last = protocol.sample(500, counters.sample(500, 40, false));
    for (let now = 1000; now < 90_000; now += 500) {
      last = protocol.sample(now, counters.sample(now, 40, false));
      if (last.report) protocol.reportFailed(now, 0.5);
    }
    assert.equal(last.kernel.get(KEY)?.bitsPerSecond, 40 * M, "held for 90 s");
    let cutOff = protocol.sample(90_000, counters.sample(90_000, 40, false));
    for (let now = 90_500; cutOff.report === null; now += 500) cutOff = protocol.sample(now, counters.sample(now, 1, true));
    assert.equal(cutOff.kernel.get(KEY)?.bitsPerSecond, FLOOR);
    assert.equal(cutOff.report?.resyncFromSeq, cutOff.report?.reportSeq);
  });

  it("enforces a new status at once, and acknowledges a decrease the allocator waits on without waiting for a sample", () => {
    const protocol = new NodeProtocol({ previousReport: null, kernel: new Map() });
    assert.equal(protocol.statusObserved(0, answer(0, 40 * M, 1)).report, null, "nothing sampled yet: nothing to enforce or report");
    const counters = new Counters();
    protocol.sample(0, counters.sample(0, 0, false));
    protocol.reportSucceeded(0, 10);
    assert.equal(protocol.statusObserved(100, answer(1, 40 * M, 1)).kernel.get(KEY)?.bitsPerSecond, 40 * M);
    if (protocol.sample(1500, counters.sample(1500, 40, false)).report) protocol.reportSucceeded(1500, 1510);
    const decreased = protocol.statusObserved(2600, answer(1, 20 * M, 2, true));
    assert.equal(decreased.kernel.get(KEY)?.bitsPerSecond, 20 * M);
    assert.equal(decreased.reason, "urgent");
    assert.equal(decreased.report?.budgets.get(KEY)?.appliedGeneration, 2);
  });

  it("after a restart: seqs go on from the object, the kernel's config holds, the first report asks for an answer", () => {
    const previousReport = { reportSeq: 41, resyncFromSeq: 0, budgets: new Map() };
    const kernel = new Map([[KEY, { bitsPerSecond: 40 * M, expiresAtMs: 60_000, fallbackBitsPerSecond: FLOOR }]]);
    const protocol = new NodeProtocol({ previousReport, kernel });
    const first = protocol.sample(1000, new Counters().sample(1000, 0, false));
    assert.equal(first.kernel.get(KEY)?.bitsPerSecond, 40 * M);
    assert.equal(first.report?.reportSeq, 42);
    assert.equal(first.report?.resyncFromSeq, 42);
  });

  it("releases a budget when none of its Pods sent: floor at once, demand 0, an urgent report that says released", () => {
    const protocol = new NodeProtocol({ previousReport: null, kernel: new Map() });
    const counters = new Counters();
    protocol.sample(0, counters.sample(0, 0, false));
    protocol.reportSucceeded(0, 10);
    protocol.statusObserved(0, answer(1, 40 * M, 1));
    protocol.sample(500, counters.sample(500, 40, false));
    const sending = protocol.sample(1000, counters.sample(1000, 40, false));
    assert.equal(sending.kernel.get(KEY)?.bitsPerSecond, 40 * M);
    assert.ok(sending.report !== null);
    protocol.reportSucceeded(1000, 1010);
    const stopped = protocol.sample(1500, counters.sample(1500, 0, false).map((sample) => ({ ...sample, activeMembers: 0 })));
    assert.equal(stopped.kernel.get(KEY)?.bitsPerSecond, FLOOR, "capped at the floor by the node itself");
    assert.equal(stopped.reason, "released", "half a second after the last write: urgent");
    assert.deepEqual(stopped.report?.budgets.get(KEY), { demandBitsPerSecond: 0, members: 0, heldBack: false, unbounded: false, appliedGeneration: 1, released: true });
  });

  it("does not release while its writes fail (the allocator would not hear of it; a Pod pausing in an outage would sit at the floor)", () => {
    const protocol = new NodeProtocol({ previousReport: null, kernel: new Map() });
    const counters = new Counters();
    protocol.sample(0, counters.sample(0, 0, false));
    protocol.reportSucceeded(0, 10);
    protocol.statusObserved(0, answer(1, 40 * M, 1));
    protocol.sample(500, counters.sample(500, 40, false));
    const sending = protocol.sample(1000, counters.sample(1000, 40, false));
    assert.ok(sending.report !== null);
    protocol.reportFailed(2000, 0.5);
    const stopped = protocol.sample(2500, counters.sample(2500, 0, false).map((sample) => ({ ...sample, activeMembers: 0 })));
    assert.equal(stopped.kernel.get(KEY)?.bitsPerSecond, 40 * M, "keeps its share, as through any outage");
    assert.equal(stopped.report?.budgets.get(KEY)?.released, undefined);
  });
});
