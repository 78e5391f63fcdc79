/**
 * The latency-isolation runs (issue 12), pure: for each mode (pacer with flow isolation, pacer with one
 * timeline, the reference CNI plugin), direction and limit, the same light probes (netperf TCP_RR and ping)
 * idle and under 1, 8 and 128 bulk TCP streams of CUBIC and BBR, and one UDP bulk sender at twice the limit.
 */
export type LatencyMode = "per-flow" | "single-timeline" | "reference-cni";
export type Direction = "egress" | "ingress";

export interface BulkLoad {
  flows: number;
  protocol: "tcp" | "udp";
  /** TCP congestion control; null for UDP. */
  cc: "cubic" | "bbr" | null;
}

export interface LatencyRun {
  mode: LatencyMode;
  direction: Direction;
  limitBitsPerSec: number;
  /** null: the probes alone (the idle baseline of this mode, direction and limit). */
  bulk: BulkLoad | null;
}

const M = 1_000_000;
const TCP_LOADS: BulkLoad[] = [1, 8, 128].flatMap((flows) => (["cubic", "bbr"] as const).map((cc) => ({ flows, protocol: "tcp" as const, cc })));
const UDP_AT_TWICE: BulkLoad = { flows: 1, protocol: "udp", cc: null };

/** Every run, idle first in each group (its p99 is the baseline of the group's loaded runs). */
export function latencyPlan(options: { reduced: boolean }): LatencyRun[] {
  if (options.reduced) {
    // The proof in every test run: isolation at 10M under 8 CUBIC streams, next to one timeline.
    return (["per-flow", "single-timeline"] as const).flatMap((mode) => [
      { mode, direction: "egress" as const, limitBitsPerSec: 10 * M, bulk: null },
      { mode, direction: "egress" as const, limitBitsPerSec: 10 * M, bulk: { flows: 8, protocol: "tcp" as const, cc: "cubic" as const } },
    ]);
  }
  const runs: LatencyRun[] = [];
  for (const mode of ["per-flow", "single-timeline", "reference-cni"] as const) {
    for (const limitBitsPerSec of [10 * M, 100 * M]) {
      const loads = mode === "reference-cni" ? TCP_LOADS.filter((load) => load.flows !== 128) : TCP_LOADS;
      runs.push({ mode, direction: "egress", limitBitsPerSec, bulk: null });
      for (const bulk of [...loads, UDP_AT_TWICE]) runs.push({ mode, direction: "egress", limitBitsPerSec, bulk });
    }
    runs.push({ mode, direction: "ingress", limitBitsPerSec: 10 * M, bulk: null });
    for (const flows of [1, 8]) runs.push({ mode, direction: "ingress", limitBitsPerSec: 10 * M, bulk: { flows, protocol: "tcp", cc: "cubic" } });
  }
  return runs;
}

/** A run's scenario name, e.g. "latency per-flow egress 10M, 8 cubic streams" (pure). */
export function latencyScenarioName(run: LatencyRun): string {
  const load =
    run.bulk === null
      ? "idle"
      : run.bulk.protocol === "udp"
        ? `UDP at ${(2 * run.limitBitsPerSec) / M}M`
        : `${run.bulk.flows} ${run.bulk.cc} stream${run.bulk.flows > 1 ? "s" : ""}`;
  return `latency ${run.mode} ${run.direction} ${run.limitBitsPerSec / M}M, ${load}`;
}
