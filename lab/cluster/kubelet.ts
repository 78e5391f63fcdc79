/**
 * The lab's kubelet against the real API server, as kwok plays one: for a Pod the operator created with
 * spec.nodeName on this node, it makes the sandbox (a network namespace wired by the real CNI plugins,
 * lab/node) and writes status.podIP/podIPs, hostIP and phase Running through the status subresource (podIP
 * and podIPs[0] must agree: the server keeps podIP). For a Pod being deleted it tears the sandbox down (CNI
 * DEL) and finishes the deletion, as a kubelet does once the containers are gone.
 */
import type { LabNode, LabPod } from "../node/index.js";
import type { Kubectl } from "./kubectl.js";

export interface ApiPod {
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string; annotations?: Record<string, string> };
  spec: { nodeName?: string };
  status?: { podIP?: string; phase?: string };
}

/** The status a kubelet reports once the sandbox has its IP (pure). */
export function runningStatus(podIP: string, hostIP: string, now: Date): object {
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastTransitionTime: time }));
  return {
    status: {
      phase: "Running", podIP, podIPs: [{ ip: podIP }], hostIP, hostIPs: [{ ip: hostIP }], startTime: time, conditions,
      containerStatuses: [{ name: "netperf", image: "cilium/netperf", imageID: "", ready: true, restartCount: 0, started: true, state: { running: { startedAt: time } } }],
    },
  };
}

export class LabKubelet {
  constructor(
    private readonly kubectl: Kubectl,
    private readonly node: LabNode,
    readonly nodeName: string,
    private readonly hostIP: string,
  ) {}

  async get(name: string, namespace = "default"): Promise<ApiPod> {
    return this.kubectl.json<ApiPod>(["-n", namespace, "get", "pod", name]);
  }

  /** Runs the sandbox of a Pod bound to this node and reports it Running; returns the sandbox. */
  async startPod(name: string, namespace = "default"): Promise<LabPod> {
    const pod = await this.get(name, namespace);
    if (pod.spec.nodeName !== this.nodeName) throw new Error(`pod ${namespace}/${name} is bound to ${pod.spec.nodeName ?? "no node"}, not ${this.nodeName}`);
    const sandbox = this.node.pods.get(name) ?? (await this.node.addPod(name));
    const status = JSON.stringify(runningStatus(sandbox.ip, this.hostIP, new Date()));
    await this.kubectl.run(["-n", namespace, "patch", "pod", name, "--subresource=status", "--type=merge", "-p", status]);
    return sandbox;
  }

  /** After the operator's `kubectl delete pod` (graceful): CNI DEL, then the final delete (grace period 0). */
  async finishDeletion(name: string, namespace = "default"): Promise<void> {
    const pod = await this.get(name, namespace);
    if (pod.metadata.deletionTimestamp === undefined) throw new Error(`pod ${namespace}/${name} is not being deleted`);
    await this.node.deletePod(name);
    await this.kubectl.run(["-n", namespace, "delete", "pod", name, "--grace-period=0", "--force"]);
  }
}
