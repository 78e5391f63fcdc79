/**
 * The seed article's steps as an operator runs them with kubectl against the real API server, judged on the
 * data plane (iperf3 from netperf-server to the node's outside host) and on what kubectl shows:
 * annotate-enforced, invalid-event-visible (10Q: an InvalidBandwidth Event in `kubectl get events` and
 * `kubectl describe pod`, the last good limit kept; repeated, the Event's count goes up), live-edit (a new
 * value on the running Pod, same sandbox), delete-cleans (`kubectl delete pod`: rows, program and pins gone).
 */
import { readdir } from "node:fs/promises";
import { measureStream } from "../measure/index.js";
import { runTool } from "../node/index.js";
import { flagValue } from "./chart-agent.js";
import { egressEnforcing, M, mbit, poll, runningAgent, type Check, type ClusterLab } from "./lab.js";

const EGRESS = "kubernetes.io/egress-bandwidth";

/** The seed's two Pods, bound to the lab node (the scheduler's part), as the operator applies them. */
export function seedPods(nodeName: string): string {
  const pod = (name: string) => ({
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace: "default", labels: { "app.kubernetes.io/name": name } },
    spec: { nodeName, containers: [{ name: "netperf", image: "cilium/netperf", ports: [{ containerPort: 12865 }] }] },
  });
  return [pod("netperf-server"), pod("netperf-client")].map((object) => JSON.stringify(object)).join("\n---\n");
}

async function streamToOutside(lab: ClusterLab, seconds: number): Promise<{ goodput: number; throttled: number }> {
  const server = lab.node.pods.get("netperf-server");
  if (server === undefined) throw new Error("netperf-server has no sandbox");
  const outcome = await measureStream({ senderNetns: server.netns, receiverNetns: lab.node.outsideNetns, receiverIp: lab.node.outsideIp, seconds });
  return { goodput: outcome.iperf.goodputBitsPerSec, throttled: outcome.fqThrottled ?? 0 };
}

/**
 * The check is the behaviour, the numbers are the measurement (in each check's detail, and in
 * bench/results/cluster.md from the 10 s streams of `npm run e2e:cluster`, where 10M gives ~0.95 L): never
 * above the limit, and flowing (at least half of it). A tighter floor fails by noise: a stream of a few seconds
 * on the guest's one CPU of a loaded 2-core machine was seen at 0.64 of 50M.
 */
export const withinLimit = (goodput: number, limit: number): boolean => goodput <= limit && goodput >= 0.5 * limit;

export async function annotateEnforced(lab: ClusterLab): Promise<Check> {
  await lab.kubectl.apply(seedPods(lab.nodeName));
  await lab.kubelet.startPod("netperf-server");
  await lab.kubelet.startPod("netperf-client");
  await lab.kubectl.run(["annotate", "pod", "netperf-server", `${EGRESS}=10M`]);
  const { ms } = await poll("netperf-server 10M in pacer list", () => egressEnforcing(lab, "netperf-server", 10 * M));
  const { goodput, throttled } = await streamToOutside(lab, lab.seconds);
  const pass = withinLimit(goodput, 10 * M) && throttled > 0;
  return { name: "annotate-enforced", pass, detail: `kubectl annotate ...=10M: enforced ${ms.toFixed(0)} ms later (pacer list); ${lab.seconds} s iperf3 to the outside host: ${mbit(goodput)} goodput, fq throttled ${throttled}` };
}

interface ApiEvent {
  reason: string;
  message: string;
  count?: number;
  involvedObject: { name: string; uid?: string };
}

export async function invalidEventVisible(lab: ClusterLab): Promise<Check> {
  const invalidEvents = async () =>
    (await lab.kubectl.json<{ items: ApiEvent[] }>(["get", "events", "--field-selector", "involvedObject.name=netperf-server,reason=InvalidBandwidth"])).items;
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=10Q`]);
  const { value: first, ms } = await poll("an InvalidBandwidth Event", async () => (await invalidEvents())[0]);
  const table = (await lab.kubectl.run(["get", "events"])).stdout;
  const describe = (await lab.kubectl.run(["describe", "pod", "netperf-server"])).stdout;
  const describeEvents = describe.slice(describe.indexOf("\nEvents:"));
  const row = (await runningAgent(lab).list()).find((candidate) => candidate.name === "netperf-server" && candidate.direction === "egress");
  const kept = row?.enforcedBitsPerSecond === 10 * M;
  const { goodput } = await streamToOutside(lab, Math.min(3, lab.seconds));
  // The same mistake again: the agent bumps the Event's count (PATCH) instead of posting another.
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=10M`]);
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=10Q`]);
  const { value: repeated } = await poll("the Event's count at 2", async () => {
    const events = await invalidEvents();
    return events.length === 1 && events[0]?.count === 2 ? events[0] : undefined;
  });
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=10M`]);
  const uid = (await lab.kubelet.get("netperf-server")).metadata.uid;
  const inTable = /Warning\s+InvalidBandwidth\s+pod\/netperf-server/.test(table);
  const inDescribe = /Warning\s+InvalidBandwidth\s+.*pacer/.test(describeEvents);
  const pass = inTable && inDescribe && kept && withinLimit(goodput, 10 * M) && first.involvedObject.uid === uid && repeated.count === 2;
  const line = describeEvents.split("\n").find((candidate) => candidate.includes("InvalidBandwidth"))?.trim() ?? "(none)";
  return {
    name: "invalid-event-visible", pass,
    detail: `--overwrite 10Q: Event after ${ms.toFixed(0)} ms ("${first.message}"); in kubectl get events: ${inTable}; kubectl describe pod: "${line}"; last good 10M kept: ${kept} (${mbit(goodput)}); repeated: one Event, count ${repeated.count}`,
  };
}

export async function liveEdit(lab: ClusterLab): Promise<Check> {
  const before = await lab.kubelet.get("netperf-server");
  const sandbox = lab.node.pods.get("netperf-server")?.containerId;
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=50M`]);
  const { ms } = await poll("netperf-server 50M in pacer list", () => egressEnforcing(lab, "netperf-server", 50 * M));
  const { goodput } = await streamToOutside(lab, lab.seconds);
  const after = await lab.kubelet.get("netperf-server");
  const same = after.metadata.uid === before.metadata.uid && lab.node.pods.get("netperf-server")?.containerId === sandbox;
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=10M`]);
  await poll("back at 10M", () => egressEnforcing(lab, "netperf-server", 10 * M));
  // The new limit holds, and the old one is gone: clearly above 10M.
  const pass = same && goodput <= 50 * M && goodput >= 1.5 * 10 * M;
  return { name: "live-edit", pass, detail: `10M → 50M on the running Pod: enforced ${ms.toFixed(0)} ms later; ${mbit(goodput)} goodput; same Pod and sandbox: ${same}` };
}

export async function deleteCleans(lab: ClusterLab): Promise<Check> {
  const agent = runningAgent(lab);
  const bpffsDir = flagValue(agent.args, "bpffs-dir") ?? "/sys/fs/bpf/pacer";
  const uid = (await lab.kubelet.get("netperf-server")).metadata.uid;
  const server = lab.node.pods.get("netperf-server");
  await lab.kubectl.run(["delete", "pod", "netperf-server", "--wait=false"]);
  await lab.kubelet.finishDeletion("netperf-server");
  const { ms } = await poll("no rows for netperf-server", async () =>
    (await agent.list()).some((row) => row.name === "netperf-server") ? undefined : true);
  const gone = (await lab.kubectl.run(["get", "pod", "netperf-server"], { allowFailure: true })).exitCode !== 0;
  const pins = await readdir(bpffsDir, { recursive: true }).catch(() => [] as string[]);
  const podPins = pins.filter((pin) => pin.includes(uid) || pin.includes("netperf-server"));
  const netnsLeft = server === undefined ? false : (await runTool("ip", ["netns", "list"])).stdout.includes(server.netns);
  const pass = gone && podPins.length === 0 && !netnsLeft;
  return { name: "delete-cleans", pass, detail: `kubectl delete pod (the lab kubelet: CNI DEL, final delete): rows gone ${ms.toFixed(0)} ms later; Pod gone from the API: ${gone}; pins for the Pod: ${podPins.length} (of ${pins.length} under ${bpffsDir}); sandbox netns left: ${netnsLeft}` };
}
