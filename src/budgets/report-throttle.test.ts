/** The report throttle: first write, significant changes, urgency, the 1 s spacing, heartbeats, backoff. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BudgetReport } from "./protocol.js";
import { ReportThrottle } from "./report-throttle.js";

const report = (entries: Record<string, Partial<BudgetReport>>): Map<string, BudgetReport> =>
  new Map(Object.entries(entries).map(([key, entry]) => [key, { demandBitsPerSecond: 10_000_000, members: 1, heldBack: false, unbounded: false, appliedGeneration: 0, ...entry }]));

/** A throttle that wrote `written` successfully at `atMs`. */
function wroteAt(atMs: number, written: Map<string, BudgetReport>): ReportThrottle {
  const throttle = new ReportThrottle();
  throttle.attempted(atMs, written);
  throttle.succeeded(atMs);
  return throttle;
}

describe("ReportThrottle", () => {
  it("writes first, then only on a significant change", () => {
    const base = report({ a: {} });
    assert.equal(new ReportThrottle().reasonToWrite(0, base, false), "first");
    const throttle = wroteAt(0, base);
    assert.equal(throttle.reasonToWrite(5000, report({ a: { demandBitsPerSecond: 10_900_000 } }), false), null, "9% is not significant");
    assert.equal(throttle.reasonToWrite(5000, report({ a: { demandBitsPerSecond: 11_200_000 } }), false), "demand");
    assert.equal(throttle.reasonToWrite(5000, report({ a: { members: 2 } }), false), "members");
    assert.equal(throttle.reasonToWrite(5000, report({ a: { heldBack: true } }), false), "heldBack");
    assert.equal(throttle.reasonToWrite(5000, report({ a: { unbounded: true } }), false), "unbounded");
    assert.equal(throttle.reasonToWrite(5000, report({ a: {}, b: {} }), false), "budgets");
    assert.equal(throttle.reasonToWrite(5000, report({ b: {} }), false), "budgets");
    assert.equal(throttle.reasonToWrite(5000, base, true), "urgent");
  });

  it("ignores the demand of a budget that stays unbounded (the allocator does not read it)", () => {
    const throttle = wroteAt(0, report({ a: { heldBack: true, unbounded: true } }));
    assert.equal(throttle.reasonToWrite(5000, report({ a: { heldBack: true, unbounded: true, demandBitsPerSecond: 40_000_000 } }), false), null);
  });

  it("never writes twice within a second, nor while a write is in flight", () => {
    const throttle = wroteAt(0, report({ a: {} }));
    assert.equal(throttle.reasonToWrite(999, report({ a: { members: 3 } }), false), null);
    assert.equal(throttle.reasonToWrite(1000, report({ a: { members: 3 } }), false), "members");
    throttle.attempted(1000, report({ a: { members: 3 } }));
    assert.equal(throttle.inFlight, true);
    assert.equal(throttle.reasonToWrite(5000, report({ a: { members: 4 } }), true), null);
  });

  it("writes a release, an acknowledgement or an answer waited on 250 ms after the last attempt, the rest after 1 s", () => {
    const throttle = wroteAt(0, report({ a: {}, b: {} }));
    const released = report({ a: { members: 0, demandBitsPerSecond: 0, released: true }, b: {} });
    assert.equal(throttle.reasonToWrite(249, released, true), null, "never sooner than 250 ms");
    assert.equal(throttle.reasonToWrite(250, released, false), "released");
    assert.equal(throttle.reasonToWrite(250, report({ a: {}, b: {} }), true), "urgent");
    assert.equal(throttle.reasonToWrite(250, report({ a: { members: 3 }, b: {} }), false), null, "a change nobody waits on: after 1 s");
    assert.equal(throttle.reasonToWrite(5000, released, false), "released");
    throttle.attempted(5000, released);
    throttle.succeeded(5010);
    assert.equal(throttle.reasonToWrite(5300, released, false), null, "still released: nothing new");
    assert.equal(throttle.reasonToWrite(5300, report({ a: { released: true }, b: {}, c: { released: true } }), false), null, "a new budget released (selected, not sending yet) is no news");
  });

  it("beats every 30 s after the last success, changed or not", () => {
    const throttle = wroteAt(0, report({ a: {} }));
    assert.equal(throttle.reasonToWrite(29_999, report({ a: {} }), false), null);
    assert.equal(throttle.reasonToWrite(30_000, report({ a: {} }), false), "heartbeat");
  });

  it("retries a failed write after a backoff that doubles up to 8 s, spread by the jitter", () => {
    const throttle = wroteAt(0, report({ a: {} }));
    const retryAfter: number[] = [];
    let now = 40_000;
    for (let failure = 0; failure < 6; failure++) {
      throttle.attempted(now, report({ a: {} }));
      throttle.failed(now, 0.999999);
      let at = now + 1;
      while (throttle.reasonToWrite(at, report({ a: {} }), false) === null) at += 1;
      assert.equal(throttle.reasonToWrite(at, report({ a: {} }), false), "retry");
      retryAfter.push(Math.round((at - now) / 1000));
      now = at;
    }
    assert.deepEqual(retryAfter, [1, 2, 4, 8, 8, 8]);
  });

  it("compares with what was last written, not with what was last attempted", () => {
    const throttle = wroteAt(0, report({ a: {} }));
    throttle.attempted(2000, report({ a: { members: 5 } }));
    throttle.failed(2000, 0);
    throttle.attempted(3000, report({ a: { members: 5 } }));
    throttle.succeeded(3000);
    assert.equal(throttle.reasonToWrite(10_000, report({ a: { members: 5 } }), false), null);
  });
});
