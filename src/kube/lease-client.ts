/**
 * The allocator's Lease (coordination.k8s.io/v1, `pacer-allocator` in the agent's namespace) for
 * src/budgets/leader-election.ts: `get` every retry period, `create` when absent, `update` (PUT) carrying the
 * resourceVersion of the GET, so of two candidates updating the same record only one wins (409 for the
 * other). Times on the wire are RFC 3339 with microseconds (MicroTime); the election compares them only for
 * equality, never with its own clock.
 */
import type { ApiAccess } from "./api/access.js";
import type { ApiConnection } from "./api/connection.js";
import { describeApiError, KubeApiError, kubeRequest, type KubeRequest } from "./api/request.js";
import type { LeaseRecord, ObservedLease } from "../budgets/leader-election.js";

export const ALLOCATOR_LEASE_NAME = "pacer-allocator";
const API_GROUP = "coordination.k8s.io";

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const microTime = (ms: number): string => `${new Date(Math.floor(ms)).toISOString().slice(0, 23)}000Z`;
const parseTime = (text: string | undefined): number => (text === undefined ? 0 : Date.parse(text) || 0);

/** A Lease object ↔ the election's record (pure). */
export function recordOf(lease: LeaseObject): ObservedLease {
  const spec = lease.spec ?? {};
  return {
    record: {
      holderIdentity: spec.holderIdentity ?? "",
      leaseDurationMs: (spec.leaseDurationSeconds ?? 0) * 1000,
      acquireTimeMs: parseTime(spec.acquireTime),
      renewTimeMs: parseTime(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
    resourceVersion: lease.metadata.resourceVersion ?? "",
  };
}

export function leaseObject(namespace: string, name: string, record: LeaseRecord, resourceVersion?: string): LeaseObject {
  return {
    apiVersion: `${API_GROUP}/v1`,
    kind: "Lease",
    metadata: { name, namespace, ...(resourceVersion === undefined ? {} : { resourceVersion }) },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: Math.ceil(record.leaseDurationMs / 1000),
      acquireTime: microTime(record.acquireTimeMs),
      renewTime: microTime(record.renewTimeMs),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

export class LeaseClient {
  private readonly path: string;

  constructor(private readonly api: ApiConnection, private readonly namespace: string, private readonly name = ALLOCATOR_LEASE_NAME, private readonly access?: ApiAccess) {
    this.path = `/apis/${API_GROUP}/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  private async request(verb: string, request: KubeRequest, notAProblem: number[]): Promise<LeaseObject> {
    try {
      const result = await kubeRequest<LeaseObject>(this.api, { timeoutMilliseconds: 5000, ...request });
      this.access?.succeeded(verb, "leases");
      return result;
    } catch (error) {
      if (error instanceof KubeApiError && notAProblem.includes(error.statusCode)) this.access?.succeeded(verb, "leases");
      else this.access?.failed(verb, "leases", error, describeApiError(error), { apiGroup: API_GROUP });
      throw error;
    }
  }

  /** The Lease, "absent", or "unreachable" (any other failure: the election waits). */
  async get(): Promise<ObservedLease | "absent" | "unreachable"> {
    try {
      return recordOf(await this.request("get", { method: "GET", path: `${this.path}/${encodeURIComponent(this.name)}` }, [404]));
    } catch (error) {
      return error instanceof KubeApiError && error.statusCode === 404 ? "absent" : "unreachable";
    }
  }

  /** Creates (no resourceVersion) or updates the Lease; a lost race (409) or any failure is `{ ok: false }`. */
  async write(record: LeaseRecord, resourceVersion?: string): Promise<{ ok: true; lease: ObservedLease } | { ok: false }> {
    try {
      const body = leaseObject(this.namespace, this.name, record, resourceVersion);
      const written = resourceVersion === undefined
        ? await this.request("create", { method: "POST", path: this.path, body }, [409])
        : await this.request("update", { method: "PUT", path: `${this.path}/${encodeURIComponent(this.name)}`, body }, [409]);
      return { ok: true, lease: recordOf(written) };
    } catch {
      return { ok: false };
    }
  }
}
