/**
 * What the agent's Kubernetes API requests last met, per kind of request (verb + resource: "list pods",
 * "watch pods", "create events", "patch events"): the problems an operator has to act on — a verb the
 * ServiceAccount's ClusterRole does not grant (403), credentials the server refuses (401), a server that
 * cannot be reached or fails — each with what to do. `pacer status` shows them (src/status/api.ts); a kind of
 * request that succeeds again clears its problem. The Pod source and the Event sink report into one of these.
 */
export interface KubernetesApiProblem {
  /** e.g. "watch" */
  verb: string;
  /** e.g. "pods" */
  resource: string;
  /** The HTTP status, or null when no answer came (connection refused, timeout). */
  statusCode: number | null;
  /** What the server or the network said. */
  message: string;
  /** What to do about it. */
  action: string;
  /** When this kind of request first failed in a row (ISO 8601). */
  since: string;
}

/** The HTTP status of any API error (ours: statusCode; client-node's Watch: statusCode; others: code). */
export function statusCodeOf(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === "number") return statusCode;
  return typeof code === "number" ? code : null;
}

/** What an operator does about a failed `verb resource` request with this status (pure). */
export function actionFor(verb: string, resource: string, statusCode: number | null, apiGroup = ""): string {
  if (statusCode === 403 && resource === "leases") {
    return `grant verb "${verb}" on resource "leases" (API group "${apiGroup}") to the agent's ServiceAccount in the Lease's namespace (--lease-namespace, default the agent's own): it is in the rules of the chart's Role (deploy/helm/pacer/templates/role.yaml)`;
  }
  if (statusCode === 403) {
    return `grant verb "${verb}" on resource "${resource}" (API group "${apiGroup}") to the agent's ServiceAccount: it is in the rules of the chart's ClusterRole (deploy/helm/pacer/templates/clusterrole.yaml)`;
  }
  if (statusCode === 401) return "the API server does not accept the agent's credentials: check its ServiceAccount token (or --kubeconfig)";
  if (statusCode === null) return "the API server cannot be reached: the agent keeps every limit it enforces and retries";
  return "the agent keeps every limit it enforces and retries";
}

export class ApiAccess {
  private readonly failing = new Map<string, KubernetesApiProblem>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  succeeded(verb: string, resource: string): void {
    this.failing.delete(`${verb} ${resource}`);
  }

  /**
   * `apiGroup` names the group in what to grant (pods: "", bandwidthbudgets: "pacer.dev"); `action` replaces
   * the generic advice where the caller knows better (a 404 that means "the CRD is not installed").
   */
  failed(verb: string, resource: string, error: unknown, message: string, detail: { apiGroup?: string; action?: string } = {}): void {
    const key = `${verb} ${resource}`;
    const statusCode = statusCodeOf(error);
    const since = this.failing.get(key)?.since ?? this.now().toISOString();
    const action = detail.action ?? actionFor(verb, resource, statusCode, detail.apiGroup);
    this.failing.set(key, { verb, resource, statusCode, message, action, since });
  }

  /** The current problems, in the order they first appeared. */
  problems(): KubernetesApiProblem[] {
    return [...this.failing.values()];
  }
}
