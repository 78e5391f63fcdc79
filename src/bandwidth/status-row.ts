/**
 * One row per Pod and direction, as the reconciler sees it: what was asked, what is enforced, and why.
 * `pacer list`, the status API and the metrics all read these rows; only the reconciler writes them.
 */
import type { Direction, LimitCounters } from "../datapath/datapath.js";

export type RowState =
  /** The limit is in the kernel and equal to the annotation. */
  | "enforced"
  /** Waiting for something that will come (Pod IP, network namespace): retried. */
  | "pending"
  /** The annotation is invalid; `enforcedBitsPerSecond` is the last good limit, still enforced if any. */
  | "invalid"
  /** hostNetwork Pods share the node's interfaces and are not limited. */
  | "hostNetwork"
  /** The datapath refused; retried with backoff. */
  | "error"
  /** The manager is disabled, or this direction is not enforced on this node. */
  | "notEnforced";

export interface PodStatusRow {
  podKey: string;
  namespace: string;
  name: string;
  direction: Direction;
  /** The standard annotation's text as written, or null when the Pod has none for this direction. */
  requested: string | null;
  /** pacer's outside-cluster annotation's text, or null. */
  externalRequested: string | null;
  /** The limit on all traffic in the kernel now (bits/s), or null when none. */
  enforcedBitsPerSecond: number | null;
  /** The outside-cluster limit in the kernel now, or null. */
  enforcedExternalBitsPerSecond: number | null;
  /** Budgets (namespace/name) this direction is charged to in the kernel now. */
  budgets: string[];
  /** The datapath's identity for this row (IDENTITY in `pacer list`), or null when nothing is enforced. */
  identity: number | null;
  state: RowState;
  /** Why the row is in this state, in words an operator can act on; null when enforced as asked. */
  reason: string | null;
  /** ISO time the row entered this state. */
  since: string;
  /** Live counters from the datapath, when enforced. */
  counters: LimitCounters | null;
}
