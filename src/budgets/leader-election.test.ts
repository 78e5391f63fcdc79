/** Leader election on a Lease: acquire, renew, take over only after a whole unchanged lease, step down. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaderElector, type LeaseRecord, type ObservedLease } from "./leader-election.js";

/** A Lease store with resourceVersion compare-and-swap, as the API server does it. */
class LeaseStore {
  lease: ObservedLease | null = null;
  private version = 0;
  get(): ObservedLease | "absent" {
    return this.lease ?? "absent";
  }
  write(record: LeaseRecord, resourceVersion: string | null): { ok: true; lease: ObservedLease } | { ok: false } {
    if ((this.lease?.resourceVersion ?? null) !== resourceVersion) return { ok: false };
    this.lease = { record, resourceVersion: String(++this.version) };
    return { ok: true, lease: this.lease };
  }
}

/** One retry period of one candidate against the store. */
function step(elector: LeaderElector, store: LeaseStore, nowMs: number): void {
  const action = elector.observe(nowMs, store.get());
  if (action.kind === "wait") return;
  elector.written(nowMs, nowMs, store.write(action.record, action.kind === "create" ? null : action.resourceVersion));
}

describe("LeaderElector", () => {
  it("the first candidate creates the Lease and leads; the other waits", () => {
    const store = new LeaseStore();
    const a = new LeaderElector("a");
    const b = new LeaderElector("b");
    step(a, store, 0);
    step(b, store, 0);
    assert.equal(a.isLeader(0), true);
    assert.equal(b.isLeader(0), false);
    assert.equal(store.lease?.record.holderIdentity, "a");
  });

  it("two candidates updating the same version: one wins (compare-and-swap)", () => {
    const store = new LeaseStore();
    store.write({ holderIdentity: "", leaseDurationMs: 15_000, acquireTimeMs: 0, renewTimeMs: 0, leaseTransitions: 3 }, null);
    const a = new LeaderElector("a");
    const b = new LeaderElector("b");
    const stepA = a.observe(0, store.get());
    const stepB = b.observe(0, store.get());
    assert.ok(stepA.kind === "update" && stepB.kind === "update");
    a.written(0, 0, store.write(stepA.record, stepA.resourceVersion));
    b.written(0, 0, store.write(stepB.record, stepB.resourceVersion));
    assert.deepEqual([a.isLeader(1), b.isLeader(1)], [true, false]);
    assert.equal(store.lease?.record.leaseTransitions, 4);
  });

  it("a standby takes over only after seeing the record unchanged for the lease duration, by its own clock", () => {
    const store = new LeaseStore();
    const a = new LeaderElector("a");
    const b = new LeaderElector("b");
    for (let now = 0; now <= 10_000; now += 2000) (step(a, store, now), step(b, store, now + 1000));
    // a dies after its renewal at 10 s; b last saw a change at 11 s.
    let takeover = -1;
    for (let now = 13_000; now <= 40_000 && takeover < 0; now += 2000) {
      step(b, store, now);
      if (b.isLeader(now)) takeover = now;
    }
    assert.equal(takeover, 27_000, "15 s after b first saw the last renewal (11 s), at b's next retry");
    assert.equal(a.isLeader(20_000), false, "a stopped counting itself leader 10 s after its last renewal");
    assert.equal(store.lease?.record.leaseTransitions, 1);
  });

  it("the leader steps down when it cannot renew within the renew deadline", () => {
    const store = new LeaseStore();
    const a = new LeaderElector("a");
    step(a, store, 0);
    for (let now = 2000; now < 12_000; now += 2000) a.observe(now, "unreachable");
    assert.equal(a.isLeader(9_999), true);
    assert.equal(a.isLeader(10_000), false);
  });

  it("a restarted leader with the same identity renews its own Lease at once", () => {
    const store = new LeaseStore();
    step(new LeaderElector("a"), store, 0);
    const again = new LeaderElector("a");
    step(again, store, 3000);
    assert.equal(again.isLeader(3000), true);
    assert.equal(store.lease?.record.leaseTransitions, 0);
  });

  it("refuses timings under which two leaders could overlap", () => {
    assert.throws(() => new LeaderElector("a", { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }), /renewDeadlineMs must be below leaseDurationMs/);
  });
});
