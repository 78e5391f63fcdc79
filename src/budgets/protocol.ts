/**
 * The cluster-wide budget protocol's shared vocabulary: budget keys, the per-node report an agent writes
 * (BandwidthNode spec), the allocations the allocator writes back (BandwidthNode status), and the timings
 * every state machine in this folder agrees on. Pure data; docs/cluster-budgets.md explains the protocol.
 *
 * Units: rates are bits per second (JS numbers: exact up to 9·10¹⁵, above Kubernetes' 1P bound); times are
 * milliseconds of a monotonic clock passed in by the caller (nothing here reads a clock).
 */

export type BudgetDirection = "Egress" | "Ingress";

/**
 * One direction of one BandwidthBudget: `<namespace>/<name>/<uid>/<Egress|Ingress>` — src/budgets/budget.ts's
 * key (a recreated budget is another budget) and the direction.
 */
export type BudgetKey = string;

export const budgetKey = (namespace: string, name: string, uid: string, direction: BudgetDirection): BudgetKey => `${namespace}/${name}/${uid}/${direction}`;

export function parseBudgetKey(key: BudgetKey): { namespace: string; name: string; uid: string; direction: BudgetDirection } {
  const [namespace, name, uid, direction, ...rest] = key.split("/");
  if (!namespace || !name || !uid || (direction !== "Egress" && direction !== "Ingress") || rest.length > 0) {
    throw new RangeError(`budget key "${key}" is not <namespace>/<name>/<uid>/<Egress|Ingress>`);
  }
  return { namespace, name, uid, direction };
}

/** What one node says about one budget (an entry of BandwidthNode spec.budgets). */
export interface BudgetReport {
  /** The node's demand estimate (demand-estimator.ts). */
  demandBitsPerSecond: number;
  /** Selected Pods on the node that sent in scope recently: the node's weight. */
  members: number;
  /** The budget's timeline held packets back in the last sample: the node wants more than it has. */
  heldBack: boolean;
  /** Held back and a larger share did not help (or it just gained members): it wants all it can get. */
  unbounded: boolean;
  /** The generation of the allocation the node enforces (0: none yet). Acknowledges a decrease. */
  appliedGeneration: number;
  /**
   * No selected Pod sent in the last sample, and the node has capped the budget at min(floor, share) on its
   * own until an allocation answers this report (node-shares.ts): the allocator may drop the node's claim at
   * once, without waiting for the acknowledgement of a decrease (coordinator.ts). Absent: false.
   */
  released?: boolean;
}

/** BandwidthNode spec: written by the node's own agent only. */
export interface NodeReport {
  /** Increases with every write of this spec, across agent restarts (read back from the object). */
  reportSeq: number;
  /**
   * The agent trusts no allocation computed from a report older than this seq (after a restart or after
   * it was cut off): the allocator answers such a report even when no share changes. 0: no such request.
   */
  resyncFromSeq: number;
  budgets: Map<BudgetKey, BudgetReport>;
}

/** One budget's allocation to one node (an entry of BandwidthNode status.allocations). */
export interface Allocation {
  bitsPerSecond: number;
  /** Increases whenever bitsPerSecond changes for this node and budget; continues across leaders. */
  generation: number;
  /**
   * The most this node may still enforce: ≥ bitsPerSecond while a decrease is not acknowledged yet. A new
   * leader starts its books from it, so a hand-over never counts less than what is enforced.
   */
  claimBitsPerSecond: number;
  /**
   * The allocator waits on this node's acknowledgement (a report with appliedGeneration ≥ generation) to
   * give the share it freed to another node: report soon. Otherwise the next report acknowledges it.
   */
  acknowledge: boolean;
  /**
   * The floor the allocator uses for this budget now: spec.minPerNode, lowered to capacity/(2·active nodes)
   * when that is smaller (allocator.ts). The node asks for, falls back to and starts from this floor.
   */
  floorBitsPerSecond: number;
}

/** BandwidthNode status: written by the allocator only. */
export interface NodeAllocations {
  /** The report these allocations answer. */
  seenReportSeq: number;
  allocations: Map<BudgetKey, Allocation>;
}

/** What the agent writes into the kernel per budget (the datapath's budget config, see node-shares.ts). */
export interface KernelBudgetShare {
  bitsPerSecond: number;
  /** Monotonic time after which the kernel itself enforces fallbackBitsPerSecond (the agent stopped). */
  expiresAtMs: number;
  fallbackBitsPerSecond: number;
}

/** A ClusterWide budget's terms as the allocator uses them (from BandwidthBudget spec). */
export interface BudgetTerms {
  bitsPerSecond: number;
  /** spec.minPerNode: the floor every node with members gets; default budget/100. */
  floorBitsPerSecond: number;
}

export const defaultFloor = (budgetBitsPerSecond: number): number => Math.max(1000, Math.floor(budgetBitsPerSecond / 100));

/**
 * The protocol's timings. Their relations are what make it safe (protocol.test.ts checks them):
 * heartbeat < hold (an agent in contact never lets its share lapse), hold + margin ≤ expiry (the allocator
 * reclaims a silent node's share only after the node itself has fallen back to its floor).
 */
export interface ProtocolTimings {
  /** Agent: counters sampled this often. */
  sampleMs: number;
  /** Agent: reports written at most this often. */
  reportMinIntervalMs: number;
  /** Agent: a report is written at least this often, changed or not. */
  heartbeatMs: number;
  /** Agent: its share holds this long after its last successful report write, then it falls to the floor. */
  holdMs: number;
  /** Allocator: a node whose last report arrived this long ago is expired (when the API was reachable). */
  expiryMs: number;
  /** Allocator: splits every budget this often (and soon after a report changes). */
  allocateMs: number;
}

export const DEFAULT_TIMINGS: ProtocolTimings = {
  sampleMs: 500,
  reportMinIntervalMs: 1000,
  heartbeatMs: 30_000,
  // Three heartbeats: one lost heartbeat and a retrying agent never lapse; an API outage shorter than
  // hold − heartbeat (60 s) is invisible in every node's share.
  holdMs: 90_000,
  // 15 s beyond the hold: covers the report's trip to the allocator (watch delay) and the agent's
  // response delay, so a node is expired only after its kernel already fell back.
  expiryMs: 105_000,
  allocateMs: 1000,
};

/** Relations between timings that the protocol's guarantees need; returns what is wrong, if anything. */
export function timingProblems(timings: ProtocolTimings): string[] {
  const problems: string[] = [];
  if (timings.heartbeatMs * 2 > timings.holdMs) problems.push("holdMs must be at least two heartbeats, so one lost heartbeat does not drop the share");
  if (timings.holdMs + 5000 > timings.expiryMs) problems.push("expiryMs must exceed holdMs by ≥ 5 s, so a node is expired only after its kernel fell back");
  if (timings.reportMinIntervalMs > timings.heartbeatMs) problems.push("reportMinIntervalMs must be below heartbeatMs");
  return problems;
}
