/**
 * Ingress end to end: a Pod receives one TCP stream from the outside host (iperf3 -R from the Pod, so the
 * outside sends through the node's masquerade). pacer paces it with EDT + fq on the Pod's host-side veth
 * (docs/design.md, "Where the datapath sits": that veth's egress carries traffic into the Pod), CE-marking ECN-capable packets
 * before they queue too long; the reference CNI bandwidth plugin puts a TBF on the same veth.
 *
 * ECN: the Pod opens the connection, so it asks for ECN (net.ipv4.tcp_ecn=1 in its netns); the outside host
 * keeps Linux's default 2 (accept when asked).
 */
import { readQdiscStats, type QdiscStats } from "../measure/index.js";
import {
  findAgentRow, hostVethName, INGRESS_BANDWIDTH, runTool, waitForLimit, type LabNode, type LabPod, type ManifestDirectory, type PodManifest,
} from "../node/index.js";
import type { AgentControl } from "./agent-control.js";
import { emptyRow, type E2eRow } from "./rows.js";
import { fillRow, measureStream, type StreamPlan } from "./stream.js";

const M = 1_000_000;

/** The stream into `pod` from the outside host, ping from the Pod out during it, qdisc read on the host veth. */
function intoPod(node: LabNode, pod: LabPod, seconds: number, hostVeth: string): StreamPlan {
  return {
    senderNetns: node.outsideNetns, senderIp: node.outsideIp, receiverNetns: pod.netns, receiverIp: pod.ip, reverse: true,
    seconds, congestionControl: "cubic", pingDuringStream: true, pingFrom: { netns: pod.netns, target: node.outsideIp },
    qdiscAt: { netns: node.netns, dev: hostVeth },
  };
}

const rootOf = (qdiscs: QdiscStats[]): QdiscStats | undefined => qdiscs.find((qdisc) => qdisc.root);

async function rootQdiscNote(node: LabNode, hostVeth: string, before: QdiscStats | undefined): Promise<string> {
  const after = rootOf(await readQdiscStats(node.netns, hostVeth));
  const drops = after?.drops === null || after?.drops === undefined ? "?" : String(after.drops - (before?.drops ?? 0));
  return `host-side veth ${hostVeth}: root qdisc ${after?.kind ?? "none"}, ${drops} qdisc drops during the stream`;
}

async function requestEcn(pod: LabPod): Promise<void> {
  await runTool("sysctl", ["-q", "-w", "net.ipv4.tcp_ecn=1"], { netns: pod.netns });
}

export interface PacerIngressPlan {
  node: LabNode;
  control: AgentControl;
  manifests: ManifestDirectory;
  /** A manifest for a new Pod on the node (name, uid, IP filled in by the caller's helper). */
  manifestFor(pod: LabPod): PodManifest;
  seconds: number;
}

export async function pacerIngress(plan: PacerIngressPlan, limitBitsPerSec = 10 * M): Promise<E2eRow> {
  const { node, control } = plan;
  const pod = await node.addPod("ingress-pacer");
  const manifest: PodManifest = { ...plan.manifestFor(pod), annotations: { [INGRESS_BANDWIDTH]: `${limitBitsPerSec / M}M` } };
  try {
    await requestEcn(pod);
    const hostVeth = hostVethName(pod.cniResult, node.bridgeName);
    await plan.manifests.write(manifest);
    const applyMs = await waitForLimit(control.agent, pod.name, "ingress", limitBitsPerSec);
    const countersBefore = findAgentRow(await control.agent.list(), pod.name, "ingress")?.counters ?? null;
    const qdiscBefore = rootOf(await readQdiscStats(node.netns, hostVeth));
    const outcome = await measureStream(intoPod(node, pod, plan.seconds, hostVeth));
    const countersAfter = findAgentRow(await control.agent.list(), pod.name, "ingress")?.counters ?? null;
    const row = fillRow(emptyRow(`pacer ingress ${limitBitsPerSec / M}M, cubic`, limitBitsPerSec), outcome);
    const delta = (key: "ecnMarks" | "delayedPackets" | "horizonDrops" | "packets"): string => {
      const after = countersAfter?.[key];
      return typeof after === "number" ? String(after - (countersBefore?.[key] ?? 0)) : "not reported";
    };
    row.notes.push(`limit enforced ${applyMs.toFixed(0)} ms after the manifest was written; EDT + fq on the host-side veth ${hostVeth}`);
    row.notes.push(`pacer list ingress counters during the stream: ${delta("ecnMarks")} ECN CE marks, ${delta("delayedPackets")} packets paced of ${delta("packets")}, ${delta("horizonDrops")} horizon drops`);
    row.notes.push(`fq on the host-side veth: ${outcome.flowLimitDrops ?? "?"} flow-limit drops, ${outcome.qdiscDrops ?? "?"} drops in all; sender retransmits ${outcome.iperf.retransmits ?? "?"}`);
    row.notes.push(await rootQdiscNote(node, hostVeth, qdiscBefore));
    row.notes.push("ping from the Pod to the outside host during the stream (its replies queue behind the stream)");
    return row;
  } finally {
    await plan.manifests.remove(manifest);
    await node.deletePod(pod.name);
  }
}

/** The reference plugin's ingress: TBF on the host-side veth, containerd's burst; a fresh Pod. */
export async function referenceIngress(node: LabNode, seconds: number, limitBitsPerSec = 10 * M): Promise<E2eRow> {
  const pod = await node.addPod("ingress-ref", { referenceLimits: { ingressBitsPerSec: limitBitsPerSec } });
  try {
    await requestEcn(pod);
    const hostVeth = hostVethName(pod.cniResult, node.bridgeName);
    const qdiscBefore = rootOf(await readQdiscStats(node.netns, hostVeth));
    const outcome = await measureStream(intoPod(node, pod, seconds, hostVeth));
    const row = fillRow(emptyRow(`reference CNI bandwidth plugin ingress ${limitBitsPerSec / M}M (containerd burst), cubic`, limitBitsPerSec), outcome);
    row.notes.push(`TBF on the host-side veth (no fq, so fq counters do not apply); sender retransmits ${outcome.iperf.retransmits ?? "?"}`);
    row.notes.push(await rootQdiscNote(node, hostVeth, qdiscBefore));
    return row;
  } finally {
    await node.deletePod(pod.name);
  }
}
