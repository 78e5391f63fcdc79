/**
 * Scenarios that need no pacer: the unannotated Pod's throughput with pacer off (used alone only when the
 * agent cannot run; otherwise unlimited-comparison.ts interleaves off and on), and the reference CNI
 * `bandwidth` plugin (TBF on an IFB) with containerd's default burst at 10M, with ping under the Pod's own
 * load for CUBIC, BBR and 8 CUBIC streams — the baseline pacer is compared against.
 */
import type { LabNode } from "../node/index.js";
import { emptyRow, type E2eRow } from "./rows.js";
import { fillRow, measureMedianStream, measureStream } from "./stream.js";

export interface ScenarioContext {
  node: LabNode;
  seconds: number;
  log(line: string): void;
}

export async function unlimitedPacerOff(context: ScenarioContext): Promise<E2eRow> {
  const pod = await context.node.addPod("unlimited-off");
  try {
    const { outcome, note } = await measureMedianStream({ senderNetns: pod.netns, receiverNetns: context.node.outsideNetns, receiverIp: context.node.outsideIp, seconds: context.seconds }, 3);
    const row = fillRow(emptyRow("unlimited, pacer off", null), outcome);
    row.notes.push(note);
    return row;
  } finally {
    await context.node.deletePod(pod.name);
  }
}

/** A fresh Pod per run: containerd's burst (2^32-1 bits) takes ~430 s to refill at 10M. */
export async function referencePlugin(context: ScenarioContext, congestionControl: "cubic" | "bbr", limitBitsPerSec = 10_000_000, options: { parallel?: number } = {}): Promise<E2eRow> {
  const parallel = options.parallel ?? 1;
  const pod = await context.node.addPod(`reference-${congestionControl}${parallel > 1 ? `-p${parallel}` : ""}`, { referenceLimits: { egressBitsPerSec: limitBitsPerSec } });
  try {
    const outcome = await measureStream({
      senderNetns: pod.netns, receiverNetns: context.node.outsideNetns, receiverIp: context.node.outsideIp,
      seconds: context.seconds, congestionControl, pingDuringStream: true, parallel,
    });
    const flows = parallel > 1 ? `${parallel} ${congestionControl} streams` : congestionControl;
    const row = fillRow(emptyRow(`reference CNI bandwidth plugin ${limitBitsPerSec / 1e6}M (containerd burst), ${flows}`, limitBitsPerSec), outcome);
    row.notes.push("TBF on an IFB (the host-side veth's ingress mirrored): no fq, so fq counters do not apply");
    return row;
  } finally {
    await context.node.deletePod(pod.name);
  }
}
