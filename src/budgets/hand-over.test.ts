/** Hand-over: claims, acknowledgements, a new leader's books, and increases only out of unclaimed capacity. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { acknowledge, bookFromPublished, claimOf, currentOf, planHandOver, publish, release, type ShareBook } from "./hand-over.js";

const book = (...bits: number[]): ShareBook => ({ published: bits.map((value, index) => ({ generation: index + 1, bitsPerSecond: value })) });

describe("hand-over", () => {
  it("a node's claim is the largest share it has not acknowledged past", () => {
    const b = book(50, 20, 30);
    assert.equal(claimOf(b), 50);
    acknowledge(b, 2);
    assert.equal(claimOf(b), 30);
    assert.deepEqual(currentOf(b), { generation: 3, bitsPerSecond: 30 });
    acknowledge(b, 9);
    assert.deepEqual(b.published, [{ generation: 3, bitsPerSecond: 30 }]);
  });

  it("a released book drops to 0 and its claim with it, unacknowledged decreases and all", () => {
    const b = book(50, 20);
    b.acknowledgeRequested = true;
    assert.equal(release(b), true, "a new share (0) to publish");
    assert.deepEqual(b.published, [{ generation: 3, bitsPerSecond: 0 }]);
    assert.equal(claimOf(b), 0);
    assert.equal(b.acknowledgeRequested, false);
    const zero = book(30, 0);
    assert.equal(release(zero), false, "already 0: nothing to tell the node");
    assert.deepEqual(zero.published, [{ generation: 2, bitsPerSecond: 0 }]);
  });

  it("a new leader's book keeps the published claim until the current generation is acknowledged", () => {
    const b = bookFromPublished({ generation: 7, bitsPerSecond: 20 }, 50, 5);
    assert.equal(claimOf(b), 50);
    acknowledge(b, 6);
    assert.equal(claimOf(b), 50);
    acknowledge(b, 7);
    assert.equal(claimOf(b), 20);
    assert.equal(claimOf(bookFromPublished({ generation: 7, bitsPerSecond: 20 }, 50, 7)), 20);
  });

  it("decreases go out at once; increases wait for the claims they need", () => {
    const a = book(60);
    const b = book(30);
    const plan = planHandOver(95, [{ node: "a", targetBitsPerSecond: 45, book: a }, { node: "b", targetBitsPerSecond: 50, book: b }], "acknowledged", 0);
    assert.deepEqual(Object.fromEntries(plan.changes), { a: 45, b: 35 }, "b gets the 5 nobody claims; the 15 a frees come after its ack");
    assert.equal(plan.waiting, true);
    publish(a, 45);
    publish(b, 35);
    acknowledge(a, 2);
    const after = planHandOver(95, [{ node: "a", targetBitsPerSecond: 45, book: a }, { node: "b", targetBitsPerSecond: 50, book: b }], "acknowledged", 0);
    assert.deepEqual(Object.fromEntries(after.changes), { b: 50 });
    assert.equal(after.waiting, false);
  });

  it("an increase back up to a node's own claim is free", () => {
    const a = book(60, 40);
    const changes = planHandOver(60, [{ node: "a", targetBitsPerSecond: 55, book: a }, { node: "b", targetBitsPerSecond: 10, book: book(0) }], "acknowledged", 0);
    assert.deepEqual(Object.fromEntries(changes.changes), { a: 55 });
  });

  it("shares short headroom in proportion to what each increase needs", () => {
    const changes = planHandOver(100, [
      { node: "a", targetBitsPerSecond: 60, book: book(40) },
      { node: "b", targetBitsPerSecond: 70, book: book(40) },
    ], "acknowledged", 0);
    assert.deepEqual(Object.fromEntries(changes.changes), { a: 48, b: 52 });
  });

  it("grants a node at its local floor nothing below the floor (it would enforce less than it has)", () => {
    const requests = [{ node: "a", targetBitsPerSecond: 60, book: book(90) }, { node: "b", targetBitsPerSecond: 30, book: book(0), minimumGrantBitsPerSecond: 10 }];
    assert.deepEqual(Object.fromEntries(planHandOver(95, requests, "acknowledged", 0).changes), { a: 60 }, "5 of headroom is below b's floor");
    assert.deepEqual(Object.fromEntries(planHandOver(100, requests, "acknowledged", 0).changes), { a: 60, b: 10 });
  });

  it("'immediate' publishes every target", () => {
    const changes = planHandOver(95, [{ node: "a", targetBitsPerSecond: 45, book: book(60) }, { node: "b", targetBitsPerSecond: 50, book: book(30) }], "immediate", 0);
    assert.deepEqual(Object.fromEntries(changes.changes), { a: 45, b: 50 });
  });

  it("skips changes within the stickiness, except decreases while the claims exceed the capacity", () => {
    assert.equal(planHandOver(100, [{ node: "a", targetBitsPerSecond: 49, book: book(50) }], "acknowledged", 0.03).changes.size, 0);
    assert.equal(planHandOver(100, [{ node: "a", targetBitsPerSecond: 51, book: book(50) }], "acknowledged", 0.03).changes.size, 0);
    assert.deepEqual(Object.fromEntries(planHandOver(40, [{ node: "a", targetBitsPerSecond: 49, book: book(50) }], "acknowledged", 0.03).changes), { a: 49 });
  });

  it("takes what an increase needs in chunks of up to the stickiness from as few nodes as cover it, largest first (no deadlock on stickiness)", () => {
    const requests = [
      { node: "a", targetBitsPerSecond: 4900, book: book(5000) },
      { node: "b", targetBitsPerSecond: 2940, book: book(3000) },
      { node: "c", targetBitsPerSecond: 4000, book: book(4000) },
      { node: "d", targetBitsPerSecond: 100, book: book(0) },
    ];
    assert.deepEqual(Object.fromEntries(planHandOver(12_000, requests, "acknowledged", 0.03).changes), { a: 4753 }, "a frees 247 ≥ the 100 d needs");
    requests[3]!.targetBitsPerSecond = 350;
    assert.deepEqual(Object.fromEntries(planHandOver(12_000, requests, "acknowledged", 0.03).changes), { a: 4753, b: 2851 }, "247 + 149 cover 350");
  });

  it("takes no chunk while pending acknowledgements will free enough", () => {
    const requests = [
      { node: "a", targetBitsPerSecond: 4000, book: book(5000, 4000) },
      { node: "b", targetBitsPerSecond: 4000, book: book(4000) },
      { node: "d", targetBitsPerSecond: 500, book: book(0) },
    ];
    const plan = planHandOver(9000, requests, "acknowledged", 0.03);
    assert.deepEqual(Object.fromEntries(plan.changes), {});
    assert.equal(plan.waiting, true);
  });

  it("lends increases up to `borrow` ahead of acknowledgements, never more", () => {
    const a = book(60);
    const requests = [{ node: "a", targetBitsPerSecond: 45, book: a }, { node: "b", targetBitsPerSecond: 50, book: book(35) }];
    assert.deepEqual(Object.fromEntries(planHandOver(95, requests, "acknowledged", 0, 5).changes), { a: 45, b: 40 }, "b gets the 5 lent");
    assert.deepEqual(Object.fromEntries(planHandOver(95, requests, "acknowledged", 0, 20).changes), { a: 45, b: 50 });
  });

  it("property: while Σ claims fit, no plan, acknowledged in any order, makes them exceed the capacity (plus what it may borrow)", () => {
    const round = fc.record({ targets: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 4 }), acks: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }) });
    fc.assert(fc.property(fc.array(round, { minLength: 1, maxLength: 12 }), fc.constantFrom(0, 0.02), fc.constantFrom(0, 5), (rounds, stickiness, borrow) => {
      const capacity = 100;
      const books = [book(25), book(25), book(25), book(25)];
      for (const { targets, acks } of rounds) {
        const { changes } = planHandOver(capacity, books.map((b, index) => ({ node: `n${index}`, targetBitsPerSecond: targets[index]!, book: b })), "acknowledged", stickiness, borrow);
        books.forEach((b, index) => {
          const change = changes.get(`n${index}`);
          if (change !== undefined) publish(b, change);
        });
        const claims = books.reduce((sum, b) => sum + claimOf(b), 0);
        assert.ok(claims <= capacity + borrow, `Σ claims ${claims} > ${capacity} + ${borrow}`);
        books.forEach((b, index) => acks[index] && acknowledge(b, currentOf(b).generation));
      }
    }), { numRuns: 500 });
  });
});
