/**
 * Weighted water-filling, exact and pure: find the one water level λ at which
 *     Σᵢ clamp(λ·wᵢ, lowᵢ, highᵢ) = capacity
 * and give each item clamp(λ·wᵢ, lowᵢ, highᵢ) — every item rises with its weight from its low bound until
 * it reaches its high bound (its demand) or the capacity runs out. The result is weighted max-min fair: no
 * item is below the level while another is above it, unless the first is at its high bound.
 *
 * O(n log n): the level function is piecewise linear; its breakpoints (lowᵢ/wᵢ and highᵢ/wᵢ) are swept in
 * order. Shares are whole bits per second, rounded down, and never add up to more than the capacity.
 */

export interface FillItem {
  /** > 0; an item of weight 0 stays at its low bound. */
  weight: number;
  /** ≥ 0; the item starts here. */
  low: number;
  /** ≥ low; may be Infinity (the item takes whatever the level gives it). */
  high: number;
}

export interface Fill {
  shares: number[];
  /** The water level λ (share per unit of weight) of items between their bounds; Infinity when all are at high. */
  level: number;
}

/**
 * Fill `capacity` over `items`. When even the low bounds do not fit (Σ low > capacity), every item gets its
 * low bound — callers that must stay within capacity then fill the low bounds themselves (see allocator.ts).
 */
export function waterFill(items: readonly FillItem[], capacity: number): Fill {
  for (const item of items) {
    if (!(item.weight >= 0) || !(item.low >= 0) || !(item.high >= item.low)) {
      throw new RangeError(`water-fill item needs weight ≥ 0 and 0 ≤ low ≤ high, got ${JSON.stringify(item)}`);
    }
  }
  const lowSum = items.reduce((sum, item) => sum + item.low, 0);
  const highSum = items.reduce((sum, item) => sum + item.high, 0);
  if (lowSum >= capacity) return { shares: items.map((item) => Math.floor(item.low)), level: 0 };
  if (highSum <= capacity) return { shares: items.map((item) => Math.floor(item.high)), level: Infinity };

  // Breakpoints: at λ = low/w an item starts rising (slope += w), at λ = high/w it stops (slope −= w).
  const events: Array<{ at: number; slope: number }> = [];
  for (const item of items) {
    if (item.weight === 0 || item.high === item.low) continue;
    events.push({ at: item.low / item.weight, slope: item.weight });
    if (Number.isFinite(item.high)) events.push({ at: item.high / item.weight, slope: -item.weight });
  }
  events.sort((a, b) => a.at - b.at || a.slope - b.slope);

  let level = 0;
  let total = lowSum;
  let slope = 0;
  let found = Infinity;
  for (const event of events) {
    const reached = total + slope * (event.at - level);
    if (slope > 0 && reached >= capacity) {
      found = level + (capacity - total) / slope;
      break;
    }
    total = reached;
    level = event.at;
    slope += event.slope;
  }
  if (!Number.isFinite(found)) found = slope > 0 ? level + (capacity - total) / slope : level;

  const shares = items.map((item) => Math.floor(Math.min(item.high, Math.max(item.low, found * item.weight))));
  trimToCapacity(shares, items, capacity);
  return { shares, level: found };
}

/** Floating-point slack can leave Σ a few bits above capacity: take them from the largest shares above low. */
function trimToCapacity(shares: number[], items: readonly FillItem[], capacity: number): void {
  let excess = shares.reduce((sum, share) => sum + share, 0) - Math.floor(capacity);
  if (excess <= 0) return;
  const order = shares.map((_, index) => index).sort((a, b) => (shares[b] ?? 0) - (shares[a] ?? 0));
  for (const index of order) {
    if (excess <= 0) break;
    const room = (shares[index] ?? 0) - Math.ceil(items[index]?.low ?? 0);
    const take = Math.min(room, excess);
    if (take > 0) {
      shares[index] = (shares[index] ?? 0) - take;
      excess -= take;
    }
  }
}
