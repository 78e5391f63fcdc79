/**
 * The budget simulator end to end on a small cluster (the real protocol code on the virtual clock): the
 * goals hold under the standard faults, the same seed gives the same run, and the hand-over the protocol
 * uses is what keeps the sum within the budget (the "immediate" one, on the same trace, is not).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runSimulation, simulationDefaults, type SimulationOptions } from "./simulation.js";
import { summarize } from "./summary.js";

const small = (patch: Partial<SimulationOptions> = {}): SimulationOptions => ({ ...simulationDefaults(120), budgets: 12, ...patch });

describe("budget simulator (120 nodes × 12 budgets, 600 s, standard faults)", () => {
  const summary = summarize(runSimulation(small()));

  it("settles most shifts within 5 s, and every shift eventually", () => {
    assert.ok(summary.convergence.shifts > 50, `${summary.convergence.shifts} shifts measured`);
    assert.equal(summary.convergence.unsettled, 0);
    assert.ok(summary.convergence.within5Seconds >= 0.85 * summary.convergence.shifts, JSON.stringify(summary.convergence));
  });

  it("keeps every 1-s window after convergence within 1.05× of the budget, and the kernels' shares too", () => {
    assert.ok((summary.maxOneSecondRatio ?? Infinity) <= 1.05, String(summary.maxOneSecondRatio));
    assert.ok((summary.overshoot.maxAnyWindow ?? Infinity) <= 1.05, String(summary.overshoot.maxAnyWindow));
    assert.ok((summary.enforcedShareRatio.activeNodes ?? Infinity) <= 1.05, JSON.stringify(summary.enforcedShareRatio));
  });

  it("gives a node that gains a sender its floor at once, and passes every fault check", () => {
    assert.equal(summary.floorAtOnce.atFloorAtOnce, summary.floorAtOnce.gained);
    assert.deepEqual(summary.faults.filter((fault) => !fault.pass), []);
  });

  it("writes a few times per node per minute", () => {
    assert.ok((summary.api.reportWritesPerNodePerMinute ?? Infinity) < 15, String(summary.api.reportWritesPerNodePerMinute));
  });

  it("is deterministic: the same seed, the same run", () => {
    const again = summarize(runSimulation(small({ durationMs: 200_000, faults: { outage: null, leaderCrashes: [], agentCrashes: [], joins: [] } })));
    const twice = summarize(runSimulation(small({ durationMs: 200_000, faults: { outage: null, leaderCrashes: [], agentCrashes: [], joins: [] } })));
    assert.deepEqual({ ...again, wallSeconds: 0 }, { ...twice, wallSeconds: 0 });
  });
});
