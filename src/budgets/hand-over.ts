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
 * while no increase needs the capacity it would free (then chunks of up to `stickiness` of a share go out,
 * from as few nodes as the increases need, the largest first).
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
  /** The generation an empty book continues from (a budget that left the node and came back). */
  baseGeneration?: number;
}

export type HandOverMode = "acknowledged" | "immediate";

export const currentOf = (book: ShareBook): PublishedShare => book.published[book.published.length - 1] ?? { generation: book.baseGeneration ?? 0, bitsPerSecond: 0 };

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

/**
 * The node released the budget (BudgetReport.released): it enforces at most its floor for it, whatever it
 * was told, until an allocation answers that report — where a node with share 0 is (the reserve covers the
 * floor). So its share goes to 0 and every older entry of its book with it, at once: no decrease to wait
 * on. Returns whether a new share was published (the node must be told).
 */
export function release(book: ShareBook): boolean {
  const published = currentOf(book).bitsPerSecond > 0;
  if (published) publish(book, 0);
  book.published.splice(0, book.published.length - 1);
  book.acknowledgeRequested = false;
  return published;
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

/**
 * `borrowBitsPerSecond`: how far Σ claims may pass the capacity while decreases are not acknowledged yet —
 * increases may be granted ahead of those acks by that much. Σ of the shares published stays within the
 * capacity (every grant is at most its split target); only the worst case of a node that has not applied
 * its decrease yet while another applied its increase can reach capacity + borrow (the coordinator lends
 * half the reserve: bench/results/budgets-sim.md measures what it buys).
 */
export function planHandOver(capacity: number, requests: readonly HandOverRequest[], mode: HandOverMode, stickiness: number, borrowBitsPerSecond = 0): HandOverPlan {
  const changes = new Map<string, number>();
  const claimSum = requests.reduce((sum, request) => sum + claimOf(request.book), 0);
  const limit = capacity + borrowBitsPerSecond;
  const small = (from: number, to: number): boolean => from > 0 && to > 0 && Math.abs(to - from) <= stickiness * Math.max(from, to);

  const increases: Array<{ request: HandOverRequest; current: number; claim: number }> = [];
  // Nodes at or a little above their target, which could give a chunk: down to (1 − stickiness) of their
  // target (then within stickiness of it: no write for a while), `frees` in all.
  const givers: Array<{ node: string; current: number; target: number; chunk: number; frees: number }> = [];
  for (const request of requests) {
    const current = currentOf(request.book).bitsPerSecond;
    const target = request.targetBitsPerSecond;
    // (A node whose claim is above its share already frees that much on its ack: no chunk from it.)
    if (target <= current && target > 0 && (target === current || small(current, target)) && claimOf(request.book) <= current) {
      const chunk = Math.floor(target * (1 - stickiness));
      if (current - chunk > 0) givers.push({ node: request.node, current, target, chunk, frees: current - chunk });
    }
    if (target < current) {
      if (!small(current, target)) changes.set(request.node, target);
    } else if (target > current && !small(current, target)) {
      if (mode === "immediate") changes.set(request.node, target);
      else increases.push({ request, current, claim: claimOf(request.book) });
    }
  }
  const headroom = Math.max(0, limit - claimSum);
  const needs = increases.map(({ request, claim }) => Math.max(0, request.targetBitsPerSecond - claim));
  const needSum = needs.reduce((sum, need) => sum + need, 0);
  // A small decrease is skipped only while nobody needs what it would free (and the claims fit):
  // otherwise an increase could wait forever on many decreases each too small to publish. When one is
  // needed, the capacity comes in chunks of up to `stickiness` of a share from as few nodes as cover the
  // need, the largest first — in a budget of hundreds of nodes a fair-level change is a sliver of each
  // share, and taking it from every node would cost every node a write and an ack.
  if (claimSum > limit) {
    for (const { node, current, target } of givers) if (target < current) changes.set(node, target);
  } else if (needSum > headroom) {
    // What the acks already asked for will free: claims above the shares published (now or before).
    const pending = requests.reduce((sum, request) => sum + Math.max(0, claimOf(request.book) - (changes.get(request.node) ?? currentOf(request.book).bitsPerSecond)), 0);
    let missing = needSum - headroom - pending;
    givers.sort((a, b) => b.frees - a.frees);
    for (const { node, chunk, frees } of givers) {
      if (missing <= 0) break;
      changes.set(node, chunk);
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
