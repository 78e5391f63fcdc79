/**
 * The EDT program on the host kernel, driven by BPF_PROG_TEST_RUN with synthetic frames: pacing arithmetic,
 * no credit after idle, horizon drops, unlimited and non-IP traffic untouched, exact counters, ECN marks,
 * and pinned state surviving a simulated agent restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requirePrerequisites } from "../testing/prerequisites.js";
import { BpfMap, TC_ACT_UNSPEC, TC_ACT_SHOT, testRunProgram } from "./bpf.js";
import { loadEdtInstance, pinnedStateMapPath, type EdtInstance } from "./edt-program.js";
import {
  decodeEdtState,
  emptyEdtState,
  encodeEdtKey,
  encodeEdtState,
  EDT_DIRECTION_EGRESS,
  EDT_DIRECTION_INGRESS,
  type EdtDirectionIndex,
  type EdtState,
} from "./edt-state-codec.js";
import { bpfTestPrerequisites, mountPrivateBpffs, openFdCount, type PrivateBpffs } from "./testing/bpffs.js";
import { ecnOf, makeFrame } from "./testing/frames.js";

const SECOND = 1_000_000_000n;
const skip = requirePrerequisites(bpfTestPrerequisites());

describe("EDT program (BPF_PROG_TEST_RUN, host kernel)", { skip }, () => {
  let bpffs: PrivateBpffs;
  let fdsBefore: number;
  const instances: EdtInstance[] = [];
  let map: BpfMap;
  let nextIdentity = 100;

  before(() => {
    fdsBefore = openFdCount();
    bpffs = mountPrivateBpffs();
    instances.push(loadEdtInstance({ pinRoot: bpffs.path, identity: 0, direction: EDT_DIRECTION_EGRESS }));
    map = BpfMap.openPinned(pinnedStateMapPath(bpffs.path));
  });
  after(() => {
    map?.close();
    for (const instance of instances) instance.object.close();
    bpffs?.remove();
    assert.equal(openFdCount(), fdsBefore, "no file descriptors leaked");
  });

  function instanceFor(direction: EdtDirectionIndex, state: Partial<EdtState>, useSetTstamp?: boolean) {
    const identity = nextIdentity++;
    const options = { pinRoot: bpffs.path, identity, direction, ...(useSetTstamp === undefined ? {} : { useSetTstamp }) };
    const instance = loadEdtInstance(options);
    instances.push(instance);
    const key = encodeEdtKey(identity, direction);
    map.update(key, encodeEdtState({ ...emptyEdtState(), horizonNs: 2n * SECOND, ...state }));
    return {
      run: (frame: Buffer, extra: { tstamp?: bigint; wireLen?: number } = {}) =>
        testRunProgram(instance.programFd, { data: frame, ...extra }),
      state: (): EdtState => decodeEdtState(map.lookup(key) ?? Buffer.alloc(0)),
      setState: (patch: Partial<EdtState>) => map.update(key, encodeEdtState({ ...decodeEdtState(map.lookup(key)!), ...patch })),
    };
  }

  for (const kind of ["ipv4", "ipv6"] as const) {
    for (const useSetTstamp of [true, false]) {
      it(`${kind}: N packets of L bytes at R advance tstamp by L*8e9/R each (set_tstamp ${useSetTstamp})`, () => {
        // 1 Mbit/s: 12 ms per packet, so a scheduling hiccup between test runs cannot catch up with pacing.
        const bitsPerSecond = 1_000_000n;
        const length = 1500;
        const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond }, useSetTstamp);
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
        const state = pod.state();
        assert.equal(state.packets, 20n);
        assert.equal(state.bytes, 20n * BigInt(length));
        assert.equal(state.delayedPackets, 19n, "all but the first packet are paced");
        assert.equal(state.horizonDrops, 0n);
        assert.equal(state.tLastNs, stamps.at(-1));
      });
    }
  }

  it("charges wire_len, not the frame length (a GSO skb)", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 10_000_000n });
    const first = pod.run(makeFrame("ipv4", 100), { wireLen: 64_000 });
    const second = pod.run(makeFrame("ipv4", 100), { wireLen: 64_000 });
    assert.equal(second.tstamp - first.tstamp, (64_000n * 8n * SECOND) / 10_000_000n);
    assert.equal(pod.state().bytes, 128_000n);
  });

  it("an idle gap earns no credit", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1_000_000n });
    pod.run(makeFrame("ipv4", 1500));
    pod.setState({ tLastNs: 1n }); // long ago: the Pod was idle
    const afterIdle = pod.run(makeFrame("ipv4", 1500));
    const next = pod.run(makeFrame("ipv4", 1500));
    assert.equal(next.tstamp - afterIdle.tstamp, 12_000_000n, "pacing restarts from now, no burst allowance");
    assert.equal(pod.state().delayedPackets, 1n);
  });

  it("a fresh limit (t_last 0) starts idle, whatever the clock's age", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1000n }); // 12 s per 1500-byte frame
    const result = pod.run(makeFrame("ipv4", 1500));
    assert.equal(result.retval, TC_ACT_UNSPEC);
    assert.equal(pod.state().delayedPackets, 0n);
    assert.equal(pod.state().tLastNs, result.tstamp);
  });

  it("a departure time already in the future is kept as the floor", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 10_000_000n });
    const first = pod.run(makeFrame("ipv4", 1500));
    const later = first.tstamp + SECOND / 2n;
    const result = pod.run(makeFrame("ipv4", 1500), { tstamp: later });
    assert.equal(result.tstamp, later);
  });

  it("beyond the horizon packets drop (TC_ACT_SHOT) and do not advance t_last", () => {
    // 1 kbit/s: a 1500-byte frame takes 12 s, far beyond the 2 s horizon.
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1000n });
    assert.equal(pod.run(makeFrame("ipv4", 1500)).retval, TC_ACT_UNSPEC);
    const tLast = pod.state().tLastNs;
    assert.equal(pod.run(makeFrame("ipv4", 1500)).retval, TC_ACT_SHOT);
    assert.equal(pod.run(makeFrame("ipv6", 1500)).retval, TC_ACT_SHOT);
    const state = pod.state();
    assert.equal(state.horizonDrops, 2n);
    assert.equal(state.packets, 3n);
    assert.equal(state.tLastNs, tLast);
  });

  it("unlimited Pods (no rate, or no entry) are untouched", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 0n });
    for (let i = 0; i < 5; i++) {
      const result = pod.run(makeFrame("ipv4", 1500));
      assert.equal(result.retval, TC_ACT_UNSPEC);
      assert.equal(result.tstamp, 0n);
    }
    assert.equal(pod.state().packets, 0n);
    const fresh = loadEdtInstance({ pinRoot: bpffs.path, identity: 9000, direction: EDT_DIRECTION_EGRESS });
    instances.push(fresh);
    const result = testRunProgram(fresh.programFd, { data: makeFrame("ipv6", 1500) });
    assert.equal(result.retval, TC_ACT_UNSPEC);
    assert.equal(result.tstamp, 0n);
  });

  it("non-IP traffic passes untouched and uncounted", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1000n });
    for (let i = 0; i < 3; i++) {
      const result = pod.run(makeFrame("arp", 60));
      assert.equal(result.retval, TC_ACT_UNSPEC);
      assert.equal(result.tstamp, 0n);
    }
    assert.equal(pod.state().packets, 0n);
  });

  it("ingress: CE-marks ECT packets beyond the threshold instead of queueing them further", () => {
    const pod = instanceFor(EDT_DIRECTION_INGRESS, { bitsPerSecond: 1_000_000n, ecnThresholdNs: 30_000_000n });
    const marks = Array.from({ length: 10 }, () => ecnOf(pod.run(makeFrame("ipv4", 1500, { ect: true })).data));
    // Packet k departs k * 12 ms after the first: packets 3.. are more than 30 ms out (6 ms of slack).
    assert.deepEqual(marks, [2, 2, 2, 3, 3, 3, 3, 3, 3, 3]);
    const notEct = pod.run(makeFrame("ipv6", 1500));
    assert.equal(ecnOf(notEct.data), 0, "a not-ECT packet is never marked");
    assert.equal(ecnOf(pod.run(makeFrame("ipv6", 1500, { ect: true })).data), 3);
    assert.equal(pod.state().ecnMarks, 8n);
  });

  it("egress state with no ECN threshold never marks", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 1_000_000n });
    const marks = Array.from({ length: 10 }, () => ecnOf(pod.run(makeFrame("ipv4", 1500, { ect: true })).data));
    assert.ok(marks.every((mark) => mark === 2));
    assert.equal(pod.state().ecnMarks, 0n);
  });

  it("pinned state survives a simulated agent restart (everything closed, then reopened)", () => {
    const pod = instanceFor(EDT_DIRECTION_EGRESS, { bitsPerSecond: 42_000_000n });
    pod.run(makeFrame("ipv4", 1000));
    const identity = nextIdentity - 1;
    map.close();
    for (const instance of instances.splice(0)) instance.object.close();
    const reopened = BpfMap.openPinned(pinnedStateMapPath(bpffs.path));
    try {
      const state = decodeEdtState(reopened.lookup(encodeEdtKey(identity, EDT_DIRECTION_EGRESS))!);
      assert.equal(state.bitsPerSecond, 42_000_000n);
      assert.equal(state.packets, 1n);
      // A new instance reuses the pinned map instead of creating a fresh one.
      const again = loadEdtInstance({ pinRoot: bpffs.path, identity, direction: EDT_DIRECTION_EGRESS });
      instances.push(again);
      const result = testRunProgram(again.programFd, { data: makeFrame("ipv4", 1000) });
      assert.ok(result.tstamp > 0n);
      assert.equal(decodeEdtState(reopened.lookup(encodeEdtKey(identity, EDT_DIRECTION_EGRESS))!).packets, 2n);
    } finally {
      map = reopened;
    }
  });
});
