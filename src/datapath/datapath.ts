/**
 * The Datapath boundary: what the reconciler asks of the kernel, and nothing about how.
 *
 * Two implementations pass one conformance suite (conformance.ts): the EDT datapath (edt/, eBPF + fq on the
 * Pod's interface, docs/design.md, "Where the datapath sits") and the in-memory fake (fake.ts) used by reconciler tests and the
 * agent benchmark. Every operation is idempotent: applying what is already applied, or removing what is
 * already gone, succeeds.
 */

export type Direction = "egress" | "ingress";

/** Where a Pod's traffic can be shaped. */
export interface PodAttachment {
  /** Node-unique, stable for the Pod's lifetime: `<namespace>/<name>/<uid>`. */
  podKey: string;
  /** The Pod's network namespace as a path, e.g. /var/run/netns/cni-1234 or /proc/<pid>/ns/net. */
  netnsPath: string;
  /** The Pod's interface inside its namespace (egress is paced here), usually "eth0". */
  podInterface: string;
  /** The Pod's veth peer in the host namespace (ingress is paced on its egress), when known. */
  hostInterface?: string;
}

/** Which traffic a limit or budget counts: all of it, or only what goes to or comes from outside the cluster. */
export type Scope = "all" | "outside-cluster";

/** What one direction of a Pod is charged to; a packet leaves at the latest slot of them all. */
export interface LimitSpec {
  attachment: PodAttachment;
  direction: Direction;
  /** All traffic: exact integer bits per second on the wire, 1e3..1e15; null for none. */
  bitsPerSecond: number | null;
  /** Only traffic to (egress) or from (ingress) outside the cluster; null or absent for none. */
  externalBitsPerSecond?: number | null;
  /** Keys of budgets (ensureBudget) this direction is charged to, at most 4; absent for none. */
  budgets?: readonly string[];
}

/** A budget's share on this node: one timeline charged by every Pod that lists the budget. */
export interface BudgetShare {
  /** Node-unique key, e.g. `<namespace>/<name>/<uid>`; with the direction, one budget timeline. */
  key: string;
  direction: Direction;
  scope: Scope;
  /** This node's share, exact integer bits per second, 1e3..1e15. */
  bitsPerSecond: number;
  /**
   * A share the agent renews (cluster-wide budgets): after this many ms the datapath itself falls back to
   * `fallbackBitsPerSecond`, so a node whose agent died holds only its floor. Absent: never expires.
   */
  expiresInMs?: number;
  fallbackBitsPerSecond?: number;
}

export interface BudgetCounters {
  packets: number;
  bytes: number;
  /** Packets the budget held back: its timeline was ahead of now (demand above the share). */
  delayedPackets: number;
  horizonDrops: number;
}

export interface AppliedBudget {
  key: string;
  direction: Direction;
  /** The datapath's number for this budget timeline. */
  slot: number;
  scope: Scope;
  bitsPerSecond: number;
  /**
   * A share that expires (BudgetShare.expiresInMs): ms until the datapath falls back to
   * `fallbackBitsPerSecond`, read back from the kernel; 0 once it has (it enforces the fallback then).
   * Absent: never expires. An agent that restarts adopts what the kernel enforces, not the rate alone.
   */
  expiresInMs?: number;
  fallbackBitsPerSecond?: number;
  counters: BudgetCounters;
}

export interface LimitCounters {
  packets: number;
  bytes: number;
  /** Packets given a departure time in the future (paced). */
  delayedPackets: number;
  /** Packets dropped because their departure time was beyond the horizon. */
  horizonDrops: number;
  /** Packets CE-marked instead of queued further (ingress). */
  ecnMarks: number;
  /** Packets of flows with nothing pending that left at once (flow isolation). */
  bypassedPackets: number;
}

/** What the datapath enforces right now, read back from the kernel (or the fake's memory). */
export interface AppliedLimit {
  podKey: string;
  direction: Direction;
  /** Node-unique number of this Pod's shaping state, shown as IDENTITY in `pacer list`. */
  identity: number;
  bitsPerSecond: number | null;
  externalBitsPerSecond: number | null;
  budgets: string[];
  netnsPath: string;
  /** The interface carrying the program and qdisc for this direction. */
  interfaceName: string;
  counters: LimitCounters;
}

/** A piece the datapath had put in place that was found missing and was put back. */
export type RepairedPiece = "qdisc" | "program";

export interface EnsureResult {
  identity: number;
  /** Non-empty when someone removed what the datapath had installed (Event `Tampered`). */
  repaired: RepairedPiece[];
}

export interface Datapath {
  /** "edt" for the real datapath, "fake" for the in-memory one. */
  readonly kind: string;
  /** Make the kernel enforce `spec`: qdisc, program and rate. Idempotent; also repairs drift. */
  ensureLimit(spec: LimitSpec): Promise<EnsureResult>;
  /** Stop shaping and put back the qdisc that was replaced. Removing an absent limit succeeds. */
  removeLimit(podKey: string, direction: Direction): Promise<void>;
  /** Everything enforced now, including state adopted from a previous agent run. */
  listLimits(): Promise<AppliedLimit[]>;
  /** Make the kernel hold this budget share (a timeline Pods can be charged to). Idempotent. */
  ensureBudget(share: BudgetShare): Promise<{ slot: number }>;
  /** Remove a budget no Pod lists any more; removing an absent budget succeeds. */
  removeBudget(key: string, direction: Direction): Promise<void>;
  listBudgets(): Promise<AppliedBudget[]>;
  /** The prefixes inside the cluster (CIDR text, IPv4 and IPv6), replacing the previous set. */
  setInternalRanges(prefixes: readonly string[]): Promise<void>;
  internalRanges(): Promise<string[]>;
  /** Release handles; what is enforced in the kernel stays enforced (pinned). */
  close(): Promise<void>;
}

/** Errors the datapath throws carry a stable code so the reconciler can tell "retry later" from "bad". */
export class DatapathError extends Error {
  constructor(
    readonly code: DatapathErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DatapathError";
  }
}

export type DatapathErrorCode =
  /** The Pod's namespace or interface does not exist (yet, or any more): retry. */
  | "NOT_FOUND"
  /** The kernel refused (missing qdisc, verifier, permission): not worth a fast retry. */
  | "KERNEL_REFUSED"
  /** Arguments outside what the datapath accepts. */
  | "INVALID_ARGUMENT";
