/**
 * The simulator benchmark's readable report (bench/results/budgets-sim.md) from its JSON: the headline per
 * cluster size against the issue's goals, convergence by kind of shift, the fault checks, the API load,
 * the design comparisons, and what the model leaves out.
 */
import type { SimulationSummary } from "./summary.js";

export interface Comparison {
  name: string;
  why: string;
  summary: SimulationSummary;
}

export interface SimulatorReport {
  generatedAt: string;
  node: string;
  runs: SimulationSummary[];
  quiet: SimulationSummary[];
  comparisons: Comparison[];
  targets: Array<{ run: string; name: string; target: string; measured: string; met: boolean }>;
}

const cell = (value: unknown): string => (value === null || value === undefined ? "–" : String(value));
const row = (cells: unknown[]): string => `| ${cells.map(cell).join(" | ")} |`;

export function renderReport(report: SimulatorReport): string {
  const lines: string[] = [];
  const push = (...more: string[]): void => void lines.push(...more);
  push("# Cluster-wide budgets: the simulator", "");
  push(`${report.generatedAt}, Node ${report.node}. The REAL protocol code (src/budgets/: NodeProtocol in every agent, the Lease election and the Coordinator in the elected one) on a virtual clock against a model of the API server and of each node's datapath (lab/budgets-sim/; docs/cluster-budgets.md explains both). One run per row; seeds fixed, so a rerun gives the same numbers.`, "");
  push("## Against the goals", "", row(["run", "goal", "target", "measured", "verdict"]), row(["---", "---", "---", "---", "---"]));
  for (const target of report.targets) push(row([target.run, target.name, target.target, target.measured, target.met ? "met" : "**missed**"]));
  push("");

  push("## Per cluster size", "", row(["", ...report.runs.map((run) => `${run.nodes} nodes × ${run.budgets} budgets`)]), row(["---", ...report.runs.map(() => "---")]));
  const metric = (name: string, pick: (run: SimulationSummary) => unknown): void => push(row([name, ...report.runs.map(pick)]));
  metric("node–budget pairs (Pods of a budget on a node)", (run) => run.pairs);
  metric("demand shifts measured (clean; censored: next shift < 10 s later)", (run) => `${run.convergence.shifts} (censored ${run.censoredShifts})`);
  metric("convergence p50 / p90 / p99 / max (s)", (run) => `${run.convergence.p50Seconds} / ${run.convergence.p90Seconds} / ${run.convergence.p99Seconds} / ${run.convergence.maxSeconds}`);
  metric("shifts settled within 5 s", (run) => `${run.convergence.within5Seconds} of ${run.convergence.shifts} (${Math.round((100 * run.convergence.within5Seconds) / Math.max(1, run.convergence.shifts))}%)`);
  metric("max 1-s window after convergence, Σ sent / budget", (run) => `${run.maxOneSecondRatio} (${run.windowsAfterConvergenceAbove105} of ${run.windowsAfterConvergence} windows > 1.05)`);
  metric("max 1-s window anywhere after warm-up (transients, faults)", (run) => `${run.overshoot.maxAnyWindow} (${run.overshoot.windowsAbove105} of ${run.overshoot.windows} > 1.05)`);
  metric("max Σ shares enforced by kernels / budget: active nodes; with idle nodes' floors", (run) => `${run.enforcedShareRatio.activeNodes}; ${run.enforcedShareRatio.includingIdleFloors}`);
  metric("a node gaining a sender enforces ≥ min(floor, demand) at once", (run) => `${run.floorAtOnce.atFloorAtOnce} of ${run.floorAtOnce.gained} (unshaped: ${run.floorAtOnce.unshaped})`);
  metric("convergence of shifts during faults p50 / p99 (s)", (run) => `${run.convergenceDuringFaults.p50Seconds} / ${run.convergenceDuringFaults.p99Seconds}`);
  metric("API writes/s (mean after warm-up; peak second)", (run) => `${run.api.writesPerSecond} (${run.api.writesPerSecondPeak})`);
  metric("  agent reports / allocator status / budget status / Lease", (run) => Object.values(run.api.writesPerSecondByKind).join(" / "));
  metric("report writes per node per minute", (run) => run.api.reportWritesPerNodePerMinute);
  metric("watch events/s (mean; peak second)", (run) => `${run.api.watchEventsPerSecond} (${run.api.watchEventsPerSecondPeak})`);
  metric("  own object / allocator / budgets (×every agent)", (run) => Object.values(run.api.watchEventsPerSecondByKind).join(" / "));
  metric("reads/s: Lease GET / node GET / LIST", (run) => Object.values(run.api.readsPerSecondByKind).join(" / "));
  metric("simulated 600 s took (wall, s)", (run) => run.wallSeconds);
  push("");

  push("### Convergence by kind of shift (clean), p50 / p99 s (count)", "", row(["kind", ...report.runs.map((run) => `${run.nodes} nodes`)]), row(["---", ...report.runs.map(() => "---")]));
  const kinds = [...new Set(report.runs.flatMap((run) => Object.keys(run.convergenceByKind)))].sort();
  for (const kind of kinds) push(row([kind, ...report.runs.map((run) => { const stats = run.convergenceByKind[kind]; return stats ? `${stats.p50Seconds} / ${stats.p99Seconds} (${stats.shifts})` : "–"; })]));
  push("");

  push("## Faults", "", row(["fault", ...report.runs.map((run) => `${run.nodes} nodes`)]), row(["---", ...report.runs.map(() => "---")]));
  const faultNames = [...new Set(report.runs.flatMap((run) => run.faults.map((fault) => fault.name)))];
  for (const name of faultNames) {
    push(row([name, ...report.runs.map((run) => {
      const fault = run.faults.find((entry) => entry.name === name);
      if (!fault) return "–";
      const { name: _name, pass, ...details } = fault;
      return `${pass ? "pass" : "**FAIL**"}: ${Object.entries(details).map(([key, value]) => `${key} ${typeof value === "object" && value !== null ? JSON.stringify(value) : value}`).join(", ")}`;
    })]));
  }
  push("");

  if (report.quiet.length > 0) {
    push("## Baseline API load (no shifts, bursts or faults; the diurnal drift only)", "", row(["run", "writes/s (reports / allocator)", "reports per node per minute", "watch events/s"]), row(["---", "---", "---", "---"]));
    for (const run of report.quiet) push(row([`${run.nodes} nodes, drift period ${run.diurnalPeriodSeconds} s`, `${run.api.writesPerSecond} (${run.api.writesPerSecondByKind.agentReport} / ${run.api.writesPerSecondByKind.allocatorStatus})`, run.api.reportWritesPerNodePerMinute, run.api.watchEventsPerSecond]));
    push("");
  }

  if (report.comparisons.length > 0) {
    push("## Design choices, measured (same seed, same workload and faults)", "", row(["variant", "why it is not the default", "convergence p50 / p90 / p99 (s)", "max 1-s window anywhere", "Σ enforced / budget", "writes/s"]), row(["---", "---", "---", "---", "---", "---"]));
    for (const { name, why, summary } of report.comparisons) {
      push(row([name, why, `${summary.convergence.p50Seconds} / ${summary.convergence.p90Seconds} / ${summary.convergence.p99Seconds}`, summary.overshoot.maxAnyWindow, summary.enforcedShareRatio.activeNodes, summary.api.writesPerSecond]));
    }
    push("");
  }

  push("## What the model leaves out", "");
  push("- The datapath is exact: a node sends min(demand, share) at once (EDT holds a rate to ~0.5%: bench/results/e2e.md); no TCP ramp-up, no per-packet burstiness beyond the held-back threshold (demand > 0.98 × share).");
  push("- The API server is a latency/loss model (8 ms median requests; watch delays log-normal, 40 ms median, p99 ≈ 330 ms, delivered in order per stream, so the allocator's one stream of every node's events lags the tail of that (≈0.4 s median at 1,000 nodes); each stream stalled 2 s once a minute; 1% of writes lost, half of them applied with the response lost), not etcd: no priority and fairness, no request-size effects.");
  push("- Clocks do not drift; every agent samples every 500 ms at a random phase.");
  push("- Demand is a trace, not applications reacting to their share.");
  push("");
  return lines.join("\n");
}
