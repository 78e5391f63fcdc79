/**
 * The allocator's rules for silent nodes, pure: a node whose last report arrived `expiryMs` ago is expired
 * and its share reclaimed — but only when the allocator itself has reached the API server without a break
 * for at least `expiryMs`. An API outage silences every node at once; without this condition it would look
 * like every node dying, and the allocator would hand their shares out twice when it came back.
 *
 * "Reached" means a successful request or watch event at least every `gapMs`: a gap longer than that
 * restarts the count. A single failed request among successes is not a break (writes are lost now and then;
 * resetting on each would postpone every expiry forever); an outage is a gap. The allocator renews its
 * Lease every 2 s, so a healthy allocator never has such a gap.
 */

export class ApiHealth {
  private continuousSinceMs: number | null = null;
  private lastSuccessMs = -Infinity;

  constructor(private readonly gapMs: number = 5000) {}

  succeeded(nowMs: number): void {
    if (this.continuousSinceMs === null || nowMs - this.lastSuccessMs > this.gapMs) this.continuousSinceMs = nowMs;
    this.lastSuccessMs = Math.max(this.lastSuccessMs, nowMs);
  }

  /** A failed request: not a break by itself (see above); the gap without successes is. */
  failed(): void {}

  /** How long the API has been reachable without a break, as of now (0 when it is not). */
  healthyForMs(nowMs: number): number {
    if (this.continuousSinceMs === null || nowMs - this.lastSuccessMs > this.gapMs) return 0;
    return nowMs - this.continuousSinceMs;
  }
}

/**
 * `lastReportMs` is when the allocator received the node's latest report — or when this allocator took over,
 * if later: a new leader gives every node a full expiry from its own start, never less.
 */
export function isExpired(nowMs: number, lastReportMs: number, health: ApiHealth, expiryMs: number): boolean {
  return nowMs - lastReportMs >= expiryMs && health.healthyForMs(nowMs) >= expiryMs;
}
