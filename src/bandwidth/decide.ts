/**
 * The reconciler's decision for one row (a Pod and a direction), pure: what the Pod asks for (its two
 * annotations and the budgets that select it), what the datapath enforces and what the row remembers →
 * what to do, and the state and reason the row shows. reconciler.ts does what is decided (datapath calls,
 * Events, logs); this file never touches anything.
 *
 * Rules: a disabled manager removes the limit; a hostNetwork Pod is never limited; an invalid annotation
 * keeps its last good limit (the one this row enforced, or adopted from the datapath after a restart);
 * a row waiting for its retry is left as it is; otherwise the limits are ensured when they differ, when a
 * drift check asks for it, or when a retry is due.
 */
import type { AppliedLimit, Direction } from "../datapath/datapath.js";
import { invalidBandwidthMessage, LIMIT_KINDS, type LimitKind, type RequestedLimit } from "./annotations.js";
import { formatBitsPerSecond } from "./quantity.js";
import type { RowState } from "./status-row.js";

/** What one direction of a Pod asks for. */
export interface RowRequest {
  direction: Direction;
  /** The standard annotation (all traffic) and pacer's outside-cluster one; null when absent. */
  limits: Record<LimitKind, RequestedLimit | null>;
  /** Keys of the budgets that select the Pod for this direction (in the order they are charged). */
  budgets: string[];
}

/** What a row enforces: each kind's rate (null for none) and the budgets it is charged to. */
export interface RowTarget {
  bitsPerSecond: number | null;
  externalBitsPerSecond: number | null;
  budgets: string[];
}

export type LastGood = Record<LimitKind, number | null>;

export interface RowFacts {
  request: RowRequest;
  hostNetwork: boolean;
  /** What the datapath enforces for this row, as last listed or written. */
  applied: AppliedLimit | null;
  /** The last valid limit of each kind this row enforced. */
  lastGood: LastGood;
  /** null while the manager is enabled. */
  disabledReason: string | null;
  /** A drift check: ensure every enforced row, not only those that differ. */
  verifyAll: boolean;
  /** "waiting": a failure's backoff has not run out yet; "due": it has. */
  retry: "none" | "due" | "waiting";
}

/**
 * An invalid annotation to report (Event, metric, log) unless this value was reported already. A kind
 * whose annotation is valid forgets what it reported, so a later bad edit is reported again; a
 * hostNetwork Pod's annotations are never looked at.
 */
export interface InvalidReport {
  kind: LimitKind;
  value: string;
  message: string;
}

export interface RowView {
  state: RowState;
  reason: string | null;
}

export type RowDecision =
  /** A retry is not due yet: leave the row as it is. */
  | { action: "wait"; lastGood: LastGood; invalid: InvalidReport[] }
  /** Nothing to ensure: remove what is enforced when `remove` says why, then show `view`. */
  | { action: "settle"; remove: string | null; view: RowView; keepEnforced: boolean; lastGood: LastGood; invalid: InvalidReport[] }
  /** Make the datapath enforce `target`; `settled` is the view once it does. */
  | { action: "ensure"; target: RowTarget; upToDate: boolean; settled: RowView; lastGood: LastGood; invalid: InvalidReport[] };

const appliedRateOf = (applied: AppliedLimit | null, kind: LimitKind): number | null =>
  applied === null ? null : kind === "all" ? applied.bitsPerSecond : applied.externalBitsPerSecond;

export const sameTarget = (applied: AppliedLimit, target: RowTarget): boolean =>
  applied.bitsPerSecond === target.bitsPerSecond &&
  applied.externalBitsPerSecond === target.externalBitsPerSecond &&
  applied.budgets.length === target.budgets.length &&
  applied.budgets.every((key, index) => key === target.budgets[index]);

export function decideRow(facts: RowFacts): RowDecision {
  const { request, applied, disabledReason } = facts;
  // After a restart the datapath's limits are the last good ones until this run enforces others.
  const lastGood: LastGood = {
    all: facts.lastGood.all ?? appliedRateOf(applied, "all"),
    external: facts.lastGood.external ?? appliedRateOf(applied, "external"),
  };
  const removeIfApplied = (why: string): string | null => (applied ? why : null);
  const settle = (remove: string | null, view: RowView, keepEnforced: boolean, invalid: InvalidReport[]): RowDecision =>
    ({ action: "settle", remove, view, keepEnforced, lastGood, invalid });

  if (disabledReason !== null) {
    // A bad value is still reported, so it is fixed before the manager is enabled.
    const invalid = invalidReportsOf(request, { all: null, external: null });
    if (invalid.length > 0) {
      const view = { state: "invalid" as const, reason: `${joined(invalid)}; the bandwidth manager is off too: ${disabledReason}` };
      return settle(removeIfApplied("bandwidth manager disabled"), view, false, invalid);
    }
    return settle(removeIfApplied("bandwidth manager disabled"), { state: "notEnforced", reason: disabledReason }, false, []);
  }
  if (facts.hostNetwork) {
    const view = { state: "hostNetwork" as const, reason: "hostNetwork Pods share the node's interfaces and are not limited" };
    return settle(removeIfApplied("hostNetwork Pod"), view, false, []);
  }

  const invalid = invalidReportsOf(request, lastGood);
  const targetOf = (kind: LimitKind): number | null => {
    const limit = request.limits[kind];
    if (limit === null) return null;
    return limit.problem === null ? limit.bitsPerSecond : lastGood[kind];
  };
  const target: RowTarget = { bitsPerSecond: targetOf("all"), externalBitsPerSecond: targetOf("external"), budgets: request.budgets };
  if (target.bitsPerSecond === null && target.externalBitsPerSecond === null && target.budgets.length === 0) {
    return settle(removeIfApplied("no valid limit"), { state: "invalid", reason: invalid.length > 0 ? joined(invalid) : null }, false, invalid);
  }

  const settled: RowView = invalid.length === 0 ? { state: "enforced", reason: null } : { state: "invalid", reason: joined(invalid) };
  const upToDate = applied !== null && sameTarget(applied, target);
  if (upToDate && !facts.verifyAll && facts.retry === "none") return settle(null, settled, true, invalid);
  if (facts.retry === "waiting") return { action: "wait", lastGood, invalid };
  return { action: "ensure", target, upToDate, settled, lastGood, invalid };
}

const joined = (reports: InvalidReport[]): string => reports.map((report) => report.message).join("; ");

function invalidReportsOf(request: RowRequest, kept: LastGood): InvalidReport[] {
  return LIMIT_KINDS.flatMap((kind) => {
    const limit = request.limits[kind];
    if (limit === null || limit.problem === null) return [];
    return [{ kind, value: limit.requested, message: invalidBandwidthMessage(limit, limit.problem, kept[kind]) }];
  });
}

/** What came of trying to ensure a row's limits (reconciler.ts runs the attempt). */
export type EnsureAttempt =
  | { kind: "noAttachment"; podIp: string | null }
  | { kind: "noHostInterface"; podInterface: string }
  | { kind: "applied" }
  | { kind: "failed"; notFound: boolean; message: string };

/** The row's view after an ensure attempt. */
export function viewAfterEnsure(
  decision: Extract<RowDecision, { action: "ensure" }>,
  attempt: EnsureAttempt,
  direction: Direction,
  describeTarget: (target: RowTarget) => string,
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
      return { state: attempt.notFound ? "pending" : "error", reason: `apply ${describeTarget(decision.target)}: ${attempt.message}` };
  }
}

/** "limit 10M, outside-cluster limit 5M, budget ns/name" — what a row enforces, for logs and reasons. */
export function describeTarget(target: RowTarget): string {
  const parts: string[] = [];
  if (target.bitsPerSecond !== null) parts.push(`limit ${formatBitsPerSecond(target.bitsPerSecond)}`);
  if (target.externalBitsPerSecond !== null) parts.push(`outside-cluster limit ${formatBitsPerSecond(target.externalBitsPerSecond)}`);
  if (target.budgets.length > 0) parts.push(`budget${target.budgets.length > 1 ? "s" : ""} ${target.budgets.map((key) => key.split("/").slice(0, 2).join("/")).join(", ")}`);
  return parts.join(", ");
}
