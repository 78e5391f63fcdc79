/**
 * pacer's chart in the real cluster: rendered by the real helm (`helm template --include-crds` for the
 * server's version: the CRDs first, as `helm install` creates them), applied with kubectl, and read back for what the agent needs from it — its ServiceAccount, its ClusterRole
 * and the DaemonSet's container (command, args, env, mounts). The DaemonSet cannot run without a kubelet; the
 * lab starts its container's command itself (chart-agent.ts).
 */
import { renderChart, type Container, type KubeObject, type PodSpec } from "../chart/helm-cli.js";
import type { Kubectl } from "./kubectl.js";

export interface ClusterRoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface RenderedChart {
  objects: KubeObject[];
  namespace: string;
  serviceAccount: string;
  clusterRole: KubeObject & { rules: ClusterRoleRule[] };
  /** The Role in the release namespace (the allocator's Lease). */
  role: KubeObject & { rules: ClusterRoleRule[] };
  podSpec: PodSpec;
  container: Container;
}

const one = (objects: KubeObject[], kind: string): KubeObject => {
  const found = objects.filter((object) => object.kind === kind);
  if (found.length !== 1) throw new Error(`the chart renders ${found.length} ${kind} objects, expected 1`);
  return found[0] as KubeObject;
};

/** `helm template pacer deploy/helm/pacer -n <namespace> --kube-version <version> --include-crds` with `values`. */
export function renderPacerChart(options: { kubeVersion: string; namespace?: string; values?: object }): RenderedChart {
  const namespace = options.namespace ?? "kube-system";
  const objects = renderChart(options.values ?? {}, { namespace, kubeVersion: options.kubeVersion.replace(/^v/, ""), includeCrds: true });
  const daemonSet = one(objects, "DaemonSet") as KubeObject & { spec: { template: { spec: PodSpec } } };
  const podSpec = daemonSet.spec.template.spec;
  const container = podSpec.containers.find((candidate) => candidate.name === "pacer");
  if (container === undefined) throw new Error("the chart's DaemonSet has no container named pacer");
  return {
    objects, namespace, serviceAccount: podSpec.serviceAccountName,
    clusterRole: one(objects, "ClusterRole") as RenderedChart["clusterRole"], role: one(objects, "Role") as RenderedChart["role"], podSpec, container,
  };
}

/** The rendered objects as one multi-document YAML stream for `kubectl apply -f -`. */
export const asManifest = (objects: readonly object[]): string => objects.map((object) => JSON.stringify(object)).join("\n---\n");

/** The chart's CustomResourceDefinitions (its crds/). */
export const crdsOf = (chart: RenderedChart): KubeObject[] => chart.objects.filter((object) => object.kind === "CustomResourceDefinition");

/**
 * Waits until each CRD is Established, as `helm install` does before the templates, and its objects can be
 * listed: for a moment after that a list still answers 429 "storage is (re)initializing".
 */
export async function crdsEstablished(kubectl: Kubectl, crds: readonly KubeObject[]): Promise<void> {
  for (const crd of crds) {
    await kubectl.run(["wait", "--for=condition=Established", "--timeout=60s", `crd/${crd.metadata.name}`]);
    const deadline = Date.now() + 30_000;
    while ((await kubectl.run(["get", crd.metadata.name, "--all-namespaces"], { allowFailure: true })).exitCode !== 0) {
      if (Date.now() > deadline) throw new Error(`kubectl get ${crd.metadata.name}: still failing 30 s after the CRD was established`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Applies every object the chart renders, CRDs established first; returns kubectl's output (one line per object). */
export async function applyChart(kubectl: Kubectl, chart: RenderedChart): Promise<string> {
  const crds = crdsOf(chart);
  const applied = crds.length > 0 ? await kubectl.apply(asManifest(crds)) : "";
  await crdsEstablished(kubectl, crds);
  return applied + (await kubectl.apply(asManifest(chart.objects.filter((object) => object.kind !== "CustomResourceDefinition"))));
}

/** The chart's ClusterRole or Role without one verb on one resource (pure). */
export function withoutVerb(role: RenderedChart["clusterRole"], resource: string, verb: string): RenderedChart["clusterRole"] {
  const rules = role.rules
    .map((rule) => (rule.resources.includes(resource) ? { ...rule, verbs: rule.verbs.filter((candidate) => candidate !== verb) } : rule))
    .filter((rule) => rule.verbs.length > 0);
  return { ...role, rules };
}

/** Every (resource, verb) a ClusterRole or Role grants, in its order (pure). */
export const grantedVerbs = (role: RenderedChart["clusterRole"]): Array<{ resource: string; verb: string }> =>
  role.rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => ({ resource, verb }))));

/** A ServiceAccount token for the chart's account (TokenRequest, as the kubelet projects one). */
export async function serviceAccountToken(kubectl: Kubectl, chart: RenderedChart, duration = "2h"): Promise<string> {
  return (await kubectl.run(["create", "token", chart.serviceAccount, "-n", chart.namespace, `--duration=${duration}`])).stdout.trim();
}
