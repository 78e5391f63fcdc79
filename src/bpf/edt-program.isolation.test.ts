/**
 * The EDT program's flow isolation, shared budgets and outside-cluster scope on the host kernel
 * (BPF_PROG_TEST_RUN, synthetic frames; a different UDP source port is a different flow).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requirePrerequisites } from "../testing/prerequisites.js";
import { TC_ACT_SHOT, TC_ACT_UNSPEC } from "./bpf.js";
import { EDT_DIRECTION_EGRESS, EDT_DIRECTION_INGRESS, EDT_FLOW_ISOLATION, EDT_SCOPE_ALL, EDT_SCOPE_OUTSIDE_CLUSTER } from "./edt-layout.js";
import { bpfTestPrerequisites, openFdCount } from "./testing/bpffs.js";
import { EdtHarness, SECOND } from "./testing/edt-harness.js";
import { makeFrame } from "./testing/frames.js";

const skip = requirePrerequisites(bpfTestPrerequisites());
const MS = 1_000_000n;
/**
 * 100 kbit/s: a 1500-byte frame is a 120 ms slot, so the credit a scheduling hiccup between two test runs
 * refills (real time) is far less than a frame's, and "at once" (< 10 ms) cannot be confused with a slot.
 */
const RATE = 100_000n;
const SLOT = 120n * MS;
const AT_ONCE = 10n * MS;
const isolated = { bitsPerSecond: RATE, flags: EDT_FLOW_ISOLATION, flowCreditNs: 2n * SLOT, bypassCreditNs: 4n * SLOT, sparseMaxLen: 1024 };
const bulk = (port = 1000) => makeFrame("ipv4", 1500, { sourcePort: port });
/** A light flow's packet: 500 bytes, a 40 ms slot at RATE; a flow's credit (2 slots of a full frame) holds six. */
const light = (port: number) => makeFrame("ipv4", 500, { sourcePort: port });
const LIGHT_SLOT = 40n * MS;

describe("EDT program: flow isolation, budgets, scope (BPF_PROG_TEST_RUN, host kernel)", { skip }, () => {
  let harness: EdtHarness;
  let fdsBefore: number;

  before(() => {
    fdsBefore = openFdCount();
    harness = new EdtHarness();
  });
  after(() => {
    harness?.close();
    assert.equal(openFdCount(), fdsBefore, "no file descriptors leaked");
  });

  it("a small packet of a flow with nothing pending leaves at once behind a backlog, and its bytes still delay the bulk", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    const backlog = Array.from({ length: 10 }, () => pod.run(bulk()).tstamp);
    const end = pod.timeline().allTNs;
    const packet = pod.run(light(2000));
    assert.ok(packet.tstamp < backlog[3]!, `the light flow left at ${packet.tstamp}, not behind the bulk (${backlog.at(-1)})`);
    assert.equal(pod.timeline().allTNs, end + LIGHT_SLOT, "charged to the Pod's timeline all the same");
    const nextBulk = pod.run(bulk());
    assert.equal(nextBulk.tstamp, end + LIGHT_SLOT, "the bulk absorbs the light flow's slot");
    assert.equal(pod.counters().bypassedPackets, 1n, "only the light packet: full-size frames never bypass");
  });

  it("full-size frames never bypass, even of flows with nothing pending (many bulk flows at a small limit)", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    const stamps = Array.from({ length: 8 }, (_, index) => pod.run(bulk(3000 + index)).tstamp);
    for (let i = 1; i < stamps.length; i++) assert.equal(stamps[i]! - stamps[i - 1]!, SLOT, `flow ${i} took the next slot`);
    assert.equal(pod.counters().bypassedPackets, 0n);
  });

  it("a flow's departures never go back, so fq cannot reorder it", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    const frameOf = (index: number) => (index % 3 === 0 ? light(3000) : index % 3 === 1 ? bulk(1000) : light(1000));
    const results = Array.from({ length: 12 }, (_, index) => pod.run(frameOf(index)));
    assert.ok(results.every((result) => result.retval === TC_ACT_UNSPEC), "within the horizon: none dropped");
    const stamps = results.map((result) => result.tstamp);
    for (const port of [1000, 3000]) {
      const own = stamps.filter((_, index) => (index % 3 === 0 ? 3000 : 1000) === port);
      for (let i = 1; i < own.length; i++) assert.ok(own[i]! >= own[i - 1]!, `flow ${port}: departure ${i} went back`);
    }
  });

  it("a burst of one flow bypasses only its credit, then queues like the bulk", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    pod.run(bulk());
    const burst = Array.from({ length: 8 }, () => pod.run(light(4000)).tstamp);
    const now = burst[0]!;
    assert.equal(burst.filter((stamp) => stamp - now < AT_ONCE).length, 6, "six light frames of credit leave at once");
    assert.ok(burst[6]! - now >= SLOT, "the seventh waits for the Pod's slots");
  });

  it("the whole Pod's bypass is bounded by its own credit, however many light flows", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    const stamps = Array.from({ length: 16 }, (_, index) => pod.run(light(5000 + index)).tstamp);
    const now = stamps[0]!;
    assert.equal(stamps.filter((stamp) => stamp - now < AT_ONCE).length, 12, "4 full frames of Pod credit: twelve light frames at once");
    assert.equal(pod.counters().bypassedPackets, 12n);
  });

  it("the Pod's bypass credit refills at its rate, and what bypasses is charged: light flows never get more than the limit", async () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    const first = Array.from({ length: 14 }, (_, index) => pod.run(light(7000 + index))); // twelve bypass: the Pod's credit is spent
    assert.equal(pod.counters().bypassedPackets, 12n);
    assert.equal(pod.timeline().allTNs - first[0]!.tstamp, 14n * LIGHT_SLOT, "all fourteen are on the timeline, bypassed or not");
    // 130 ms refill three light frames' credit; the timeline is still far ahead, so those three leave at once.
    await new Promise((resolve) => setTimeout(resolve, 130));
    Array.from({ length: 5 }, (_, index) => pod.run(light(7100 + index)));
    const bypassed = pod.counters().bypassedPackets - 12n;
    assert.ok(bypassed >= 3n && bypassed <= 4n, `${bypassed} bypassed after 130 ms of refill`);
  });

  it("a flow that paces itself (its socket stamps packets for later: BBR, TCP pacing) never bypasses", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, isolated);
    const now = pod.run(light(6000)).tstamp; // a light flow: leaves now, which tells the clock
    const selfPaced = pod.run(light(6001), { tstamp: now + 100n * MS });
    assert.equal(selfPaced.tstamp, now + 100n * MS > now + LIGHT_SLOT ? now + 100n * MS : now + LIGHT_SLOT, "the later of its own stamp and the Pod's slot");
    assert.equal(pod.counters().bypassedPackets, 1n, "only the light flow bypassed");
  });

  it("without flow isolation (single timeline) a light flow waits behind the backlog", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: RATE });
    const backlog = Array.from({ length: 5 }, () => pod.run(bulk()).tstamp);
    assert.equal(pod.run(bulk(2000)).tstamp, backlog.at(-1)! + SLOT);
    assert.equal(pod.counters().bypassedPackets, 0n);
  });

  it("two Pods of one budget share its rate; each Pod's own limit still holds", () => {
    const slot = 7;
    harness.maps.writeBudget(slot, { bitsPerSecond: RATE, horizonNs: 2n * SECOND, expiresAtNs: 0n, fallbackBitsPerSecond: 0n, scope: EDT_SCOPE_ALL }, true);
    const first = harness.pod(EDT_DIRECTION_EGRESS, { budgets: [slot] });
    const second = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 10_000_000n, budgets: [slot] });
    const stamps = Array.from({ length: 8 }, (_, index) => (index % 2 === 0 ? first : second).run(bulk()).tstamp);
    for (let i = 1; i < stamps.length; i++) assert.equal(stamps[i]! - stamps[i - 1]!, SLOT, `packet ${i}: one budget slot after the last, whichever Pod`);
    const budget = harness.maps.readBudget(slot);
    assert.equal(budget.counters.packets, 8n);
    assert.equal(budget.counters.delayedPackets, 7n);
    assert.equal(first.counters().packets, 4n);
  });

  it("a cluster-wide share the agent stops renewing falls back to its floor at expiry", () => {
    const slot = 9;
    const budget = { bitsPerSecond: RATE, horizonNs: 2n * SECOND, fallbackBitsPerSecond: RATE / 10n, scope: EDT_SCOPE_ALL };
    harness.maps.writeBudget(slot, { ...budget, expiresAtNs: 1n }, true); // expired long ago
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { budgets: [slot] });
    const expired = [pod.run(bulk()).tstamp, pod.run(bulk()).tstamp];
    assert.equal(expired[1]! - expired[0]!, 10n * SLOT, "the floor: a tenth of the share");
    harness.maps.writeBudget(slot, { ...budget, expiresAtNs: 0n }, true); // renewed (0: no expiry)
    const renewed = [pod.run(bulk()).tstamp, pod.run(bulk()).tstamp];
    assert.equal(renewed[1]! - renewed[0]!, SLOT, "the share again");
  });

  it("outside-cluster scope: only traffic to a destination outside the internal ranges is charged", () => {
    harness.maps.setInternalRanges(["10.0.0.0/8", "fd00::/8"]);
    assert.deepEqual(harness.maps.internalRanges(), ["10.0.0.0/8", "fd00::/8"]);
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { externalBitsPerSecond: RATE });
    const inside = Array.from({ length: 4 }, () => pod.run(makeFrame("ipv4", 1500, { destination: [10, 1, 2, 3] })));
    assert.ok(inside.every((result) => result.tstamp - inside[0]!.tstamp < AT_ONCE), "inside the cluster: not paced");
    const outside = Array.from({ length: 4 }, () => pod.run(makeFrame("ipv4", 1500, { destination: [198, 51, 100, 1] })).tstamp);
    for (let i = 1; i < outside.length; i++) assert.equal(outside[i]! - outside[i - 1]!, SLOT);
    const counters = pod.counters();
    assert.equal(counters.externalPackets, 4n);
    assert.equal(counters.packets, 8n);
    harness.maps.setInternalRanges(["10.0.0.0/8"]);
    assert.deepEqual(harness.maps.internalRanges(), ["10.0.0.0/8"]);
  });

  it("ingress classifies by source; an outside-cluster budget ignores in-cluster traffic", () => {
    harness.maps.setInternalRanges(["10.0.0.0/8"]);
    const slot = 8;
    harness.maps.writeBudget(slot, { bitsPerSecond: 1000n, horizonNs: 2n * SECOND, expiresAtNs: 0n, fallbackBitsPerSecond: 0n, scope: EDT_SCOPE_OUTSIDE_CLUSTER }, true);
    const pod = harness.pod(EDT_DIRECTION_INGRESS, { budgets: [slot] });
    // The synthetic frame's source is 10.0.0.1: inside, so never charged to the 1 kbit/s budget.
    for (let i = 0; i < 3; i++) assert.equal(pod.run(bulk()).retval, TC_ACT_UNSPEC);
    assert.equal(harness.maps.readBudget(slot).counters.packets, 0n);
    const v6 = makeFrame("ipv6", 1500); // source ::1: outside 10.0.0.0/8
    assert.equal(pod.run(v6).retval, TC_ACT_UNSPEC);
    assert.equal(pod.run(v6).retval, TC_ACT_SHOT, "12 s per frame at 1 kbit/s: beyond the horizon");
    const budget = harness.maps.readBudget(slot);
    assert.equal(budget.counters.packets, 2n);
    assert.equal(budget.counters.horizonDrops, 1n);
  });
});
