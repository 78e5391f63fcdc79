/**
 * A node's demand for one budget, from the datapath's per-budget counters sampled every ~0.5 s, pure:
 *
 *   rate     = Δbytes·8 / Δt                       (in-scope bytes charged to the budget's timeline)
 *   heldBack = ΔdelayedPackets > 0                 (the timeline was ahead of now: demand above the share)
 *   demand   = heldBack ? max(rate, share)·1.25    (probe up, BwE-style)
 *                       : 1.1·(peak rate over the last peakWindowMs)
 *   demand   = max(demand, floor) while the node has active members; 0 without members and traffic.
 *   unbounded: held back and the probe did not help — the node stayed held back after its share rose
 *              during this held-back spell — or the spell began within a peak window of gaining members
 *              (a new sender): it wants as much as it can get, and the allocator lets it rise with the
 *              level (allocator.ts). It lasts until the node is no longer held back.
 *
 * The counters are the kernel's cumulative u64s (the agent converts them to numbers; 2⁵³ bytes is 9 PB).
 * A counter that goes backwards (the budget's map entry was recreated) restarts the estimate.
 */

export interface BudgetCounterSample {
  atMs: number;
  /** Cumulative in-scope bytes charged to the budget on this node. */
  bytes: number;
  /** Cumulative packets the budget's timeline held back. */
  delayedPackets: number;
  /** Selected Pods on this node that sent in scope since the last sample. */
  activeMembers: number;
}

export interface EstimatorTuning {
  peakWindowMs: number;
  headroomFactor: number;
  probeFactor: number;
  floorBitsPerSecond: number;
}

export const DEFAULT_ESTIMATOR: Omit<EstimatorTuning, "floorBitsPerSecond"> = {
  // Short enough that a stop frees its share within ~2 s (the 5 s settling goal), long enough to carry a
  // burst across two samples.
  peakWindowMs: 2000,
  headroomFactor: 1.1,
  probeFactor: 1.25,
};

export interface DemandEstimate {
  rateBitsPerSecond: number;
  heldBack: boolean;
  unbounded: boolean;
  demandBitsPerSecond: number;
  members: number;
}

export class DemandEstimator {
  private last: BudgetCounterSample | null = null;
  private readonly rates: Array<{ atMs: number; bitsPerSecond: number }> = [];
  private estimate: DemandEstimate = { rateBitsPerSecond: 0, heldBack: false, unbounded: false, demandBitsPerSecond: 0, members: 0 };
  /** The share when the current held-back spell began (null: not held back). */
  private spellShare: number | null = null;
  private spellUnbounded = false;
  private lastMembers = 0;
  private membersRoseAtMs = -Infinity;

  constructor(private tuning: EstimatorTuning) {}

  /** The floor follows the budget's spec.minPerNode, which may be edited. */
  setFloor(floorBitsPerSecond: number): void {
    this.tuning = { ...this.tuning, floorBitsPerSecond };
  }

  get current(): DemandEstimate {
    return this.estimate;
  }

  /** One sample; `shareBitsPerSecond` is what the node enforced during the interval that just ended. */
  observe(sample: BudgetCounterSample, shareBitsPerSecond: number): DemandEstimate {
    const previous = this.last;
    this.last = sample;
    const members = sample.activeMembers;
    if (members > this.lastMembers) this.membersRoseAtMs = sample.atMs;
    this.lastMembers = members;
    if (previous === null || sample.atMs <= previous.atMs || sample.bytes < previous.bytes || sample.delayedPackets < previous.delayedPackets) {
      // First sample or a recreated counter: no rate yet; a node with members asks for its floor at least.
      this.rates.length = 0;
      this.spellShare = null;
      this.spellUnbounded = false;
      this.estimate = { rateBitsPerSecond: 0, heldBack: false, unbounded: false, demandBitsPerSecond: members > 0 ? this.tuning.floorBitsPerSecond : 0, members };
      return this.estimate;
    }
    const rate = ((sample.bytes - previous.bytes) * 8 * 1000) / (sample.atMs - previous.atMs);
    const heldBack = sample.delayedPackets > previous.delayedPackets;
    this.rates.push({ atMs: sample.atMs, bitsPerSecond: rate });
    while (this.rates.length > 0 && (this.rates[0]?.atMs ?? 0) <= sample.atMs - this.tuning.peakWindowMs) this.rates.shift();
    const peak = this.rates.reduce((max, entry) => Math.max(max, entry.bitsPerSecond), 0);

    if (!heldBack) (this.spellShare = null), (this.spellUnbounded = false);
    else {
      if (this.spellShare === null) this.spellShare = shareBitsPerSecond;
      const probeFailed = shareBitsPerSecond > this.spellShare * 1.05;
      const gained = sample.atMs - this.membersRoseAtMs <= this.tuning.peakWindowMs;
      this.spellUnbounded ||= probeFailed || gained;
    }
    let demand = heldBack ? Math.max(rate, shareBitsPerSecond) * this.tuning.probeFactor : peak * this.tuning.headroomFactor;
    if (members > 0) demand = Math.max(demand, this.tuning.floorBitsPerSecond);
    else if (peak === 0) demand = 0;
    this.estimate = { rateBitsPerSecond: rate, heldBack, unbounded: this.spellUnbounded, demandBitsPerSecond: Math.round(demand), members };
    return this.estimate;
  }
}
