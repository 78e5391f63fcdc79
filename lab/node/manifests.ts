/**
 * The kubelet's side of the lab: Pod manifests in a directory the agent watches (`--pods-dir`), with
 * spec.nodeName and status.podIP filled in as a kubelet reports them once the sandbox has its IP.
 * Editing a file edits the Pod (its annotations, live); deleting it deletes the Pod.
 *
 * The two Pods are the seed's (Cilium's bandwidth-manager example): netperf-server limited to 10M egress.
 */
import { randomUUID } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";

export const EGRESS_BANDWIDTH = "kubernetes.io/egress-bandwidth";
export const INGRESS_BANDWIDTH = "kubernetes.io/ingress-bandwidth";

export interface PodManifest {
  name: string;
  namespace: string;
  uid: string;
  nodeName: string;
  podIP: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

/** A Pod object as the API server would return it (pure). */
export function podObject(pod: PodManifest): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid, annotations: pod.annotations, labels: pod.labels },
    spec: { nodeName: pod.nodeName, containers: [{ name: "netperf", image: "cilium/netperf", ports: [{ containerPort: 12865 }] }] },
    status: { phase: "Running", podIP: pod.podIP, podIPs: [{ ip: pod.podIP }] },
  };
}

/** The seed's netperf-server / netperf-client, placed on `nodeName` at `podIP`. */
export function seedPod(name: "netperf-server" | "netperf-client", nodeName: string, podIP: string): PodManifest {
  return {
    name, namespace: "default", uid: randomUUID(), nodeName, podIP,
    annotations: name === "netperf-server" ? { [EGRESS_BANDWIDTH]: "10M" } : {},
    labels: { "app.kubernetes.io/name": name },
  };
}

/** Kubelet-like writer of Pod manifests: atomic writes (rename), so the agent never reads half a file. */
export class ManifestDirectory {
  constructor(readonly dir: string) {}

  pathOf(pod: Pick<PodManifest, "namespace" | "name">): string {
    return join(this.dir, `${pod.namespace}_${pod.name}.yaml`);
  }

  async write(pod: PodManifest): Promise<void> {
    const path = this.pathOf(pod);
    // A dot file is not a manifest to the pods-dir source, so the half-written file is never read.
    const temporary = join(this.dir, `.${pod.namespace}_${pod.name}.yaml.tmp`);
    await writeFile(temporary, stringify(podObject(pod)));
    await rename(temporary, path);
  }

  async remove(pod: Pick<PodManifest, "namespace" | "name">): Promise<void> {
    await rm(this.pathOf(pod), { force: true });
  }

  /** Any other object the agent reads from the directory (a BandwidthBudget), in a file of its own. */
  async writeObject(fileName: string, object: Record<string, unknown>): Promise<void> {
    const temporary = join(this.dir, `.${fileName}.tmp`);
    await writeFile(temporary, stringify(object));
    await rename(temporary, join(this.dir, fileName));
  }

  async removeObject(fileName: string): Promise<void> {
    await rm(join(this.dir, fileName), { force: true });
  }
}
