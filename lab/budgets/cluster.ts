/**
 * Several lab nodes in one test kernel, each with its own agent, against one real kube-apiserver: the
 * ClusterWide budget's real run (guest side). Each node is lab/node's (its own network namespace, Pods wired
 * by the real CNI plugins, its own "outside host" behind its uplink) with its own Pod subnet; a bridge in
 * the guest's root namespace carries every node's link to the control plane. Each agent has its own BPF pin
 * path, state dir and socket, and connects with the chart's ServiceAccount token; the Pods are registered in
 * the API by the lab kubelet. What reaches the outside hosts is read from their eth0 rx counters
 * (/proc/<pid>/net/dev of a process parked in each), with no process started per sample; the Lease and the
 * agents' status are read in-process too (a kubectl or `pacer status` fork costs a one-CPU guest more than
 * the protocol it watches).
 */
import type { ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { buildNode, runTool, startBackground, stopBackground, type LabNode, type LabPod } from "../node/index.js";
import { serviceAccountToken, type RenderedChart } from "../cluster/chart.js";
import type { ControlPlane } from "../cluster/control-plane.js";
import { LabKubelet } from "../cluster/kubelet.js";
import type { Kubectl } from "../cluster/kubectl.js";
import type { ApiConnection } from "../../src/kube/api/connection.js";
import { LeaseClient } from "../../src/kube/lease-client.js";
import { fetchStatus } from "../../src/status/client.js";

export const CONTROL_PLANE_IP = "198.19.0.1";

export interface BudgetNode {
  name: string;
  index: number;
  node: LabNode;
  kubelet: LabKubelet;
  workDir: string;
  agent: ChildProcess | null;
  /** Every line every agent of this node logged. */
  log: string[];
  /** A process parked in the outside host's namespace, to read its counters. */
  outsideHolder: ChildProcess;
  senders: Map<string, ChildProcess>;
}

export interface BudgetCluster {
  nodes: BudgetNode[];
  plane: ControlPlane;
  kubectl: Kubectl;
  /** The admin kubeconfig's connection, for reads in-process. */
  admin: ApiConnection;
  chart: RenderedChart;
  repoDir: string;
  log(line: string): void;
  destroy(): Promise<void>;
}

const link = (prefix: string, index: number) => `${prefix.replaceAll("-", "")}c${index}`.slice(0, 15);

export async function buildNodes(options: { prefix: string; count: number; stateDir: string; log(line: string): void }): Promise<{ nodes: LabNode[]; bridge: string; destroy(): Promise<void> }> {
  const bridge = `${options.prefix.replaceAll("-", "")}cp`.slice(0, 15);
  const nodes: LabNode[] = [];
  const destroy = async () => {
    for (const node of nodes) await node.destroy().catch(() => undefined);
    for (let index = 0; index < options.count; index++) await runTool("ip", ["link", "delete", link(options.prefix, index)], { allowFailure: true });
    await runTool("ip", ["link", "delete", bridge], { allowFailure: true });
  };
  try {
    await runTool("ip", ["link", "add", bridge, "type", "bridge"]);
    await runTool("ip", ["addr", "add", `${CONTROL_PLANE_IP}/24`, "dev", bridge]);
    await runTool("ip", ["link", "set", bridge, "up"]);
    for (let index = 0; index < options.count; index++) {
      const node = await buildNode({ prefix: `${options.prefix}${index}`, stateDir: join(options.stateDir, `node${index}`), podSubnet: `10.244.${index + 1}.0/24` });
      nodes.push(node);
      const hostSide = link(options.prefix, index);
      await runTool("ip", ["link", "add", hostSide, "type", "veth", "peer", "cp0", "netns", node.netns]);
      await runTool("ip", ["link", "set", hostSide, "master", bridge]);
      await runTool("ip", ["link", "set", hostSide, "up"]);
      await runTool("ip", ["-n", node.netns, "addr", "add", `198.19.0.${index + 2}/24`, "dev", "cp0"]);
      await runTool("ip", ["-n", node.netns, "link", "set", "cp0", "up"]);
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return { nodes, bridge, destroy };
}

/** The node's agent, as the DaemonSet would run it but with paths of its own (several nodes share a kernel). */
export async function startNodeAgent(cluster: BudgetCluster, node: BudgetNode): Promise<void> {
  const token = await serviceAccountToken(cluster.kubectl, cluster.chart);
  await mkdir(node.workDir, { recursive: true });
  const kubeconfig = join(node.workDir, "kubeconfig");
  await writeFile(kubeconfig, stringify({
    apiVersion: "v1", kind: "Config", "current-context": "agent",
    clusters: [{ name: "lab", cluster: { server: `https://${CONTROL_PLANE_IP}:${cluster.plane.port}`, "certificate-authority": cluster.plane.pki.caCert } }],
    users: [{ name: "pacer", user: { token } }],
    contexts: [{ name: "agent", context: { cluster: "lab", user: "pacer" } }],
  }), { mode: 0o600 });
  const socket = join(node.workDir, "pacer.sock");
  const child = startBackground("node", [
    join(cluster.repoDir, "bin", "pacer.js"), "agent", "--kubeconfig", kubeconfig, "--node-name", node.name,
    "--bpffs-dir", `/sys/fs/bpf/pcb-${node.index}`, "--state-dir", join(node.workDir, "state"), "--socket", socket,
    "--metrics-address", "", "--lease-namespace", cluster.chart.namespace, "--internal-cidrs", `${node.node.podSubnet},198.19.0.0/24`,
  ], { netns: node.node.netns });
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line !== "") node.log.push(line);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  node.agent = child;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`agent of ${node.name} exited with ${child.exitCode}:\n${node.log.slice(-20).join("\n")}`);
    if (await fetchStatus(socket).then(() => true, () => false)) return;
    if (Date.now() > deadline) throw new Error(`agent of ${node.name}: no status after 90 s:\n${node.log.slice(-20).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Kills the node's agent without a goodbye (a crash or an OOM kill): the kernel keeps what it was told. */
export async function killNodeAgent(node: BudgetNode): Promise<void> {
  const child = node.agent;
  node.agent = null;
  if (child !== null) await stopBackground(child, "SIGKILL");
}

/** A Pod bound to the node, labelled into the budget, running (sandbox wired, status reported). */
export async function startSenderPod(cluster: BudgetCluster, node: BudgetNode, name: string, labels: Record<string, string>): Promise<LabPod> {
  await cluster.kubectl.apply(JSON.stringify({
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels },
    spec: { nodeName: node.name, containers: [{ name: "netperf", image: "cilium/netperf" }] },
  }));
  return node.kubelet.startPod(name);
}

/** Starts a TCP stream from the Pod to its node's outside host (iperf3 server on port 5201 there). */
export function startSending(node: BudgetNode, pod: LabPod, seconds = 3600): void {
  const child = startBackground("iperf3", ["-c", node.node.outsideIp, "-t", String(seconds), "-P", "2"], { netns: pod.netns });
  child.stdout?.resume();
  child.stderr?.resume();
  node.senders.set(pod.name, child);
}

export async function stopSending(node: BudgetNode, pod: string): Promise<void> {
  const child = node.senders.get(pod);
  node.senders.delete(pod);
  if (child) await stopBackground(child, "SIGKILL");
}

/** Bytes the outside host received on its eth0 so far. */
export async function outsideRxBytes(node: BudgetNode): Promise<number> {
  const text = await readFile(`/proc/${node.outsideHolder.pid}/net/dev`, "utf8");
  const line = text.split("\n").find((candidate) => candidate.trim().startsWith("eth0:"));
  if (line === undefined) throw new Error(`no eth0 in the outside host of ${node.name}`);
  return Number(line.split(":")[1]?.trim().split(/\s+/)[0] ?? "NaN");
}

/** Who holds the allocator's Lease (what `kubectl get lease pacer-allocator` says), or null. */
export async function leaseHolder(cluster: BudgetCluster): Promise<string | null> {
  const lease = await new LeaseClient(cluster.admin, cluster.chart.namespace).get();
  return typeof lease === "object" && lease.record.holderIdentity !== "" ? lease.record.holderIdentity : null;
}

export function labNode(cluster: Pick<BudgetCluster, "kubectl">, node: LabNode, index: number, stateDir: string): BudgetNode {
  const name = `pcb-node-${index}`;
  const outsideHolder = startBackground("sleep", ["infinity"], { netns: node.outsideNetns });
  const server = startBackground("iperf3", ["-s"], { netns: node.outsideNetns });
  server.stdout?.resume();
  server.stderr?.resume();
  const entry: BudgetNode = {
    name, index, node, kubelet: new LabKubelet(cluster.kubectl, node, name, `198.19.0.${index + 2}`), workDir: join(stateDir, `agent${index}`),
    agent: null, log: [], outsideHolder, senders: new Map([["iperf3-server", server]]),
  };
  return entry;
}
