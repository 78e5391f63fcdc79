/**
 * One ClusterWide budget split among nodes, pure: weighted max-min fair by demand, with floors, a reserve,
 * per-node caps and the leftover handed to the nodes that want more (docs/cluster-budgets.md, "The split").
 *
 *   capacity = ⌊(1 − reserve)·budget⌋ − fixed      fixed: shares outside the split (expired nodes' floors)
 *   every node with members rises from its floor (min(floor, demand)) with weight = members, up to its
 *   demand (capped by its cap); the reserve stays unallocated for floors nodes take locally;
 *   capacity still left after every demand is met goes to held-back nodes, by weight, up to their caps.
 *
 * The floor is spec.minPerNode lowered to capacity/(2·active nodes) when that is smaller (the count rounded
 * up to a power of two, so the floor does not move, and rewrite every small share, with each node): floors fit
 * and take at most half the capacity (a budget spread over 1,500 nodes with a 1% floor would otherwise be
 * all floors, and every share would be decided by the floor rule instead of by demand). Should the floors
 * not fit anyway (weights, caps), they are water-filled instead (each node at most its floor, weighted
 * max-min), so Σ shares ≤ capacity always holds. A node marked `unbounded` rises with the level
 * whatever its reported demand: the caller (coordinator.ts) decides which held-back nodes' probes
 * (max(rate, share)·1.25) it believes and which it treats as "wants as much as it can get".
 */
import { waterFill, type FillItem } from "./water-fill.js";

export interface NodeDemand {
  node: string;
  demandBitsPerSecond: number;
  /** Active members; a node with demand and no members counts as one. */
  members: number;
  heldBack: boolean;
  /** Its demand counts as unbounded (it rises with the level up to its cap). */
  unbounded?: boolean;
  /** The most this node can use (its own limits); default unbounded. */
  capBitsPerSecond?: number;
}

export interface SplitTerms {
  budgetBitsPerSecond: number;
  /** Kept out of the split for floors that nodes take on their own; 0 ≤ reserve < 1. Default 0.05. */
  reserveFraction: number;
  floorBitsPerSecond: number;
  /** Shares already committed outside the split (they come off the capacity first). */
  fixedBitsPerSecond: number;
}

export interface BudgetSplit {
  shares: Map<string, number>;
  /** What the split could hand out: (1 − reserve)·budget − fixed, at least 0. */
  capacityBitsPerSecond: number;
  /** Σ demand reported (held-back nodes at their reported probe). */
  demandBitsPerSecond: number;
  /** False when the nodes' floors alone exceed the capacity (each got less than its floor). */
  floorsFit: boolean;
  /** The floor used: min(terms' floor, capacity / (2 · active nodes)). */
  floorBitsPerSecond: number;
}

/** The active node count is rounded up to a power of two, so the floor moves only when it doubles or halves. */
export const effectiveFloor = (floorBitsPerSecond: number, capacityBitsPerSecond: number, activeNodes: number): number =>
  Math.min(floorBitsPerSecond, Math.floor(capacityBitsPerSecond / (2 * 2 ** Math.ceil(Math.log2(Math.max(1, activeNodes))))));

export const DEFAULT_RESERVE_FRACTION = 0.05;

export function splitBudget(terms: SplitTerms, nodes: readonly NodeDemand[]): BudgetSplit {
  const { budgetBitsPerSecond, reserveFraction, fixedBitsPerSecond } = terms;
  if (!(reserveFraction >= 0 && reserveFraction < 1)) throw new RangeError(`reserve fraction ${reserveFraction} outside [0, 1)`);
  if (!(budgetBitsPerSecond >= 0) || !(terms.floorBitsPerSecond >= 0) || !(fixedBitsPerSecond >= 0)) {
    throw new RangeError("budget, floor and fixed shares must be ≥ 0 bits per second");
  }
  const capacity = Math.max(0, Math.floor((1 - reserveFraction) * budgetBitsPerSecond) - Math.ceil(fixedBitsPerSecond));
  // A stable order (by node name) makes the split a function of its inputs, whatever order they came in.
  const active = nodes.filter((node) => node.demandBitsPerSecond > 0 || node.members > 0).sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const shares = new Map<string, number>(nodes.map((node) => [node.node, 0]));
  const demandBitsPerSecond = active.reduce((sum, node) => sum + node.demandBitsPerSecond, 0);
  const floorBitsPerSecond = effectiveFloor(terms.floorBitsPerSecond, capacity, active.length);
  if (active.length === 0) return { shares, capacityBitsPerSecond: capacity, demandBitsPerSecond, floorsFit: true, floorBitsPerSecond };

  const items: FillItem[] = active.map((node) => {
    const cap = node.capBitsPerSecond ?? Infinity;
    const wanted = node.unbounded ? Infinity : Math.max(0, node.demandBitsPerSecond);
    const high = Math.min(cap, wanted);
    return { weight: Math.max(1, node.members), low: Math.min(floorBitsPerSecond, high), high };
  });
  const lowSum = items.reduce((sum, item) => sum + item.low, 0);
  const floorsFit = lowSum <= capacity;
  const fill = floorsFit ? waterFill(items, capacity).shares : waterFill(items.map((item) => ({ ...item, high: item.low, low: 0 })), capacity).shares;

  // Capacity left once every demand is met: to held-back nodes (they want more than they asked for).
  const left = capacity - fill.reduce((sum, share) => sum + share, 0);
  if (floorsFit && left > 0) {
    const wanting = active.flatMap((node, index) => (node.heldBack && (fill[index] ?? 0) < (node.capBitsPerSecond ?? Infinity) ? [index] : []));
    if (wanting.length > 0) {
      const extra = waterFill(
        wanting.map((index) => ({ weight: items[index]?.weight ?? 1, low: 0, high: (active[index]?.capBitsPerSecond ?? Infinity) - (fill[index] ?? 0) })),
        left,
      ).shares;
      wanting.forEach((index, position) => (fill[index] = (fill[index] ?? 0) + (extra[position] ?? 0)));
    }
  }
  active.forEach((node, index) => shares.set(node.node, fill[index] ?? 0));
  return { shares, capacityBitsPerSecond: capacity, demandBitsPerSecond, floorsFit, floorBitsPerSecond };
}
