/**
 * A Kubernetes API-server TEST DOUBLE for tests and benchmarks of pacer's Kubernetes side: the object stores
 * (Pods, Nodes, ServiceCIDRs, BandwidthBudgets, Leases, BandwidthNodes; drive them: upsert/modify/delete/compact), the recorded
 * Events, the HTTP server the real client talks to, and a kubeconfig pointing at it. Like kube-apiserver with
 * --service-cluster-ip-range, it starts with the ServiceCIDR "kubernetes" (10.0.0.0/24 unless told).
 * Not an API server — see server.ts for exactly what it speaks.
 *
 *   const apiserver = await startApiServerDouble();
 *   const kubeconfig = await apiserver.writeKubeconfig();   // temp dir, removed by close()
 *   apiserver.pods.upsert({ metadata: { namespace: "default", name: "a" }, spec: { nodeName: "node-a" } });
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ObjectStore, type StoredObject } from "./object-store.js";
import { PodStore } from "./pod-store.js";
import { EventStore } from "./event-store.js";
import { startHttpDouble, type ApiServerDoubleHttp, type Collection } from "./server.js";

export { PodStore, type PodObject, type WatchEvent } from "./pod-store.js";
export { ObjectStore, StoreError, type StoredObject } from "./object-store.js";
export { EventStore, type RecordedEventRequest, type StoredEvent } from "./event-store.js";
export { parseFieldSelector, matchesFieldSelector } from "./field-selector.js";

export interface ApiServerDouble extends ApiServerDoubleHttp {
  readonly pods: PodStore;
  /** core/v1 Nodes (cluster-scoped: namespace ""). */
  readonly nodes: ObjectStore<StoredObject>;
  /** networking.k8s.io/v1 ServiceCIDRs (cluster-scoped). */
  readonly serviceCidrs: ObjectStore<StoredObject>;
  /** pacer.dev/v1alpha1 BandwidthBudgets, with a status subresource. */
  readonly budgets: ObjectStore<StoredObject>;
  /** coordination.k8s.io/v1 Leases (namespaced). */
  readonly leases: ObjectStore<StoredObject>;
  /** pacer.dev/v1alpha1 BandwidthNodes (cluster-scoped), with a status subresource. */
  readonly bandwidthNodes: ObjectStore<StoredObject>;
  readonly events: EventStore;
  /** Writes a kubeconfig for this double into a fresh temp dir (or `directory`); returns its path. */
  writeKubeconfig(directory?: string): Promise<string>;
}

export async function startApiServerDouble(options: { log?: (line: string) => void; serviceCidrs?: string[] } = {}): Promise<ApiServerDouble> {
  const pods = new PodStore();
  const nodes = new ObjectStore<StoredObject>({ apiVersion: "v1", kind: "Node" });
  const serviceCidrs = new ObjectStore<StoredObject>({ apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR" });
  const budgets = new ObjectStore<StoredObject>({ apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget", statusSubresource: true });
  const leases = new ObjectStore<StoredObject>({ apiVersion: "coordination.k8s.io/v1", kind: "Lease" });
  const bandwidthNodes = new ObjectStore<StoredObject>({ apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthNode", statusSubresource: true });
  serviceCidrs.upsert({ metadata: { namespace: "", name: "kubernetes" }, spec: { cidrs: options.serviceCidrs ?? ["10.0.0.0/24"] } });
  const events = new EventStore();
  const collections: Collection[] = [
    { store: pods, group: "", version: "v1", resource: "pods", namespaced: true, listKind: "PodList" },
    { store: nodes, group: "", version: "v1", resource: "nodes", namespaced: false, listKind: "NodeList" },
    { store: serviceCidrs, group: "networking.k8s.io", version: "v1", resource: "servicecidrs", namespaced: false, listKind: "ServiceCIDRList" },
    { store: budgets, group: "pacer.dev", version: "v1alpha1", resource: "bandwidthbudgets", namespaced: true, listKind: "BandwidthBudgetList" },
    { store: leases, group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true, listKind: "LeaseList" },
    { store: bandwidthNodes, group: "pacer.dev", version: "v1alpha1", resource: "bandwidthnodes", namespaced: false, listKind: "BandwidthNodeList" },
  ];
  const http = await startHttpDouble(collections, events, options.log);
  const temporaryDirectories: string[] = [];
  return {
    ...http,
    url: http.url,
    counts: http.counts,
    pods,
    nodes,
    serviceCidrs,
    budgets,
    leases,
    bandwidthNodes,
    events,
    async writeKubeconfig(directory?: string) {
      const target = directory ?? (await mkdtemp(join(tmpdir(), "pk-apiserver-double-")));
      if (directory === undefined) temporaryDirectories.push(target);
      const path = join(target, "kubeconfig");
      const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        "current-context": "apiserver-test-double",
        // client-node refuses plain http unless TLS verification is off (there is no TLS to verify here)
        clusters: [{ name: "apiserver-test-double", cluster: { server: http.url, "insecure-skip-tls-verify": true } }],
        users: [{ name: "apiserver-test-double", user: { token: "test-double-token" } }],
        contexts: [
          { name: "apiserver-test-double", context: { cluster: "apiserver-test-double", user: "apiserver-test-double" } },
        ],
      };
      await writeFile(path, stringify(kubeconfig), { mode: 0o600 });
      return path;
    },
    async close() {
      await http.close();
      await Promise.all(temporaryDirectories.map((path) => rm(path, { recursive: true, force: true })));
    },
  };
}
