/**
 * The cost rows in one run (cost-rows.ts): one 1G-limited CUBIC stream from a Pod to the outside host per
 * mode, and the same stream unlimited, each with the test kernel's busy time around it. pacer's modes share
 * one Pod whose annotation is set once; single-timeline is the same agent restarted with
 * --flow-isolation=false (it adopts the limit without a gap). The reference plugin gets its own Pod.
 */
import { busySeconds, measureStream } from "../../measure/index.js";
import { EGRESS_BANDWIDTH, waitForLimit, type LabNode, type LabPod, type ManifestDirectory, type PodManifest } from "../../node/index.js";
import type { AgentControl } from "../agent-control.js";
import { costRow, relativeToNoLimit, type CostMode, type CostRow } from "./cost-rows.js";

export interface CostContext {
  node: LabNode;
  control: AgentControl;
  manifests: ManifestDirectory;
  manifestFor(pod: LabPod): PodManifest;
  seconds: number;
  log(line: string): void;
}

const LIMIT = 1_000_000_000;

export async function costScenarios(context: CostContext): Promise<CostRow[]> {
  const { node, control, manifests, seconds } = context;
  const measure = async (costMode: CostMode, pod: LabPod): Promise<CostRow> => {
    const before = await busySeconds();
    const outcome = await measureStream({ senderNetns: pod.netns, receiverNetns: node.outsideNetns, receiverIp: node.outsideIp, seconds, congestionControl: "cubic" });
    const cpuSeconds = (await busySeconds()) - before;
    const row = costRow(costMode, costMode === "no-limit" ? null : LIMIT, { seconds: outcome.iperf.seconds, bytes: (outcome.iperf.goodputBitsPerSec * outcome.iperf.seconds) / 8, cpuSeconds });
    context.log(`${row.scenario}: ${(row.goodputBitsPerSec / 1e6).toFixed(0)} Mbit/s, ${cpuSeconds.toFixed(2)} CPU s, ${row.cpuSecondsPerGB.toFixed(3)} s/GB`);
    return row;
  };

  const rows: CostRow[] = [];
  const pod = await node.addPod("cost");
  const manifest = context.manifestFor(pod);
  try {
    await manifests.write(manifest);
    rows.push(await measure("no-limit", pod));
    await manifests.write({ ...manifest, annotations: { [EGRESS_BANDWIDTH]: "1G" } });
    await waitForLimit(control.agent, pod.name, "egress", LIMIT);
    rows.push(await measure("per-flow", pod));
    await control.stop();
    await control.start(["--flow-isolation=false"]);
    await waitForLimit(control.agent, pod.name, "egress", LIMIT);
    rows.push(await measure("single-timeline", pod));
  } finally {
    await manifests.remove(manifest);
    await node.deletePod(pod.name);
    await control.stop();
    await control.start([]);
  }
  const reference = await node.addPod("cost-ref", { referenceLimits: { egressBitsPerSec: LIMIT } });
  try {
    rows.push(await measure("reference-cni", reference));
  } finally {
    await node.deletePod(reference.name);
  }
  return relativeToNoLimit(rows);
}
