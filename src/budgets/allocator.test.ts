/** splitBudget by example: reserve, floors, weights, caps, leftover to held-back nodes, both demand policies. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitBudget, type NodeDemand, type SplitTerms } from "./allocator.js";

const M = 1_000_000;
const terms = (overrides: Partial<SplitTerms> = {}): SplitTerms => ({
  budgetBitsPerSecond: 100 * M, reserveFraction: 0.05, floorBitsPerSecond: 1 * M, fixedBitsPerSecond: 0, ...overrides,
});
const node = (name: string, demandMbit: number, overrides: Partial<NodeDemand> = {}): NodeDemand => ({
  node: name, demandBitsPerSecond: demandMbit * M, members: 1, heldBack: false, ...overrides,
});
const sharesOf = (split: ReturnType<typeof splitBudget>): Record<string, number> => Object.fromEntries([...split.shares].map(([name, bits]) => [name, bits / M]));

describe("splitBudget", () => {
  it("keeps the reserve out: two backlogged nodes split 95% of the budget", () => {
    const split = splitBudget(terms(), [node("a", 30, { heldBack: true, unbounded: true }), node("b", 30, { heldBack: true, unbounded: true })]);
    assert.deepEqual(sharesOf(split), { a: 47.5, b: 47.5 });
    assert.equal(split.capacityBitsPerSecond, 95 * M);
  });

  it("gives a satisfied node its demand and the others the rest, max-min", () => {
    assert.deepEqual(sharesOf(splitBudget(terms(), [node("a", 10), node("b", 80, { heldBack: true, unbounded: true }), node("c", 80, { heldBack: true, unbounded: true })])), { a: 10, b: 42.5, c: 42.5 });
  });

  it("weights by members", () => {
    assert.deepEqual(sharesOf(splitBudget(terms(), [node("a", 500, { members: 1 }), node("b", 500, { members: 4 })])), { a: 19, b: 76 });
  });

  it("hands what nobody asked for to the held-back nodes, never to satisfied ones", () => {
    // The held-back node asked for 12.5 (its probe); the 95 − 20 − 12.5 left go to it as well.
    const split = splitBudget(terms(), [node("a", 20), node("b", 12.5, { heldBack: true })]);
    assert.deepEqual(sharesOf(split), { a: 20, b: 75 });
  });

  it("leaves the capacity unallocated when nobody wants more (the headroom a new sender grows into)", () => {
    assert.deepEqual(sharesOf(splitBudget(terms(), [node("a", 20), node("b", 10)])), { a: 20, b: 10 });
  });

  it("takes a held-back node's probe as its demand while the budget is contended, unless told it is unbounded", () => {
    const split = splitBudget(terms(), [node("a", 12.5, { heldBack: true }), node("b", 200, { heldBack: true })]);
    assert.deepEqual(sharesOf(split), { a: 12.5, b: 82.5 });
    assert.deepEqual(sharesOf(splitBudget(terms(), [node("a", 12.5, { heldBack: true, unbounded: true }), node("b", 200, { heldBack: true })])), { a: 47.5, b: 47.5 });
  });

  it("honours floors: a node with members gets at least the floor", () => {
    const split = splitBudget(terms({ floorBitsPerSecond: 5 * M }), [node("a", 1000, { heldBack: true, unbounded: true, members: 50 }), node("b", 5)]);
    assert.deepEqual(sharesOf(split), { a: 90, b: 5 });
  });

  it("lowers the floor to capacity/(2·active nodes), so floors always fit and demand decides the rest", () => {
    const nodes = Array.from({ length: 30 }, (_, index) => node(`n${index}`, index < 10 ? 1 : 10, { heldBack: index >= 10, unbounded: index >= 10 }));
    const split = splitBudget(terms({ floorBitsPerSecond: 5 * M }), nodes);
    assert.equal(split.floorsFit, true);
    assert.equal(split.floorBitsPerSecond, Math.floor((95 * M) / 64), "30 active nodes count as 32");
    assert.equal(split.shares.get("n0"), 1 * M, "a node asking for less than the floor gets what it asks");
    assert.ok(split.shares.get("n20")! > 4 * M, "the backlogged share what is left");
    assert.ok([...split.shares.values()].reduce((sum, bits) => sum + bits, 0) <= 95 * M);
  });

  it("respects caps, and passes the capped remainder on", () => {
    const split = splitBudget(terms(), [node("a", 0, { heldBack: true, unbounded: true, capBitsPerSecond: 20 * M }), node("b", 0, { heldBack: true, unbounded: true })]);
    assert.deepEqual(sharesOf(split), { a: 20, b: 75 });
  });

  it("takes the fixed shares (expired nodes' floors) off the capacity first", () => {
    const split = splitBudget(terms({ fixedBitsPerSecond: 15 * M }), [node("a", 0, { heldBack: true, unbounded: true })]);
    assert.deepEqual(sharesOf(split), { a: 80 });
  });

  it("gives 0 to nodes without members or demand, and lists them", () => {
    assert.deepEqual(sharesOf(splitBudget(terms(), [node("a", 0, { members: 0 }), node("b", 10)])), { a: 0, b: 10 });
  });

  it("rejects a reserve outside [0, 1)", () => {
    assert.throws(() => splitBudget(terms({ reserveFraction: 1 }), []), /reserve fraction 1 outside/);
  });
});
