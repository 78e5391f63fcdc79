/**
 * The reconciler's decision for one row (a Pod and a direction), pure: what the Pod asks for, what the
 * datapath enforces and what the row remembers → what to do, and the state and reason the row shows.
 * reconciler.ts does what is decided (datapath calls, Events, logs); this file never touches anything.
 *
 * Rules: a disabled manager removes the limit; a hostNetwork Pod is never limited; an invalid annotation
 * keeps the last good limit (the one this row enforced, or adopted from the datapath after a restart);
 * a row waiting for its retry is left as it is; otherwise the limit is ensured when it differs, when a
 * drift check asks for it, or when a retry is due.
 */
import type { AppliedLimit, Direction } from "../datapath/datapath.js";
import { invalidBandwidthMessage, type RequestedLimit } from "./annotations.js";
import type { RowState } from "./status-row.js";

export interface RowFacts {
  requested: RequestedLimit;
  hostNetwork: boolean;
  /** What the datapath enforces for this row, as last listed or written. */
  applied: AppliedLimit | null;
  /** The last valid limit this row enforced, or null. */
  lastGood: number | null;
  /** null while the manager is enabled. */
  disabledReason: string | null;
  /** A drift check: ensure every enforced row, not only those that differ. */
  verifyAll: boolean;
  /** "waiting": a failure's backoff has not run out yet; "due": it has. */
  retry: "none" | "due" | "waiting";
}

/**
 * An invalid annotation to report (Event, metric, log) unless this value was reported already. A row whose
 * annotation is valid forgets what it reported, so a later bad edit is reported again; a hostNetwork Pod's
 * annotation is never looked at.
 */
export interface InvalidReport {
  value: string;
  message: string;
}

export interface RowView {
  state: RowState;
  reason: string | null;
}

export type RowDecision =
  /** A retry is not due yet: leave the row as it is. */
  | { action: "wait"; lastGood: number | null; invalid: InvalidReport | null }
  /** Nothing to ensure: remove what is enforced when `remove` says why, then show `view`. */
  | { action: "settle"; remove: string | null; view: RowView; keepEnforced: boolean; lastGood: number | null; invalid: InvalidReport | null }
  /** Make the datapath enforce `bitsPerSecond`; `settled` is the view once it does. */
  | { action: "ensure"; bitsPerSecond: number; upToDate: boolean; settled: RowView; lastGood: number | null; invalid: InvalidReport | null };

export function decideRow(facts: RowFacts): RowDecision {
  const { requested, applied, disabledReason } = facts;
  const { direction } = requested;
  // After a restart the datapath's limit is the last good one until this run enforces another.
  const lastGood = facts.lastGood ?? applied?.bitsPerSecond ?? null;
  const removeIfApplied = (why: string): string | null => (applied ? why : null);

  if (disabledReason !== null) {
    if (requested.problem !== null) {
      // A bad value is still reported, so it is fixed before the manager is enabled.
      const message = invalidBandwidthMessage(direction, requested.requested, requested.problem, null);
      const view = { state: "invalid" as const, reason: `${message}; the bandwidth manager is off too: ${disabledReason}` };
      return settle(removeIfApplied("bandwidth manager disabled"), view, false, lastGood, { value: requested.requested, message });
    }
    return settle(removeIfApplied("bandwidth manager disabled"), { state: "notEnforced", reason: disabledReason }, false, lastGood, null);
  }
  if (facts.hostNetwork) {
    const view = { state: "hostNetwork" as const, reason: "hostNetwork Pods share the node's interfaces and are not limited" };
    return settle(removeIfApplied("hostNetwork Pod"), view, false, lastGood, null);
  }

  const invalid = invalidReportOf(requested, lastGood);
  const target = requested.problem === null ? requested.bitsPerSecond : lastGood;
  if (target === null) return settle(removeIfApplied("no valid limit"), { state: "invalid", reason: invalid?.message ?? null }, false, lastGood, invalid);

  const settled: RowView = invalid === null ? { state: "enforced", reason: null } : { state: "invalid", reason: invalid.message };
  const upToDate = applied !== null && applied.bitsPerSecond === target;
  if (upToDate && !facts.verifyAll && facts.retry === "none") return settle(null, settled, true, lastGood, invalid);
  if (facts.retry === "waiting") return { action: "wait", lastGood, invalid };
  return { action: "ensure", bitsPerSecond: target, upToDate, settled, lastGood, invalid };
}

function settle(remove: string | null, view: RowView, keepEnforced: boolean, lastGood: number | null, invalid: InvalidReport | null): RowDecision {
  return { action: "settle", remove, view, keepEnforced, lastGood, invalid };
}

function invalidReportOf(requested: RequestedLimit, kept: number | null): InvalidReport | null {
  if (requested.problem === null) return null;
  return { value: requested.requested, message: invalidBandwidthMessage(requested.direction, requested.requested, requested.problem, kept) };
}

/** What came of trying to ensure a row's limit (reconciler.ts runs the attempt). */
export type EnsureAttempt =
  | { kind: "noAttachment"; podIp: string | null }
  | { kind: "noHostInterface"; podInterface: string }
  | { kind: "applied" }
  | { kind: "failed"; notFound: boolean; message: string };

/** The row's view after an ensure attempt, and whether it shows what was enforced before the attempt. */
export function viewAfterEnsure(
  decision: Extract<RowDecision, { action: "ensure" }>,
  attempt: EnsureAttempt,
  direction: Direction,
  formatLimit: (bitsPerSecond: number) => string,
): RowView {
  const { settled, upToDate } = decision;
  switch (attempt.kind) {
    case "applied":
      return settled;
    case "noAttachment":
      return upToDate ? settled : { state: "pending", reason: `waiting for the Pod's network namespace (Pod IP ${attempt.podIp ?? "not assigned yet"})` };
    case "noHostInterface":
      // Ingress is paced on the host-side veth (docs/design.md, "Where the datapath sits"): without it
      // there is nothing to shape.
      return upToDate
        ? settled
        : { state: "pending", reason: `the Pod's host-side veth peer of ${attempt.podInterface} was not found in the agent's network namespace; ${direction} is paced there` };
    case "failed":
      return { state: attempt.notFound ? "pending" : "error", reason: `apply ${formatLimit(decision.bitsPerSecond)}: ${attempt.message}` };
  }
}
