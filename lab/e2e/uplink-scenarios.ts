/**
 * The shared uplink (issue 10) on the lab node, with the agent told what is inside the cluster
 * (--internal-cidrs: the Pod subnet and the node's own address; the outside host is not):
 *
 *   - an outside-cluster limit (pacer.dev/external-egress-bandwidth: 10M): 10M to the outside host while
 *     the same Pod sends to a Pod of the node unlimited;
 *   - two Pods of one 10M OutsideCluster BandwidthBudget: together 10M on the uplink, each about half when
 *     both send, one alone gets all of it; the same for ingress from the outside host;
 *   - a Pod relabelled out of the budget: unlimited within a second.
 *
 * Wire rates are the uplink's counting qdisc (lab/node: a pfifo on both ends), apart from the program.
 */
import { activeSpan, WireRateSampler, wireBitsPerSecond } from "../measure/index.js";
import { findAgentRow, hostVethName, runTool, type AgentRow, type LabNode, type LabPod, type ManifestDirectory, type PodManifest } from "../node/index.js";
import type { AgentControl } from "./agent-control.js";
import type { UplinkRow } from "./rows.js";
import { measureStream, type StreamOutcome, type StreamPlan } from "./stream.js";

export const EXTERNAL_EGRESS_BANDWIDTH = "pacer.dev/external-egress-bandwidth";
const M = 1_000_000;

export interface UplinkContext {
  node: LabNode;
  control: AgentControl;
  manifests: ManifestDirectory;
  manifestFor(pod: LabPod): PodManifest;
  seconds: number;
  log(line: string): void;
}

/** What the agent is told is inside the cluster on the lab node. */
export const labInternalCidrs = (node: LabNode): string[] => [node.podSubnet, `${node.uplinkIp}/32`];

const budgetObject = (name: string, direction: "egress" | "ingress", rate: string) => ({
  apiVersion: "pacer.dev/v1alpha1",
  kind: "BandwidthBudget",
  metadata: { name, namespace: "default", uid: `${name}-uid` },
  spec: { podSelector: { matchLabels: { app: "crawler" } }, [direction]: rate, scope: "OutsideCluster" },
});

interface Place {
  netns: string;
  dev: string;
}

interface Concurrent {
  outcomes: StreamOutcome[];
  /** The uplink's wire rate over the streams' common steady part. */
  wireBitsPerSec: number | null;
  /** Each Pod's wire rate over the same window (its shaping qdisc), so shares compare the same seconds. */
  podWireBitsPerSec: Array<number | null>;
}

/**
 * Streams from (egress) or into (ingress) every Pod at once. Each stream's own start is a fork, an exec and
 * a handshake apart in the test kernel, so rates are read from qdisc counters (the uplink's, each Pod's
 * shaping qdisc) over one window: the part every stream was sending (activeSpan), less 1.5 s of ramp-up
 * and 0.5 s before the first one stops.
 */
async function concurrently(plans: StreamPlan[], wire: Place, limitBitsPerSec: number, pods: Place[] = []): Promise<Concurrent> {
  const samplers = [wire, ...pods].map((place) => new WireRateSampler(place.netns, place.dev, 250));
  for (const sampler of samplers) sampler.start();
  const outcomes = await Promise.all(plans.map((plan) => measureStream(plan)));
  const sampled = [];
  for (const sampler of samplers) sampled.push(await sampler.stop());
  // Sending at all: a tenth of what each stream would get with equal shares.
  const spans = sampled.map((samples, index) => activeSpan(samples, (0.1 * limitBitsPerSec) / (index === 0 ? 1 : pods.length)));
  if (spans.some((span) => span === null)) return { outcomes, wireBitsPerSec: null, podWireBitsPerSec: pods.map(() => null) };
  const from = Math.max(...spans.map((span) => span!.fromMs)) + 1500;
  const to = Math.min(...spans.map((span) => span!.toMs)) - 500;
  const rates = sampled.map((samples) => wireBitsPerSecond(samples, from, to));
  return { outcomes, wireBitsPerSec: rates[0] ?? null, podWireBitsPerSec: rates.slice(1) };
}

function row(scenario: string, limit: number, measured: Concurrent, notes: string[] = []): UplinkRow {
  const goodputs = measured.outcomes.map((outcome) => outcome.iperf.goodputBitsPerSec);
  const total = goodputs.reduce((sum, rate) => sum + rate, 0);
  const perPod = measured.podWireBitsPerSec.every((rate): rate is number => rate !== null) && measured.podWireBitsPerSec.length === goodputs.length
    ? measured.podWireBitsPerSec
    : goodputs;
  const perPodTotal = perPod.reduce((sum, rate) => sum + rate, 0);
  return {
    scenario, limitBitsPerSec: limit, goodputBitsPerSec: total, wireRatio: measured.wireBitsPerSec === null ? null : measured.wireBitsPerSec / limit,
    pods: goodputs.length, shares: perPod.map((rate) => (perPodTotal === 0 ? 0 : rate / perPodTotal)), podGoodputBitsPerSec: goodputs, notes,
  };
}

export async function* uplinkScenarios(context: UplinkContext): AsyncGenerator<UplinkRow> {
  const { node, control, manifests, seconds } = context;
  const toOutside = (pod: LabPod): StreamPlan => ({ senderNetns: pod.netns, receiverNetns: node.outsideNetns, receiverIp: node.outsideIp, seconds });
  const fromOutside = (pod: LabPod): StreamPlan => ({
    senderNetns: node.outsideNetns, senderIp: node.outsideIp, receiverNetns: pod.netns, receiverIp: pod.ip, reverse: true, seconds,
  });
  const uplink = { netns: node.netns, dev: "eth0" };
  const downlink = { netns: node.outsideNetns, dev: "eth0" };
  const [a, b, peer] = [await node.addPod("crawler-a"), await node.addPod("crawler-b"), await node.addPod("peer")];
  // The Pods ask for ECN on the connections they open, so ingress is shaped by CE marks (as in the latency
  // runs), not by a queue that grows until the horizon drops.
  for (const pod of [a, b]) await runTool("sysctl", ["-q", "-w", "net.ipv4.tcp_ecn=1"], { netns: pod.netns });
  // One manifest (one uid) per Pod: an edit is an edit, not a Pod deleted and another created.
  const podManifests = new Map([a, b, peer].map((pod) => [pod.name, context.manifestFor(pod)]));
  const manifest = (pod: LabPod, labels: Record<string, string>, annotations: Record<string, string> = {}): PodManifest => ({ ...podManifests.get(pod.name)!, labels, annotations });
  try {
    // An outside-cluster limit: the outside host at 10M, a Pod of the node at full speed, at the same time.
    await manifests.write(manifest(a, {}, { [EXTERNAL_EGRESS_BANDWIDTH]: "10M" }));
    await manifests.write(manifest(peer, {}));
    await waitForRow(control, a.name, (found) => found?.enforcedExternalBitsPerSecond === 10 * M);
    // The inside stream paces itself at 30× the limit: unpaced it would take the test kernel's one CPU, and
    // the outside stream's rate would then measure CPU starvation, not the limit.
    const inside: StreamPlan = { ...toOutside(a), receiverNetns: peer.netns, receiverIp: peer.ip, bitsPerSec: 300 * M };
    const mixed = await concurrently([toOutside(a), inside], uplink, 10 * M);
    const external = row("uplink: outside-cluster limit 10M, to the outside host", 10 * M, { ...mixed, outcomes: [mixed.outcomes[0]!] });
    external.notes.push(`the same Pod to a Pod on the node at the same time: ${(mixed.outcomes[1]!.iperf.goodputBitsPerSec / M).toFixed(0)} Mbit/s (unlimited inside the cluster)`);
    external.insideGoodputBitsPerSec = mixed.outcomes[1]!.iperf.goodputBitsPerSec;
    yield external;

    // One 10M OutsideCluster budget for both crawlers: together, then one alone.
    await manifests.writeObject("budget-egress.yaml", budgetObject("crawl-egress", "egress", "10M"));
    for (const pod of [a, b]) await manifests.write(manifest(pod, { app: "crawler" }));
    for (const pod of [a, b]) await waitForRow(control, pod.name, (found) => (found?.budgets ?? []).includes("default/crawl-egress"));
    const podEth0 = (pod: LabPod): Place => ({ netns: pod.netns, dev: "eth0" });
    const both = await concurrently([toOutside(a), toOutside(b)], uplink, 10 * M, [podEth0(a), podEth0(b)]);
    yield row("uplink: two Pods of one 10M outside-cluster budget, egress", 10 * M, both);
    const alone = await concurrently([toOutside(a)], uplink, 10 * M);
    yield row("uplink: one Pod of the 10M budget alone, egress", 10 * M, alone);

    // Relabelled out of the budget: unlimited within a second of the edit, by the agent's own clock (its log
    // line), not by how long `pacer list` takes to start in the test kernel.
    const edited = Date.now();
    await manifests.write(manifest(b, { app: "other" }));
    const removedAt = await control.waitForLog(new RegExp(`/${b.name}/[^ ]+ egress: limit removed \\(annotation removed\\)`), edited);
    const relabelMs = removedAt - edited;
    const freed = await concurrently([{ ...toOutside(b), seconds: Math.min(seconds, 5) }], uplink, 10 * M);
    const relabelled = row("uplink: a Pod relabelled out of the budget", 10 * M, freed, [
      `unlimited ${relabelMs.toFixed(0)} ms after its labels were edited (pacer list shows no row)`,
    ]);
    relabelled.relabelMs = relabelMs;
    yield relabelled;
    await manifests.removeObject("budget-egress.yaml");

    // Ingress from outside the cluster, the same way.
    await manifests.writeObject("budget-ingress.yaml", budgetObject("crawl-ingress", "ingress", "10M"));
    for (const pod of [a, b]) await manifests.write(manifest(pod, { app: "crawler" }));
    for (const pod of [a, b]) await waitForRow(control, pod.name, (found) => (found?.budgets ?? []).includes("default/crawl-ingress"), "ingress");
    const hostVeth = (pod: LabPod): Place => ({ netns: node.netns, dev: hostVethName(pod.cniResult, node.bridgeName) });
    const into = await concurrently([fromOutside(a), fromOutside(b)], downlink, 10 * M, [hostVeth(a), hostVeth(b)]);
    yield row("uplink: two Pods of one 10M outside-cluster budget, ingress from outside", 10 * M, into);
    await manifests.removeObject("budget-ingress.yaml");
  } finally {
    for (const pod of [a, b, peer]) {
      await manifests.remove(podManifests.get(pod.name)!);
      await node.deletePod(pod.name);
    }
  }
}

/** Polls `pacer list` until `podName`'s row for `direction` satisfies `ok`. */
async function waitForRow(
  control: AgentControl,
  podName: string,
  ok: (row: AgentRow | undefined) => boolean,
  direction: "egress" | "ingress" = "egress",
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown[] = [];
  while (performance.now() < deadline) {
    last = await control.agent.list();
    if (ok(findAgentRow(last, podName, direction))) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`wait for ${podName} ${direction}: not reached in ${timeoutMs} ms; rows: ${JSON.stringify(last).slice(0, 2000)}`);
}
