/**
 * Per-row retry backoff: a failed row is retried after 200 ms, doubling up to a cap (the resync interval),
 * and a change to the Pod resets it. Pure: the caller passes the clock.
 */
export interface BackoffState {
  failures: number;
  nextAttemptAt: number;
}

export const FIRST_RETRY_MS = 200;

export function nextBackoff(previous: BackoffState | undefined, nowMs: number, capMs: number): BackoffState {
  const failures = (previous?.failures ?? 0) + 1;
  const delay = Math.min(capMs, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 30));
  return { failures, nextAttemptAt: nowMs + delay };
}
