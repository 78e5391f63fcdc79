/**
 * The allocator's knobs and their defaults, with the reasons; coordinator.ts uses them, and the simulator
 * (bench/results/budgets-sim.md) measures the alternatives on the same workload.
 */
import { DEFAULT_RESERVE_FRACTION } from "./allocator.js";
import { DEFAULT_SUMMARY } from "./budget-summary.js";
import type { HandOverMode } from "./hand-over.js";
import { DEFAULT_TIMINGS, type ProtocolTimings } from "./protocol.js";

/**
 * Which held-back nodes count as unbounded in the split (allocator.ts): "reported" believes every probe
 * (max(rate, share)·1.25, BwE's rule: one ×1.25 step per round, so a new backlogged sender needs ~15 rounds
 * from its floor to a third of the budget); "unbounded" believes none (one round to the fair share, but a
 * node whose demand drifts just above its share grabs the whole level and gives it back a round later);
 * "escalating" believes the first probe and lets the node rise with the level once the agent says the probe
 * did not help or it just gained members (BudgetReport.unbounded, demand-estimator.ts).
 * bench/results/budgets-sim.md compares the three.
 */
export type HeldBackDemand = "escalating" | "unbounded" | "reported";

export interface CoordinatorTuning {
  timings: ProtocolTimings;
  reserveFraction: number;
  heldBackDemand: HeldBackDemand;
  handOver: HandOverMode;
  /** Relative change below which an allocation is not rewritten. */
  stickiness: number;
  /**
   * A node's status gets a partial increase at most this often (decreases go at once: others wait on them;
   * an increase that reaches the target goes at once too: it is the last).
   */
  increaseIntervalMs: number;
  /** Fraction of the reserve the hand-over may lend to increases ahead of acknowledgements (hand-over.ts). */
  handOverBorrow: number;
  /** Ask for a decrease's acknowledgement at once whenever some node of the budget is held back. */
  acknowledgeWhenContended: boolean;
  summaryIntervalMs: number;
}

export const DEFAULT_COORDINATOR: CoordinatorTuning = {
  timings: DEFAULT_TIMINGS,
  reserveFraction: DEFAULT_RESERVE_FRACTION,
  heldBackDemand: "escalating",
  handOver: "acknowledged",
  stickiness: 0.02,
  // Half a second: a held-back node probing up takes a step per report (1 s apart); a 1-s spacing could
  // put a step's grant off by another second.
  increaseIntervalMs: 500,
  handOverBorrow: 0.5,
  acknowledgeWhenContended: true,
  summaryIntervalMs: DEFAULT_SUMMARY.minIntervalMs,
};

