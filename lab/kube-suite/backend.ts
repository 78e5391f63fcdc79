/**
 * What the shared Kubernetes suites (informer-suite.ts, events-suite.ts, object-sources-suite.ts,
 * agent-sources-suite.ts) need from an API server, so the same
 * cases run against the API-server TEST DOUBLE (fast, every run: this file) and a REAL kube-apiserver with etcd
 * (cluster-backend.ts). Each backend drives its server the way that server can be driven: the double through
 * its stores, the real one through kubectl, etcdctl and a TCP relay in front of it.
 */
import { startApiServerDouble, type ApiServerDouble, type PodObject } from "../apiserver-double/index.js";
import type { BudgetObjectWithStatus } from "../../src/budgets/budget-status.js";

export interface SuitePod {
  name: string;
  nodeName: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/** A Node as the node IPAM (spec.podCIDRs) and its kubelet (status.addresses) leave it. */
export interface SuiteNode {
  name: string;
  podCIDRs: string[];
  addresses: Array<{ type: string; address: string }>;
}

export interface SuiteEvent {
  name: string;
  namespace: string;
  reason: string;
  message: string;
  type: string;
  count: number;
  involvedObject: Record<string, unknown>;
  source: Record<string, unknown>;
  firstTimestamp: string;
  lastTimestamp: string;
}

export interface KubeSuiteBackend {
  readonly name: string;
  /** The kubeconfig the code under test connects with. */
  readonly kubeconfig: string;
  /** Where the suites' Pods and Events live. */
  readonly namespace: string;
  /** Where the agent's own namespaced objects live (the chart's release namespace: the allocator's Lease). */
  readonly releaseNamespace: string;
  /** A Pod bound to `nodeName` with IPs 10.0.0.1 and fd00::1 (as a kubelet reports them). */
  createPod(pod: SuitePod): Promise<void>;
  setAnnotations(name: string, annotations: Record<string, string>): Promise<void>;
  /** Replaces the Pod's labels. */
  setLabels(name: string, labels: Record<string, string>): Promise<void>;
  /** Deleted at once (grace period 0). */
  deletePod(name: string): Promise<void>;
  /** The Pod's history is compacted and open watches end, so the next watch from an old resourceVersion gets 410. */
  expireWatches(): Promise<void>;
  /** The code under test cannot reach the server (or gets errors) until `heal()`; changes made meanwhile still land. */
  cutOff(): Promise<void>;
  heal(): Promise<void>;
  /** Compacts the Pod history (while cut off: the client's resourceVersion becomes too old). */
  compact(): Promise<void>;
  /** Every open connection of the code under test is dropped once. */
  dropConnections(): Promise<void>;
  /** The code under test's credentials lose (or regain) `verb` on `resource`. */
  setForbidden(verb: string, resource: string, forbidden: boolean): Promise<void>;
  events(podName: string): Promise<SuiteEvent[]>;
  deleteEvent(name: string): Promise<void>;
  /** Creates a Node (cluster-scoped) with its Pod ranges and addresses; `touchNode` changes only its heartbeat. */
  createNode(node: SuiteNode): Promise<void>;
  touchNode(name: string): Promise<void>;
  deleteNode(name: string): Promise<void>;
  /** Creates or replaces a BandwidthBudget in the suite's namespace (the spec as given). */
  applyBudget(name: string, spec: Record<string, unknown>): Promise<void>;
  deleteBudget(name: string): Promise<void>;
  budget(name: string): Promise<BudgetObjectWithStatus | null>;
  /** false: the BandwidthBudget CRD is removed (its objects with it); true: installed again and served. */
  setBudgetCrdInstalled(installed: boolean): Promise<void>;
  /** Deletes a BandwidthNode (cluster-scoped) if it exists. */
  deleteBandwidthNode(name: string): Promise<void>;
  /** `kubectl get bwb` in the suite's namespace, as an operator reads it; null where there is no kubectl (the double). */
  budgetsTable(): Promise<string | null>;
  /** The code under test's Event writes so far, in order, as verbs ("create" | "patch"); by Event name if given. */
  eventWrites(eventName?: string): Promise<string[]>;
  close(): Promise<void>;
}

const ips = [{ ip: "10.0.0.1" }, { ip: "fd00::1" }];

export async function startDoubleBackend(): Promise<KubeSuiteBackend> {
  const apiserver: ApiServerDouble = await startApiServerDouble();
  const kubeconfig = await apiserver.writeKubeconfig();
  const namespace = "pk-suite";
  const toObject = (pod: SuitePod): PodObject => ({
    metadata: { namespace, name: pod.name, annotations: pod.annotations ?? {}, labels: pod.labels ?? {} },
    spec: { nodeName: pod.nodeName },
    status: { podIP: "10.0.0.1", podIPs: ips },
  });
  const toEvent = (event: Record<string, unknown> & { metadata: { name: string; namespace: string } }): SuiteEvent => ({
    ...(event as unknown as SuiteEvent), name: event.metadata.name, namespace: event.metadata.namespace,
  });
  return {
    name: "the API-server test double",
    kubeconfig,
    namespace,
    releaseNamespace: "pk-release",
    async createPod(pod) {
      apiserver.pods.upsert(toObject(pod));
    },
    async setAnnotations(name, annotations) {
      apiserver.pods.modify(namespace, name, (object) => (object.metadata.annotations = annotations));
    },
    async setLabels(name, labels) {
      apiserver.pods.modify(namespace, name, (object) => (object.metadata.labels = labels));
    },
    async deletePod(name) {
      apiserver.pods.delete(namespace, name);
    },
    async createNode(node) {
      apiserver.nodes.upsert({ metadata: { namespace: "", name: node.name }, spec: { podCIDR: node.podCIDRs[0], podCIDRs: node.podCIDRs }, status: { addresses: node.addresses } });
    },
    async touchNode(name) {
      apiserver.nodes.modify("", name, (object) => (object.status = { ...object.status, conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: new Date().toISOString() }] }));
    },
    async deleteNode(name) {
      apiserver.nodes.delete("", name);
    },
    async applyBudget(name, spec) {
      const current = apiserver.budgets.get(namespace, name);
      apiserver.budgets.upsert({ ...(current ?? {}), metadata: { ...(current?.metadata ?? {}), namespace, name }, spec });
    },
    async deleteBudget(name) {
      apiserver.budgets.delete(namespace, name);
    },
    async budget(name) {
      return (apiserver.budgets.get(namespace, name) as BudgetObjectWithStatus | undefined) ?? null;
    },
    async setBudgetCrdInstalled(installed) {
      // as on the real server: removing the CRD deletes its objects (watchers see them go), then 404
      if (!installed) for (const object of apiserver.budgets.list([]).items) apiserver.budgets.delete(object.metadata.namespace, object.metadata.name);
      apiserver.setServed("bandwidthbudgets", installed);
    },
    async deleteBandwidthNode(name) {
      apiserver.bandwidthNodes.delete("", name);
    },
    async budgetsTable() {
      return null;
    },
    async expireWatches() {
      apiserver.expireWatches();
    },
    async cutOff() {
      apiserver.setAvailable(false);
    },
    async heal() {
      apiserver.setAvailable(true);
    },
    async compact() {
      apiserver.pods.compact();
    },
    async dropConnections() {
      apiserver.dropConnections();
    },
    async setForbidden(verb, resource, forbidden) {
      apiserver.setForbidden(verb, resource, forbidden);
    },
    async events(podName) {
      return apiserver.events.all().filter((event) => (event.involvedObject as { name?: string }).name === podName).map((event) => toEvent(event as never));
    },
    async deleteEvent(name) {
      if (!apiserver.events.expire(namespace, name)) throw new Error(`no Event ${namespace}/${name} in the double`);
    },
    async eventWrites(eventName) {
      return apiserver.events.requests
        .filter((request) => eventName === undefined || request.name === eventName)
        .map((request) => (request.method === "POST" ? "create" : "patch"));
    },
    close: () => apiserver.close(),
  };
}
