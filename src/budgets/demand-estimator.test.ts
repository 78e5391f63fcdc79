/** The demand estimator: rate from byte deltas, held back from delayed deltas, probe, peak, floor, resets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_ESTIMATOR, DemandEstimator } from "./demand-estimator.js";

const M = 1_000_000;
const FLOOR = 1 * M;
const estimator = (): DemandEstimator => new DemandEstimator({ ...DEFAULT_ESTIMATOR, floorBitsPerSecond: FLOOR });
/** Bytes for `mbit` Mbit/s over `ms`. */
const bytes = (mbit: number, ms: number): number => (mbit * M * ms) / 8000;

describe("DemandEstimator", () => {
  it("asks for the floor on its first sample when it has members (no rate yet), nothing without", () => {
    assert.equal(estimator().observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 2 }, 5 * M).demandBitsPerSecond, FLOOR);
    assert.equal(estimator().observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 0 }, 5 * M).demandBitsPerSecond, 0);
  });

  it("measures the rate and asks for 1.1 × the peak while not held back", () => {
    const e = estimator();
    e.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 1 }, 50 * M);
    const estimate = e.observe({ atMs: 500, bytes: bytes(20, 500), delayedPackets: 0, activeMembers: 1 }, 50 * M);
    assert.equal(estimate.rateBitsPerSecond, 20 * M);
    assert.equal(estimate.heldBack, false);
    assert.equal(estimate.demandBitsPerSecond, 22 * M);
  });

  it("probes up while held back: max(rate, share) × 1.25", () => {
    const e = estimator();
    e.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 1 }, 10 * M);
    const estimate = e.observe({ atMs: 500, bytes: bytes(9.5, 500), delayedPackets: 40, activeMembers: 1 }, 10 * M);
    assert.equal(estimate.heldBack, true);
    assert.equal(estimate.demandBitsPerSecond, 12.5 * M);
  });

  it("says unbounded for a held-back spell that began right after gaining members, until it ends", () => {
    const gaining = estimator();
    gaining.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 0 }, FLOOR);
    assert.equal(gaining.observe({ atMs: 500, bytes: bytes(1, 500), delayedPackets: 5, activeMembers: 1 }, FLOOR).unbounded, true);
    for (let at = 1000; at <= 5000; at += 500) {
      assert.equal(gaining.observe({ atMs: at, bytes: bytes(1, at), delayedPackets: at, activeMembers: 1 }, FLOOR).unbounded, true, `still held back at ${at} ms`);
    }
    assert.equal(gaining.observe({ atMs: 5500, bytes: bytes(1, 5500), delayedPackets: 5000, activeMembers: 1 }, FLOOR).unbounded, false, "the spell is over");
  });

  it("doubles the probe each time a larger share did not help, and says unbounded after three", () => {
    const e = estimator();
    let total = 0;
    let delayed = 0;
    const step = (at: number, mbit: number, share: number, held: boolean) => {
      total += bytes(mbit, 500);
      if (held) delayed += 5;
      return e.observe({ atMs: at, bytes: total, delayedPackets: delayed, activeMembers: 1 }, share * M);
    };
    e.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 1 }, 10 * M);
    for (let at = 500; at <= 3000; at += 500) step(at, 8, 10, false);
    const probes = [
      step(3500, 10, 10, true), // held back at 10: probe 12.5
      step(4000, 10, 10, true), // same share: same probe
      step(4500, 12.5, 12.5, true), // got 12.5, still short: 12.5 × 2.5
      step(5000, 31.25, 31.25, true), // got it, still short: × 5
      step(5500, 156.25, 156.25, true), // and again: unbounded
    ];
    assert.deepEqual(probes.map((probe) => [probe.demandBitsPerSecond / M, probe.unbounded]), [[12.5, false], [12.5, false], [31.25, false], [156.25, false], [1562.5, true]]);
    assert.equal(step(6000, 100, 156.25, false).unbounded, false, "the spell is over");
  });

  it("keeps the peak for the window (1 s: two samples), then lets it go", () => {
    const e = estimator();
    let total = 0;
    e.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 1 }, 100 * M);
    total += bytes(40, 500);
    e.observe({ atMs: 500, bytes: total, delayedPackets: 0, activeMembers: 1 }, 100 * M);
    const demands: number[] = [];
    for (let at = 1000; at <= 3500; at += 500) demands.push(e.observe({ atMs: at, bytes: total, delayedPackets: 0, activeMembers: 1 }, 100 * M).demandBitsPerSecond);
    assert.deepEqual(demands.map((bits) => bits / M), [44, 0, 0, 0, 0, 0], "no traffic: no demand (the allocator's floor is a lower bound, not a demand)");
  });

  it("drops to 0 at once when none of its Pods sent in a sample, whatever the peak, and starts afresh", () => {
    const e = estimator();
    e.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 1 }, 10 * M);
    assert.equal(e.observe({ atMs: 500, bytes: bytes(8, 500), delayedPackets: 0, activeMembers: 1 }, 10 * M).demandBitsPerSecond, 8.8 * M);
    const stopped = e.observe({ atMs: 1000, bytes: bytes(8, 500), delayedPackets: 0, activeMembers: 0 }, 10 * M);
    assert.deepEqual([stopped.demandBitsPerSecond, stopped.heldBack, stopped.unbounded], [0, false, false], "not 1.1 × the 2-s peak");
    assert.equal(e.observe({ atMs: 1500, bytes: bytes(8, 500) + bytes(2, 500), delayedPackets: 0, activeMembers: 1 }, 10 * M).demandBitsPerSecond, 2.2 * M, "the old peak is gone");
  });

  it("restarts on a counter that went backwards (the map entry was recreated)", () => {
    const e = estimator();
    e.observe({ atMs: 0, bytes: 1e9, delayedPackets: 10, activeMembers: 1 }, 10 * M);
    const estimate = e.observe({ atMs: 500, bytes: 100, delayedPackets: 0, activeMembers: 1 }, 10 * M);
    assert.deepEqual(estimate, { rateBitsPerSecond: 0, heldBack: false, unbounded: false, demandBitsPerSecond: FLOOR, members: 1 });
  });

  it("follows an edited floor", () => {
    const e = estimator();
    e.setFloor(3 * M);
    assert.equal(e.observe({ atMs: 0, bytes: 0, delayedPackets: 0, activeMembers: 1 }, 0).demandBitsPerSecond, 3 * M);
  });
});
