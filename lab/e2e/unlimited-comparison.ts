/**
 * "The unannotated Pod keeps >= 80% of the throughput it has with pacer off", measured so that drift
 * cannot land on one side: the SAME unannotated Pod streams in off/on pairs in one phase, ABBA order
 * (paired-runs.ts). Off = the agent stopped and nothing of pacer on the Pod; on = the agent running with
 * the other Pods limited (netperf-server at 10M, checked before each on run). Every run is noted; the
 * verdict is the median of the per-pair ratios (rows.ts judge), threshold unchanged.
 */
import { waitForEgressLimit, type LabPod } from "../node/index.js";
import type { AgentControl } from "./agent-control.js";
import { egressFilters, rootQdiscKind } from "./lifecycle-scenarios.js";
import { abbaOrder, comparePairs, type PairRun } from "./paired-runs.js";
import { emptyRow, type E2eRow } from "./rows.js";
import { fillRow, measureStream, type StreamOutcome, type StreamPlan } from "./stream.js";

/** Pause after an agent (re)start before an "on" run. */
const AGENT_SETTLE_MS = 1000;

export interface UnlimitedComparisonPlan {
  control: AgentControl;
  /** The unannotated Pod (its manifest already in the agent's pods dir). */
  pod: LabPod;
  /** A limited Pod that must be enforced during every on run. */
  limitedPodName: string;
  limitedBitsPerSec: number;
  toOutside: Omit<StreamPlan, "senderNetns" | "seconds">;
  pairs: number;
  secondsPerRun: number;
  log(line: string): void;
}

/** What pacer has on a Pod's eth0: its root qdisc kind and whether a tc egress filter is attached. */
async function pacerFootprint(pod: LabPod): Promise<{ rootQdisc: string; egressFilter: boolean }> {
  return { rootQdisc: await rootQdiscKind(pod), egressFilter: (await egressFilters(pod)) !== "" };
}

/** Runs the pairs; returns the "unlimited, pacer off" and "unlimited, pacer on" rows. Leaves the agent running. */
export async function compareUnlimitedOffOn(plan: UnlimitedComparisonPlan): Promise<[E2eRow, E2eRow]> {
  const { control, pod } = plan;
  const pairs: PairRun[][] = [];
  const outcomes: Record<"off" | "on", StreamOutcome[]> = { off: [], on: [] };
  const runNotes: string[] = [];
  const footprints = new Set<string>();
  let stateChangeMs = 0;
  try {
    for (const order of abbaOrder(plan.pairs)) {
      const pair: PairRun[] = [];
      for (const state of order) {
        const changeStarted = performance.now();
        if (state === "off") await control.stop();
        else {
          const startedMs = await control.start();
          await waitForEgressLimit(control.agent, plan.limitedPodName, plan.limitedBitsPerSec);
          // A just-started agent is still warming up (node's JIT, first reconcile) on the one guest CPU: a
          // one-off cost at agent start, not what an unannotated Pod sees while pacer runs.
          if (startedMs > 0) await new Promise((resolve) => setTimeout(resolve, AGENT_SETTLE_MS));
        }
        stateChangeMs += performance.now() - changeStarted;
        const footprint = await pacerFootprint(pod);
        footprints.add(`${footprint.rootQdisc}${footprint.egressFilter ? "+filter" : ""}`);
        const agentCpuBefore = await control.cpuSeconds();
        const outcome = await measureStream({ ...plan.toOutside, senderNetns: pod.netns, seconds: plan.secondsPerRun });
        const agentCpuAfter = await control.cpuSeconds();
        outcomes[state].push(outcome);
        pair.push({ state, bitsPerSec: outcome.iperf.goodputBitsPerSec });
        const agentCpu = agentCpuBefore === null || agentCpuAfter === null ? "" : ` (agent CPU ${(agentCpuAfter - agentCpuBefore).toFixed(2)} s)`;
        runNotes.push(`${state} ${(outcome.iperf.goodputBitsPerSec / 1e6).toFixed(0)}${agentCpu}`);
      }
      pairs.push(pair);
      plan.log(`unlimited pair ${pairs.length}: ${runNotes.slice(-2).join(", ")} Mbit/s`);
    }
  } finally {
    await control.start();
  }
  const comparison = comparePairs(pairs);
  const medianOutcome = (state: "off" | "on", target: number): StreamOutcome =>
    outcomes[state].reduce((best, outcome) => (Math.abs(outcome.iperf.goodputBitsPerSec - target) < Math.abs(best.iperf.goodputBitsPerSec - target) ? outcome : best));
  const offRow = fillRow(emptyRow("unlimited, pacer off", null), medianOutcome("off", comparison.medianOffBitsPerSec));
  const onRow = fillRow(emptyRow("unlimited, pacer on", null), medianOutcome("on", comparison.medianOnBitsPerSec));
  // The table shows each side's median; the per-second note above is of the run nearest that median.
  offRow.goodputBitsPerSec = comparison.medianOffBitsPerSec;
  onRow.goodputBitsPerSec = comparison.medianOnBitsPerSec;
  const common = `${plan.pairs} off/on pairs of ${plan.secondsPerRun} s streams of the same unannotated Pod, ABBA order, in one phase`;
  offRow.notes.push(`${common}; off = agent stopped; median of the off runs; CPU-bound on one guest CPU`);
  onRow.notes.push(`${common}; on = agent running, ${plan.limitedPodName} enforced at ${plan.limitedBitsPerSec / 1e6}M (${AGENT_SETTLE_MS} ms settle after a restart); median of the on runs`);
  onRow.notes.push(`every run in order (Mbit/s): ${runNotes.join(", ")}`);
  onRow.notes.push(`per-pair on/off ratios: ${comparison.ratios.map((ratio) => ratio.toFixed(3)).join(" ")}; median ${comparison.medianRatio.toFixed(3)}; agent stop/start took ${(stateChangeMs / 1000).toFixed(1)} s in all`);
  const untouched = [...footprints].every((footprint) => !footprint.startsWith("fq") && !footprint.includes("+filter"));
  onRow.notes.push(`${untouched ? "PASS" : "FAIL"}: nothing of pacer on the unannotated Pod in any run (eth0 root qdisc seen: ${[...footprints].join(", ")})`);
  onRow.pairedRatios = comparison.ratios;
  return [offRow, onRow];
}
