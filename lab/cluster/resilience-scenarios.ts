/**
 * The control plane going away under a running agent, netperf-server limited to 10M:
 * - apiserver-outage-keeps-limits: kube-apiserver stopped for the outage (60 s in the full run): the limit
 *   stays enforced the whole time (pacer list sampled, a stream measured mid-outage), `pacer status` says the
 *   API cannot be reached; after it returns, the problem clears and an edit made then is enforced.
 * - relist-after-compaction: etcd moved on and compacted past the agent's resourceVersion, then
 *   kube-apiserver restarted (as in an upgrade): the agent's re-watch gets 410 Gone and it lists again
 *   (its log says so, the audit log has the list), without the limit ever leaving the row.
 */
import { measureStream } from "../measure/index.js";
import { egressEnforcing, M, mbit, poll, runningAgent, type Check, type ClusterLab } from "./lab.js";
import { withinLimit } from "./operator-scenarios.js";

const EGRESS = "kubernetes.io/egress-bandwidth";

/** Samples whether netperf-server's 10M row is enforced with `identity`, every ~2 s until `done()` says stop. */
async function sampleLimit(lab: ClusterLab, identity: number | null, done: () => boolean): Promise<{ samples: number; held: number }> {
  let samples = 0;
  let held = 0;
  while (!done()) {
    samples += 1;
    const row = await egressEnforcing(lab, "netperf-server", 10 * M).catch(() => undefined);
    if (row !== undefined && row.identity === identity) held += 1;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  return { samples, held };
}

export async function apiserverOutageKeepsLimits(lab: ClusterLab): Promise<Check> {
  const agent = runningAgent(lab);
  const { value: before } = await poll("10M before the outage", () => egressEnforcing(lab, "netperf-server", 10 * M));
  await lab.plane.stopApiserver();
  const outageStarted = performance.now();
  let outageOver = false;
  const sampling = sampleLimit(lab, before.identity, () => outageOver);
  let statusLine = "";
  let goodput = 0;
  try {
    const { value } = await poll("pacer status naming the unreachable API", async () =>
      (await agent.status()).kubernetesApi.find((problem) => problem.resource === "pods" && problem.statusCode === null), 30_000);
    statusLine = (await agent.statusText()).split("\n").find((line) => line.startsWith("Kubernetes API:")) ?? `${value.verb} ${value.resource}`;
    const server = lab.node.pods.get("netperf-server");
    if (server === undefined) throw new Error("netperf-server has no sandbox");
    goodput = (await measureStream({ senderNetns: server.netns, receiverNetns: lab.node.outsideNetns, receiverIp: lab.node.outsideIp, seconds: Math.min(5, lab.seconds) })).iperf.goodputBitsPerSec;
    const left = lab.outageSeconds * 1000 - (performance.now() - outageStarted);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  } finally {
    outageOver = true;
    await sampling.catch(() => undefined);
    await lab.plane.startApiserver();
  }
  const outageMs = performance.now() - outageStarted;
  const { samples, held } = await sampling;
  const { ms: clearedMs } = await poll("the API problem cleared", async () => ((await agent.status()).kubernetesApi.length === 0 ? true : undefined), 60_000);
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=20M`]);
  const { ms: editMs } = await poll("20M after the outage", () => egressEnforcing(lab, "netperf-server", 20 * M), 60_000);
  await lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-server", `${EGRESS}=10M`]);
  await poll("back at 10M", () => egressEnforcing(lab, "netperf-server", 10 * M));
  const pass = samples > 0 && held === samples && withinLimit(goodput, 10 * M) && statusLine !== "";
  return {
    name: "apiserver-outage-keeps-limits", pass,
    detail: `kube-apiserver down ${(outageMs / 1000).toFixed(0)} s: 10M row held in ${held}/${samples} samples, mid-outage stream ${mbit(goodput)}; pacer status said "${statusLine}"; back up: problem cleared after ${(clearedMs / 1000).toFixed(1)} s, an edit to 20M enforced ${(editMs / 1000).toFixed(1)} s after kubectl annotate`,
  };
}

const POD_RELIST = /410 Gone.*listing pods/;

export async function relistAfterCompaction(lab: ClusterLab): Promise<Check> {
  const agent = runningAgent(lab);
  const { value: before } = await poll("10M before the compaction", () => egressEnforcing(lab, "netperf-server", 10 * M));
  const logBefore = agent.log().length;
  const account = `system:serviceaccount:${lab.chart.namespace}:${lab.chart.serviceAccount}`;
  const listsOf = async () => (await lab.plane.audit()).filter((record) => record.user === account && record.resource === "pods" && record.verb === "list").length;
  const listsBefore = await listsOf();
  // Changes the agent does not watch move etcd past its resourceVersion; then etcd forgets the history.
  for (const name of ["pacer-lab-churn-1", "pacer-lab-churn-2"]) {
    await lab.kubectl.run(["create", "configmap", name, "--from-literal=a=b"]);
    await lab.kubectl.run(["delete", "configmap", name]);
  }
  const revision = await lab.plane.compact();
  let done = false;
  const sampling = sampleLimit(lab, before.identity, () => done);
  try {
    await lab.plane.stopApiserver();
    await lab.plane.startApiserver();
    // the Pod informer's own line: the Node, ServiceCIDR and budget informers may meet 410 too
    await poll("the agent's relist of Pods after 410 Gone", async () => (POD_RELIST.test(agent.log().slice(logBefore)) ? true : undefined), 90_000);
    await poll("the agent's list in the audit log", async () => ((await listsOf()) > listsBefore ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // a few more samples after the relist
  } finally {
    done = true;
  }
  const { samples, held } = await sampling;
  const after = await egressEnforcing(lab, "netperf-server", 10 * M);
  const logged = agent.log().slice(logBefore).split("\n").find((line) => POD_RELIST.test(line))?.replace(/^\S+ /, "") ?? "";
  const removed = /netperf-server.*limit removed/.test(agent.log().slice(logBefore));
  const pass = after?.identity === before.identity && held === samples && !removed && logged !== "";
  return {
    name: "relist-after-compaction", pass,
    detail: `etcd compacted at revision ${revision}, kube-apiserver restarted: agent logged "${logged}"; lists by the agent in the audit log ${listsBefore} → ${await listsOf()}; 10M row (identity ${before.identity}) held in ${held}/${samples} samples, limit removed: ${removed}`,
  };
}
