/**
 * A node's demand for one budget, from the datapath's per-budget counters sampled every ~0.5 s, pure:
 *
 *   rate     = Δbytes·8 / Δt                       (in-scope bytes charged to the budget's timeline)
 *   heldBack = ΔdelayedPackets > 0                 (the timeline was ahead of now: demand above the share)
 *   demand   = heldBack ? max(rate, share)·1.25·2^k (probe up, BwE-style; k: probes of this held-back
 *                                                  spell that did not help — the share rose, the node is
 *                                                  still held back — so a node 3× short needs two rounds)
 *                       : 1.1·(peak rate over the last peakWindowMs)
 *   demand   = the floor on the first sample of a node with members (no rate yet); 0 without traffic.
 *   demand   = 0 at once when no selected Pod sent in the sample (activeMembers 0), whatever the peak: the
 *              node's senders stopped, and its share is better used elsewhere now than in 2 s (the peak
 *              window kept 1.1× the old peak that long: half of the 5-s settling goal). A sender that
 *              starts again gets the floor at once (node-shares.ts) and reports as a new sender.
 *   unbounded: the spell began within a peak window of gaining members (a new sender), or k reached 3
 *              (more than 10× short): it wants as much as it can get, and the allocator lets it rise
 *              with the level (allocator.ts). It lasts until the node is no longer held back.
 *
 * The floor is not a minimum demand: the allocator already gives every node min(floor, demand) at least,
 * and raising every small node's demand to the floor held capacity nobody used and, with floors that
 * follow the node count, made each floor change a report from every small node (bench/results/budgets-sim.md).
 * Why not unbounded at the first failed probe: an app a little short grabs the whole level, which every
 * other node gives up (and acknowledges), and hands it back a round later (bench/results/budgets-sim.md).
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
  // Long enough to carry a burst across two samples (500 ms apart), short enough that a calmer app frees
  // what it no longer uses within ~1 s. 2 s cost every calm and every burst's end a second of the 5-s
  // settling goal: on the simulator's workload, p99 after a burst's end 5.1 s -> 3.0 s, overall p99 at 1,000
  // nodes 6.9 -> 6.4 s (with the 500-ms increase spacing), writes/s 290 -> 305 (bench/results/budgets-sim.md).
  // (A stop no longer waits on it at all: no sender, no demand.)
  peakWindowMs: 1000,
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
  /** The share at the last probe of this held-back spell (null: not held back), and failed probes. */
  private spellShare: number | null = null;
  private failedProbes = 0;
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
      this.failedProbes = 0;
      this.spellUnbounded = false;
      this.estimate = { rateBitsPerSecond: 0, heldBack: false, unbounded: false, demandBitsPerSecond: members > 0 ? this.tuning.floorBitsPerSecond : 0, members };
      return this.estimate;
    }
    const rate = ((sample.bytes - previous.bytes) * 8 * 1000) / (sample.atMs - previous.atMs);
    if (members === 0) {
      // Nobody sent: no peak to carry (a burst across two samples has a member in each).
      this.rates.length = 0;
      this.spellShare = null;
      this.failedProbes = 0;
      this.spellUnbounded = false;
      this.estimate = { rateBitsPerSecond: rate, heldBack: false, unbounded: false, demandBitsPerSecond: 0, members };
      return this.estimate;
    }
    const heldBack = sample.delayedPackets > previous.delayedPackets;
    this.rates.push({ atMs: sample.atMs, bitsPerSecond: rate });
    while (this.rates.length > 0 && (this.rates[0]?.atMs ?? 0) <= sample.atMs - this.tuning.peakWindowMs) this.rates.shift();
    const peak = this.rates.reduce((max, entry) => Math.max(max, entry.bitsPerSecond), 0);

    if (!heldBack) (this.spellShare = null), (this.failedProbes = 0), (this.spellUnbounded = false);
    else {
      if (this.spellShare === null) this.spellShare = shareBitsPerSecond;
      else if (shareBitsPerSecond > this.spellShare * 1.05) (this.failedProbes += 1), (this.spellShare = shareBitsPerSecond);
      const gained = sample.atMs - this.membersRoseAtMs <= this.tuning.peakWindowMs;
      this.spellUnbounded ||= gained || this.failedProbes >= 3;
    }
    const probe = this.tuning.probeFactor * 2 ** Math.min(this.failedProbes, 3);
    const demand = heldBack ? Math.max(rate, shareBitsPerSecond) * probe : peak * this.tuning.headroomFactor;
    this.estimate = { rateBitsPerSecond: rate, heldBack, unbounded: this.spellUnbounded, demandBitsPerSecond: Math.round(demand), members };
    return this.estimate;
  }
}
