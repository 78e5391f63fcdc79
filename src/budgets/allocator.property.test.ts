/**
 * Properties of splitBudget over random budgets and nodes: Σ ≤ budget always; max-min fairness; floors
 * honoured; unused capacity handed to nodes that want more; monotonicity in demand and in the budget;
 * idempotence (the same inputs in any order give the same split).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { splitBudget, type NodeDemand, type SplitTerms } from "./allocator.js";

const M = 1_000_000;
const nodeArbitrary = (index: number): fc.Arbitrary<NodeDemand> =>
  fc.record({
    demand: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 * M })),
    members: fc.integer({ min: 0, max: 8 }),
    heldBack: fc.boolean(),
    unbounded: fc.boolean(),
    cap: fc.option(fc.integer({ min: 1, max: 300 * M }), { nil: undefined }),
  }).map(({ demand, members, heldBack, unbounded, cap }) => ({ node: `n${index}`, demandBitsPerSecond: demand, members, heldBack, unbounded: heldBack && unbounded, ...(cap === undefined ? {} : { capBitsPerSecond: cap }) }));
const nodesArbitrary = fc.integer({ min: 1, max: 25 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => nodeArbitrary(index))));
const termsArbitrary: fc.Arbitrary<SplitTerms> = fc.record({
  budgetBitsPerSecond: fc.integer({ min: 0, max: 10_000 * M }),
  reserveFraction: fc.constantFrom(0, 0.05, 0.1, 0.3),
  floorBitsPerSecond: fc.integer({ min: 0, max: 20 * M }),
  fixedBitsPerSecond: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 * M })),
});

const high = (node: NodeDemand): number => Math.min(node.capBitsPerSecond ?? Infinity, node.unbounded ? Infinity : node.demandBitsPerSecond);
const isActive = (node: NodeDemand): boolean => node.demandBitsPerSecond > 0 || node.members > 0;
const total = (shares: Map<string, number>): number => [...shares.values()].reduce((sum, bits) => sum + bits, 0);
const ROUNDING = 64; // bits per second of rounding slack per comparison (shares are floored to whole bits)
const RUNS = { numRuns: 400 };

describe("splitBudget properties", () => {
  it("Σ shares ≤ (1 − reserve)·budget − fixed ≤ budget, every share a whole number ≥ 0", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, (terms, nodes) => {
      const split = splitBudget(terms, nodes);
      assert.ok(total(split.shares) <= split.capacityBitsPerSecond, `Σ ${total(split.shares)} > capacity ${split.capacityBitsPerSecond}`);
      assert.ok(split.capacityBitsPerSecond <= terms.budgetBitsPerSecond);
      for (const bits of split.shares.values()) assert.ok(Number.isInteger(bits) && bits >= 0);
    }), RUNS);
  });

  it("max-min fair: no unsatisfied node is below the level of a node above its floor", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, (terms, nodes) => {
      const split = splitBudget(terms, nodes);
      if (!split.floorsFit) return;
      const active = nodes.filter(isActive);
      for (const a of active) {
        const shareA = split.shares.get(a.node)!;
        if (shareA >= high(a) - ROUNDING) continue; // satisfied
        for (const b of active) {
          const shareB = split.shares.get(b.node)!;
          const floorB = Math.min(split.floorBitsPerSecond, high(b));
          if (shareB <= floorB + ROUNDING) continue;
          assert.ok(shareA / Math.max(1, a.members) >= shareB / Math.max(1, b.members) - ROUNDING, `${a.node} ${shareA} below ${b.node} ${shareB}`);
        }
      }
    }), RUNS);
  });

  it("floors honoured (the floor lowered to capacity/(2·active) at most) when they fit; otherwise nobody gets more than the floor", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, (terms, nodes) => {
      const split = splitBudget(terms, nodes);
      for (const node of nodes.filter(isActive)) {
        const floor = Math.min(split.floorBitsPerSecond, high(node));
        const share = split.shares.get(node.node)!;
        if (split.floorsFit) assert.ok(share >= Math.floor(floor), `${node.node}: ${share} below its floor ${floor}`);
        else assert.ok(share <= floor, `${node.node}: ${share} above its floor ${floor} while floors do not fit`);
      }
    }), RUNS);
  });

  it("never more than a node's demand unless it is held back, never more than its cap", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, (terms, nodes) => {
      const split = splitBudget(terms, nodes);
      for (const node of nodes) {
        const share = split.shares.get(node.node)!;
        if (!node.heldBack) assert.ok(share <= Math.max(node.demandBitsPerSecond, 0), `${node.node} got ${share} above its demand`);
        assert.ok(share <= (node.capBitsPerSecond ?? Infinity));
      }
    }), RUNS);
  });

  it("work-conserving: capacity is left only when no held-back node is below its cap and every demand is met", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, (terms, nodes) => {
      const split = splitBudget(terms, nodes);
      const left = split.capacityBitsPerSecond - total(split.shares);
      if (left <= ROUNDING * nodes.length) return;
      for (const node of nodes.filter(isActive)) {
        const share = split.shares.get(node.node)!;
        assert.ok(share >= high(node) - ROUNDING, `${left} b/s unused while ${node.node} wants ${high(node)} and has ${share}`);
        if (node.heldBack) assert.ok(share >= (node.capBitsPerSecond ?? Infinity) - ROUNDING, `${left} b/s unused while held-back ${node.node} is below its cap`);
      }
    }), RUNS);
  });

  it("monotone: more demand from one node never lowers its share nor raises another's", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, fc.nat(), fc.integer({ min: 1, max: 200 * M }), (terms, nodes, pick, more) => {
      const index = pick % nodes.length;
      const before = splitBudget(terms, nodes);
      const raised = nodes.map((node, position) => (position === index ? { ...node, demandBitsPerSecond: node.demandBitsPerSecond + more } : node));
      const after = splitBudget(terms, raised);
      const name = nodes[index]!.node;
      assert.ok(after.shares.get(name)! >= before.shares.get(name)! - ROUNDING, `${name}: ${before.shares.get(name)} → ${after.shares.get(name)}`);
      for (const node of nodes) {
        if (node.node === name) continue;
        assert.ok(after.shares.get(node.node)! <= before.shares.get(node.node)! + ROUNDING, `${node.node} rose when ${name} asked for more`);
      }
    }), RUNS);
  });

  it("monotone: a larger budget lowers nobody's share", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, fc.integer({ min: 1, max: 1000 * M }), (terms, nodes, more) => {
      const before = splitBudget(terms, nodes);
      const after = splitBudget({ ...terms, budgetBitsPerSecond: terms.budgetBitsPerSecond + more }, nodes);
      for (const node of nodes) assert.ok(after.shares.get(node.node)! >= before.shares.get(node.node)! - ROUNDING, `${node.node}: ${before.shares.get(node.node)} → ${after.shares.get(node.node)}`);
    }), RUNS);
  });

  it("idempotent: the same inputs, in any order, give the same split", () => {
    fc.assert(fc.property(termsArbitrary, nodesArbitrary, fc.nat(), (terms, nodes, seed) => {
      const shuffled = [...nodes].sort((a, b) => ((a.node.length * 31 + seed) % 7) - ((b.node.length * 17 + seed) % 5));
      const first = splitBudget(terms, nodes);
      assert.deepEqual(new Map([...splitBudget(terms, shuffled).shares].sort()), new Map([...first.shares].sort()));
      assert.deepEqual(splitBudget(terms, nodes), first);
    }), RUNS);
  });
});
