/**
 * BandwidthNode I/O (pacer.dev/v1alpha1, cluster-scoped; the protocol is docs/cluster-budgets.md, the wire
 * format src/budgets/wire.ts):
 * - each agent reads its own object once at start (`get`), creates it when absent (`create`, owned by its
 *   Node so deleting the Node deletes it; the Node's uid comes from a `list` with a field selector, a verb
 *   the agent has anyway), and writes its report with a JSON merge patch of `spec` (`patch`): no
 *   resourceVersion, so the allocator's status writes never make a report conflict;
 * - the allocator writes a node's allocations with a merge patch of `status` (`patch` on the subresource);
 *   a merge patch replaces a list whole, so the status is always exactly what the allocator computed;
 * - watches: one node's object (`fieldSelector=metadata.name=<node>`, every agent) or all of them (only the
 *   allocator), through the generic informer.
 * Every outcome goes to ApiAccess (`pacer status` names a verb that is not granted); errors are thrown for
 * the caller's protocol to count (node-protocol.ts reportFailed, coordinator.ts statusWriteFailed).
 */
import type { ApiAccess } from "./api/access.js";
import type { ApiConnection } from "./api/connection.js";
import { describeApiError, KubeApiError, kubeRequest, type KubeRequest } from "./api/request.js";
import { createObjectInformer, type Backoff, type ObjectInformer } from "./object-informer.js";
import { BANDWIDTH_NODE_API_VERSION, BANDWIDTH_NODE_KIND, type BandwidthNodeObject, type BandwidthNodeSpec, type BandwidthNodeStatus } from "../budgets/wire.js";

export const BANDWIDTH_NODES_PATH = `/apis/${BANDWIDTH_NODE_API_VERSION}/bandwidthnodes`;
const RESOURCE = "bandwidthnodes";
const API_GROUP = "pacer.dev";
const MERGE_PATCH = "application/merge-patch+json";

export class BandwidthNodeClient {
  constructor(private readonly api: ApiConnection, private readonly access?: ApiAccess) {}

  private async request<T>(verb: string, resource: string, request: KubeRequest, notAProblem: number[] = []): Promise<T> {
    try {
      const result = await kubeRequest<T>(this.api, { timeoutMilliseconds: 10_000, ...request });
      this.access?.succeeded(verb, resource);
      return result;
    } catch (error) {
      if (error instanceof KubeApiError && notAProblem.includes(error.statusCode)) this.access?.succeeded(verb, resource);
      else this.access?.failed(verb, resource, error, describeApiError(error), { apiGroup: API_GROUP });
      throw error;
    }
  }

  /** The node's object, or null when there is none. */
  async get(name: string): Promise<BandwidthNodeObject | null> {
    try {
      return await this.request<BandwidthNodeObject>("get", RESOURCE, { method: "GET", path: `${BANDWIDTH_NODES_PATH}/${encodeURIComponent(name)}` }, [404]);
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return null;
      throw error;
    }
  }

  /** Creates the node's object with this spec, owned by its Node when the Node is found. */
  async create(name: string, spec: BandwidthNodeSpec): Promise<BandwidthNodeObject> {
    const owner = await this.nodeUid(name).catch(() => null);
    const metadata = {
      name,
      ...(owner === null ? {} : { ownerReferences: [{ apiVersion: "v1", kind: "Node", name, uid: owner }] }),
    };
    const body = { apiVersion: BANDWIDTH_NODE_API_VERSION, kind: BANDWIDTH_NODE_KIND, metadata, spec };
    return this.request<BandwidthNodeObject>("create", RESOURCE, { method: "POST", path: BANDWIDTH_NODES_PATH, body });
  }

  /** Writes the node's report; creates the object when it is gone (deleted by hand, or never made). */
  async writeSpec(name: string, spec: BandwidthNodeSpec): Promise<void> {
    try {
      await this.request("patch", RESOURCE, { method: "PATCH", path: `${BANDWIDTH_NODES_PATH}/${encodeURIComponent(name)}`, body: { spec }, contentType: MERGE_PATCH }, [404]);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
      await this.create(name, spec);
    }
  }

  /** The allocator's write of a node's allocations (a node whose object is gone answers 404: thrown). */
  async writeStatus(name: string, status: BandwidthNodeStatus): Promise<void> {
    await this.request("patch", `${RESOURCE}/status`, {
      method: "PATCH", path: `${BANDWIDTH_NODES_PATH}/${encodeURIComponent(name)}/status`, body: { status }, contentType: MERGE_PATCH,
    });
  }

  private async nodeUid(name: string): Promise<string | null> {
    const list = await kubeRequest<{ items?: Array<{ metadata?: { uid?: string } }> }>(this.api, {
      method: "GET", path: "/api/v1/nodes", query: { fieldSelector: `metadata.name=${name}` }, timeoutMilliseconds: 10_000,
    });
    return list.items?.[0]?.metadata?.uid ?? null;
  }
}

export interface BandwidthNodeSourceOptions {
  connection: ApiConnection;
  /** One node's object only (every agent); absent: all of them (the allocator). */
  nodeName?: string;
  access?: ApiAccess;
  log?: (line: string) => void;
  backoff?: Backoff;
}

export function createBandwidthNodeSource(options: BandwidthNodeSourceOptions): ObjectInformer<BandwidthNodeObject> {
  return createObjectInformer<BandwidthNodeObject & { metadata: { name: string } }>({
    kubeconfig: options.connection,
    path: BANDWIDTH_NODES_PATH,
    resource: RESOURCE,
    apiGroup: API_GROUP,
    what: options.nodeName === undefined ? "BandwidthNodes" : `BandwidthNode ${options.nodeName}`,
    ...(options.nodeName === undefined ? {} : { fieldSelector: `metadata.name=${options.nodeName}` }),
    log: options.log,
    access: options.access,
    backoff: options.backoff,
    notServed: { log: "pacer informer: BandwidthNode CRD not installed: ClusterWide budgets hold their floor on every node until it is (kubectl apply -f deploy/helm/pacer/crds/)", action: "install the chart's crds/ (kubectl apply -f deploy/helm/pacer/crds/)" },
    startReturnsOnFailure: true,
  });
}
