/**
 * Moving shares between nodes without the sum passing the budget on the way, pure (docs/cluster-budgets.md,
 * "Hand-over"). Watch events reach nodes in any order: if node B's increase arrives before node A's decrease,
 * both enforce their larger value for a moment. So the allocator keeps, per node and budget, a book of the
 * shares it published that the node has not acknowledged yet; the node's *claim* is the largest of them —
 * the most it may be enforcing. Increases come only out of capacity that no claim holds:
 *
 *   decreases: published at once (the claim stays until the node reports appliedGeneration ≥ the decrease);
 *   increases: free up to the node's own claim, beyond it out of headroom = capacity − Σ claims, shared in
 *              proportion to what each asks when the headroom is short (the rest follows the acks; the
 *              plan says `waiting`, and the allocator asks the nodes it waits on to acknowledge soon —
 *              other decreases are acknowledged by the node's next report, saving a write each).
 *
 * So Σ claims ≤ capacity is kept whenever it held before (it may not after the budget was lowered: then
 * only decreases go out until it holds again). "immediate" publishes every target at once (for comparison).
 * Small changes (within `stickiness`) are not published, saving a write: keeping a smaller share is always
 * safe, keeping a larger one is safe while the claims fit (the claim already counts it) — and done only
 * while no increase needs the capacity it would free (then the largest small decreases go out, as many as
 * the increases need).
 */

export interface PublishedShare {
  generation: number;
  bitsPerSecond: number;
}

/** One node's book for one budget: published shares, oldest first; the last is the current one. */
export interface ShareBook {
  published: PublishedShare[];
  /** The node was asked to acknowledge soon (Allocation.acknowledge). */
  acknowledgeRequested?: boolean;
}

export type HandOverMode = "acknowledged" | "immediate";

export const currentOf = (book: ShareBook): PublishedShare => book.published[book.published.length - 1] ?? { generation: 0, bitsPerSecond: 0 };

export const claimOf = (book: ShareBook): number => book.published.reduce((max, share) => Math.max(max, share.bitsPerSecond), 0);

/**
 * A new leader's book from what the old one published: the node's status (current share and claim) and the
 * generation the node's report acknowledges. The claim stands for every share between the two, as one
 * entry that goes when the node acknowledges the current generation.
 */
export function bookFromPublished(current: PublishedShare, claimBitsPerSecond: number, acknowledgedGeneration: number, acknowledgeRequested = false): ShareBook {
  if (acknowledgedGeneration >= current.generation || claimBitsPerSecond <= current.bitsPerSecond) return { published: [current] };
  return { published: [{ generation: current.generation - 1, bitsPerSecond: claimBitsPerSecond }, current], acknowledgeRequested };
}

/** The node enforces generation `applied` or a later one: older entries can no longer be in force. */
export function acknowledge(book: ShareBook, applied: number): void {
  const keepFrom = book.published.findIndex((share) => share.generation >= applied);
  const from = keepFrom < 0 ? book.published.length - 1 : keepFrom;
  if (from > 0) book.published.splice(0, Math.min(from, book.published.length - 1));
}

export function publish(book: ShareBook, bitsPerSecond: number): PublishedShare {
  const share = { generation: currentOf(book).generation + 1, bitsPerSecond };
  book.published.push(share);
  return share;
}

export interface HandOverRequest {
  node: string;
  /** The split's share for the node (allocator.ts). */
  targetBitsPerSecond: number;
  book: ShareBook;
  /**
   * No increase below this (a node at its local floor, with no share yet, would enforce a smaller grant
   * instead of the floor it has: it waits until the grant reaches the floor, or its target).
   */
  minimumGrantBitsPerSecond?: number;
}

export interface HandOverPlan {
  /** The shares to publish now (only those that change); the caller publishes them into the books. */
  changes: Map<string, number>;
  /** Increases wait on acknowledgements: the nodes with unacknowledged decreases should report soon. */
  waiting: boolean;
}

export function planHandOver(capacity: number, requests: readonly HandOverRequest[], mode: HandOverMode, stickiness: number): HandOverPlan {
  const changes = new Map<string, number>();
  const claimSum = requests.reduce((sum, request) => sum + claimOf(request.book), 0);
  const small = (from: number, to: number): boolean => from > 0 && to > 0 && Math.abs(to - from) <= stickiness * Math.max(from, to);

  const increases: Array<{ request: HandOverRequest; current: number; claim: number }> = [];
  const smallDecreases: Array<{ node: string; target: number; frees: number }> = [];
  for (const request of requests) {
    const current = currentOf(request.book).bitsPerSecond;
    const target = request.targetBitsPerSecond;
    if (target < current) {
      if (small(current, target)) smallDecreases.push({ node: request.node, target, frees: current - target });
      else changes.set(request.node, target);
    } else if (target > current && !small(current, target)) {
      if (mode === "immediate") changes.set(request.node, target);
      else increases.push({ request, current, claim: claimOf(request.book) });
    }
  }
  const headroom = Math.max(0, capacity - claimSum);
  const needs = increases.map(({ request, claim }) => Math.max(0, request.targetBitsPerSecond - claim));
  const needSum = needs.reduce((sum, need) => sum + need, 0);
  // A small decrease is skipped only while nobody needs what it would free (and the claims fit):
  // otherwise an increase could wait forever on many decreases each too small to publish. Only as many
  // are published as the missing headroom needs, the largest first (each costs a write and an ack).
  if (claimSum > capacity) for (const { node, target } of smallDecreases) changes.set(node, target);
  else if (needSum > headroom) {
    let missing = needSum - headroom;
    smallDecreases.sort((a, b) => b.frees - a.frees);
    for (const { node, target, frees } of smallDecreases) {
      if (missing <= 0) break;
      changes.set(node, target);
      missing -= frees;
    }
  }

  const fraction = needSum <= headroom ? 1 : headroom / needSum;
  increases.forEach(({ request, current, claim }, index) => {
    const target = request.targetBitsPerSecond;
    const granted = target <= claim ? target : Math.min(target, claim + Math.floor((needs[index] ?? 0) * fraction));
    if (granted > current && granted >= Math.min(target, request.minimumGrantBitsPerSecond ?? 0)) changes.set(request.node, granted);
  });
  return { changes, waiting: needSum > headroom };
}
