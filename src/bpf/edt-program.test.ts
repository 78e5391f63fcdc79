/**
 * The EDT program on the host kernel, driven by BPF_PROG_TEST_RUN with synthetic frames, on one timeline
 * (flow isolation off): pacing arithmetic, no credit after idle, the socket's own stamp honoured but never
 * adopted, horizon drops, unlimited and non-IP traffic untouched, exact counters, ECN marks, and pinned
 * state surviving a simulated agent restart. edt-program.isolation.test.ts has flows, budgets and scope.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requirePrerequisites } from "../testing/prerequisites.js";
import { TC_ACT_UNSPEC, TC_ACT_SHOT, testRunProgram } from "./bpf.js";
import { loadEdtInstance } from "./edt-program.js";
import { EDT_DIRECTION_EGRESS, EDT_DIRECTION_INGRESS } from "./edt-layout.js";
import { bpfTestPrerequisites, openFdCount } from "./testing/bpffs.js";
import { EdtHarness, SECOND } from "./testing/edt-harness.js";
import { ecnOf, makeFrame } from "./testing/frames.js";

const skip = requirePrerequisites(bpfTestPrerequisites());

describe("EDT program, one timeline (BPF_PROG_TEST_RUN, host kernel)", { skip }, () => {
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

  for (const kind of ["ipv4", "ipv6"] as const) {
    for (const useSetTstamp of [true, false]) {
      it(`${kind}: N packets of L bytes at R advance tstamp by L*8e9/R each (set_tstamp ${useSetTstamp})`, () => {
        // 1 Mbit/s: 12 ms per packet, so a scheduling hiccup between test runs cannot catch up with pacing.
        const bitsPerSecond = 1_000_000n;
        const length = 1500;
        const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond }, { useSetTstamp });
        const stamps = Array.from({ length: 20 }, () => {
          const result = pod.run(makeFrame(kind, length));
          assert.equal(result.retval, TC_ACT_UNSPEC);
          return result.tstamp;
        });
        const expected = (BigInt(length) * 8n * SECOND) / bitsPerSecond; // 12 ms
        for (let i = 1; i < stamps.length; i++) {
          const step = stamps[i]! - stamps[i - 1]!;
          assert.ok(step >= expected - 1000n && step <= expected + 1000n, `step ${i}: ${step} ns, want ${expected}`);
        }
        const counters = pod.counters();
        assert.equal(counters.packets, 20n);
        assert.equal(counters.bytes, 20n * BigInt(length));
        assert.equal(counters.delayedPackets, 19n, "all but the first packet are paced");
        assert.equal(counters.horizonDrops, 0n);
        assert.equal(pod.timeline().allTNs, stamps.at(-1)! + expected, "the timeline ends after the last packet's slot");
      });
    }
  }

  it("charges wire_len, not the frame length (a GSO skb)", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 10_000_000n });
    const first = pod.run(makeFrame("ipv4", 100), { wireLen: 64_000 });
    const second = pod.run(makeFrame("ipv4", 100), { wireLen: 64_000 });
    assert.equal(second.tstamp - first.tstamp, (64_000n * 8n * SECOND) / 10_000_000n);
    assert.equal(pod.counters().bytes, 128_000n);
  });

  it("an idle gap earns no credit", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1_000_000n });
    pod.run(makeFrame("ipv4", 1500));
    pod.setTimeline({ allTNs: 1n }); // long ago: the Pod was idle
    const afterIdle = pod.run(makeFrame("ipv4", 1500));
    const next = pod.run(makeFrame("ipv4", 1500));
    assert.equal(next.tstamp - afterIdle.tstamp, 12_000_000n, "pacing restarts from now, no burst allowance");
    assert.equal(pod.counters().delayedPackets, 1n);
  });

  it("a fresh limit (an idle timeline) starts now, whatever the clock's age", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1000n }); // 12 s per 1500-byte frame
    const result = pod.run(makeFrame("ipv4", 1500));
    assert.equal(result.retval, TC_ACT_UNSPEC);
    assert.equal(pod.counters().delayedPackets, 0n);
    assert.equal(pod.timeline().allTNs, result.tstamp + 12n * SECOND);
  });

  it("a departure time already in the future is kept as the floor, and never pushes the Pod's timeline", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 10_000_000n });
    const first = pod.run(makeFrame("ipv4", 1500));
    const later = first.tstamp + SECOND / 2n;
    const ownStamped = pod.run(makeFrame("ipv4", 1500), { tstamp: later });
    assert.equal(ownStamped.tstamp, later);
    // A socket's own pacing (TCP's EDT stamp) is not the Pod's: the next packet takes the next slot.
    const next = pod.run(makeFrame("ipv4", 1500));
    assert.equal(next.tstamp - first.tstamp, 2n * 1_200_000n, "two slots of 1.2 ms after the first, not after the socket's stamp");
  });

  it("beyond the horizon packets drop (TC_ACT_SHOT) and do not advance the timeline", () => {
    // 1 kbit/s: a 1500-byte frame takes 12 s, far beyond the 2 s horizon.
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1000n });
    assert.equal(pod.run(makeFrame("ipv4", 1500)).retval, TC_ACT_UNSPEC);
    const end = pod.timeline().allTNs;
    assert.equal(pod.run(makeFrame("ipv4", 1500)).retval, TC_ACT_SHOT);
    assert.equal(pod.run(makeFrame("ipv6", 1500)).retval, TC_ACT_SHOT);
    const counters = pod.counters();
    assert.equal(counters.horizonDrops, 2n);
    assert.equal(counters.packets, 3n);
    assert.equal(pod.timeline().allTNs, end);
  });

  it("unlimited Pods (no rate, or no entry) are untouched", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 0n });
    for (let i = 0; i < 5; i++) {
      const result = pod.run(makeFrame("ipv4", 1500));
      assert.equal(result.retval, TC_ACT_UNSPEC);
      assert.equal(result.tstamp, 0n);
    }
    assert.equal(pod.counters().packets, 0n);
    const fresh = loadEdtInstance({ pinRoot: harness.bpffs.path, identity: 1000, direction: EDT_DIRECTION_EGRESS });
    try {
      const result = testRunProgram(fresh.programFd, { data: makeFrame("ipv6", 1500) });
      assert.equal(result.retval, TC_ACT_UNSPEC);
      assert.equal(result.tstamp, 0n);
    } finally {
      fresh.object.close();
    }
  });

  it("non-IP traffic passes untouched and uncounted", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1000n });
    for (let i = 0; i < 3; i++) {
      const result = pod.run(makeFrame("arp", 60));
      assert.equal(result.retval, TC_ACT_UNSPEC);
      assert.equal(result.tstamp, 0n);
    }
    assert.equal(pod.counters().packets, 0n);
  });

  it("ingress: CE-marks ECT packets beyond the threshold instead of queueing them further", () => {
    const pod = harness.pod(EDT_DIRECTION_INGRESS, { bitsPerSecond: 1_000_000n, ecnThresholdNs: 30_000_000n });
    const marks = Array.from({ length: 10 }, () => ecnOf(pod.run(makeFrame("ipv4", 1500, { ect: true })).data));
    // Packet k departs k * 12 ms after the first: packets 3.. are more than 30 ms out (6 ms of slack).
    assert.deepEqual(marks, [2, 2, 2, 3, 3, 3, 3, 3, 3, 3]);
    const notEct = pod.run(makeFrame("ipv6", 1500));
    assert.equal(ecnOf(notEct.data), 0, "a not-ECT packet is never marked");
    assert.equal(ecnOf(pod.run(makeFrame("ipv6", 1500, { ect: true })).data), 3);
    assert.equal(pod.counters().ecnMarks, 8n);
  });

  it("egress config with no ECN threshold never marks", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1_000_000n });
    const marks = Array.from({ length: 10 }, () => ecnOf(pod.run(makeFrame("ipv4", 1500, { ect: true })).data));
    assert.ok(marks.every((mark) => mark === 2));
    assert.equal(pod.counters().ecnMarks, 0n);
  });

  it("pinned state survives a simulated agent restart (everything closed, then reopened)", () => {
    const pod = harness.pod(EDT_DIRECTION_EGRESS, { bitsPerSecond: 42_000_000n });
    pod.run(makeFrame("ipv4", 1000));
    harness.restart();
    const entry = harness.maps.readPod(pod.identity, EDT_DIRECTION_EGRESS);
    assert.equal(entry.config.bitsPerSecond, 42_000_000n);
    assert.equal(entry.counters.packets, 1n);
    // A new instance reuses the pinned maps instead of creating fresh ones.
    const again = loadEdtInstance({ pinRoot: harness.bpffs.path, identity: pod.identity, direction: EDT_DIRECTION_EGRESS });
    try {
      const result = testRunProgram(again.programFd, { data: makeFrame("ipv4", 1000) });
      assert.ok(result.tstamp > 0n);
      assert.equal(harness.maps.readPod(pod.identity, EDT_DIRECTION_EGRESS).counters.packets, 2n);
    } finally {
      again.object.close();
    }
  });
});
