/**
 * The latency-isolation scenarios in one run (issue 12): pacer with flow isolation, the same agent with one
 * timeline per Pod (--flow-isolation=false), and the reference CNI plugin, each idle and under load (plan.ts).
 * pacer's runs share one Pod whose annotation the runs edit; the reference plugin gets a fresh Pod per run
 * (containerd's burst takes minutes to refill). The idle run of each group gives the loaded runs their
 * idleP99Ms.
 */
import {
  EGRESS_BANDWIDTH, hostVethName, INGRESS_BANDWIDTH, runTool, waitForLimit, type LabNode, type LabPod, type ManifestDirectory,
  type PodManifest,
} from "../../node/index.js";
import type { AgentControl } from "../agent-control.js";
import type { LatencyRow } from "../rows.js";
import { measureLatencyRun, type RunPlace } from "./measure-run.js";
import { latencyPlan, type LatencyRun } from "./plan.js";

export interface LatencyContext {
  node: LabNode;
  control: AgentControl;
  manifests: ManifestDirectory;
  manifestFor(pod: LabPod): PodManifest;
  seconds: number;
  reduced: boolean;
  log(line: string): void;
}

const M = 1_000_000;
const groupOf = (run: LatencyRun): string => `${run.mode} ${run.direction} ${run.limitBitsPerSec}`;

/** The remote end asks for ECN (the Pod opens every connection), so ingress can mark instead of dropping. */
const requestEcn = (pod: LabPod) => runTool("sysctl", ["-q", "-w", "net.ipv4.tcp_ecn=1"], { netns: pod.netns });

export async function* latencyScenarios(context: LatencyContext): AsyncGenerator<LatencyRow[]> {
  const plan = latencyPlan({ reduced: context.reduced });
  const idle = new Map<string, Map<string, number | null>>();
  const withIdle = (run: LatencyRun, rows: LatencyRow[]): LatencyRow[] => {
    const key = groupOf(run);
    if (run.bulk === null) idle.set(key, new Map(rows.map((row) => [row.probe, row.p99Ms])));
    return rows.map((row) => ({ ...row, idleP99Ms: idle.get(key)?.get(row.probe) ?? null }));
  };

  const pod = await context.node.addPod("latency");
  const manifest = context.manifestFor(pod);
  try {
    await requestEcn(pod);
    for (const mode of ["per-flow", "single-timeline"] as const) {
      const runs = plan.filter((run) => run.mode === mode);
      if (runs.length === 0) continue;
      await context.control.stop();
      await context.control.start(mode === "per-flow" ? [] : ["--flow-isolation=false"]);
      for (const run of runs) {
        const annotation = run.direction === "egress" ? EGRESS_BANDWIDTH : INGRESS_BANDWIDTH;
        await context.manifests.write({ ...manifest, annotations: { [annotation]: `${run.limitBitsPerSec / M}M` } });
        await waitForLimit(context.control.agent, pod.name, run.direction, run.limitBitsPerSec);
        const place: RunPlace = {
          node: context.node, pod,
          shapedAt: run.direction === "egress" ? { netns: pod.netns, dev: "eth0" } : { netns: context.node.netns, dev: hostVethName(pod.cniResult, context.node.bridgeName) },
        };
        yield withIdle(run, await measureLatencyRun(run, place, context.seconds));
      }
    }
  } finally {
    await context.manifests.remove(manifest);
    await context.node.deletePod(pod.name);
    await context.control.stop();
    await context.control.start([]);
  }

  for (const run of plan.filter((candidate) => candidate.mode === "reference-cni")) {
    const limits = run.direction === "egress" ? { egressBitsPerSec: run.limitBitsPerSec } : { ingressBitsPerSec: run.limitBitsPerSec };
    const reference = await context.node.addPod(`latency-ref-${run.direction}`, { referenceLimits: limits });
    try {
      await requestEcn(reference);
      // Egress is shaped on the plugin's IFB (the host veth's ingress redirected), ingress on the host veth.
      const dev = run.direction === "egress"
        ? reference.cniResult.interfaces?.find((candidate) => candidate.name.startsWith("bwp"))?.name
        : hostVethName(reference.cniResult, context.node.bridgeName);
      if (dev === undefined) throw new Error(`reference pod ${reference.name}: the bandwidth plugin's IFB is not in the CNI result`);
      yield withIdle(run, await measureLatencyRun(run, { node: context.node, pod: reference, shapedAt: { netns: context.node.netns, dev } }, context.seconds));
    } finally {
      await context.node.deletePod(reference.name);
    }
  }
}
