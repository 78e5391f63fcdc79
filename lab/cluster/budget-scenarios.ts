/**
 * A BandwidthBudget as an operator meets it with kubectl against the real API server (the CRD applied with
 * the chart): `egress: "10Q"` → `kubectl get bwb` shows ACCEPTED False, the condition carries the agent's
 * message, `kubectl get events` an InvalidBandwidthBudget Warning on the budget; fixed to 10M → True.
 * Then the agent's own view: the valid budget's row in `pacer list`, and an outside-cluster annotation
 * (`kubectl annotate pod netperf-client pacer.dev/external-egress-bandwidth=5M`) enforced beside it.
 * The budget selects the seed's netperf-client only, and both are removed afterwards, so the limits the
 * other scenarios measure never change.
 */
import { poll, runningAgent, type Check, type ClusterLab } from "./lab.js";

const NAME = "crawler-uplink";

const budget = (egress: string) => JSON.stringify({
  apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget",
  metadata: { name: NAME, namespace: "default" },
  spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "netperf-client" } }, egress },
});

/** A budget that selects no Pod, with a bad rate: the agent writes its status (RBAC scenarios provoke with it). */
export const invalidProbeBudget = (name: string): string => JSON.stringify({
  apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget",
  metadata: { name, namespace: "default" },
  spec: { podSelector: { matchLabels: { "pacer.dev/probe": name } }, egress: "7Q" },
});

/** A ClusterWide budget on the seed's netperf-client (the RBAC scenarios provoke the BandwidthNode and Lease verbs with it). */
export const clusterWideBudget = (name: string): string => JSON.stringify({
  apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget",
  metadata: { name, namespace: "default" },
  spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "netperf-client" } }, egress: "400M", mode: "ClusterWide", minPerNode: "40M" },
});

/**
 * A ClusterWide budget with kubectl: the agent takes the allocator's Lease, writes its BandwidthNode, gets
 * an allocation (`kubectl get bwnode` shows the report answered), and `pacer status` shows its share with an
 * expiry; removed afterwards. Uses every BandwidthNode and Lease verb the chart grants (rbac-sufficient).
 */
export async function clusterWideShareVisible(lab: ClusterLab): Promise<Check> {
  const name = "crawler-cluster";
  try {
    await lab.kubectl.apply(clusterWideBudget(name));
    const started = performance.now();
    // The allocator's answer first: before it, the node holds the budget's floor without an expiry, and
    // `pacer status` says so ("until the allocator answers its report").
    const { value: node } = await poll("the allocation in kubectl get bwnode", async () => {
      const object = await lab.kubectl.json<{ spec?: { reportSeq?: number }; status?: { seenReportSeq?: number; allocations?: Array<{ name: string; bitsPerSecond: number }> } }>(["get", "bwnode", lab.nodeName]);
      return (object.status?.allocations ?? []).some((entry) => entry.name === name) ? object : undefined;
    }, 60_000);
    const { value: line } = await poll("pacer status showing the leader and a share with its expiry", async () => {
      const text = await runningAgent(lab).statusText();
      return /allocator leader/.test(text) ? text.split("\n").find((candidate) => candidate.includes(`default/${name}/`) && /falls back to/.test(candidate)) : undefined;
    }, 60_000);
    const ms = performance.now() - started;
    const lease = await lab.kubectl.json<{ spec?: { holderIdentity?: string } }>(["-n", lab.chart.namespace, "get", "lease", "pacer-allocator"]);
    const allocation = node.status?.allocations?.find((entry) => entry.name === name)?.bitsPerSecond ?? -1;
    // 0 is a right answer here: netperf-client sends nothing during this check, so its node released the
    // share (node-shares.ts) and enforces the floor by itself, with the expiry status shows.
    const pass = lease.spec?.holderIdentity === lab.nodeName && allocation >= 0 && allocation <= 380_000_000 && line !== undefined;
    return {
      name: "cluster-wide-share-visible", pass,
      detail: `a 400M ClusterWide budget on netperf-client: ${ms.toFixed(0)} ms later pacer status says "${(line ?? "").trim()}"; the Lease pacer-allocator is held by ${lease.spec?.holderIdentity}; BandwidthNode ${lab.nodeName}: report ${node.spec?.reportSeq}, answered ${node.status?.seenReportSeq}, allocation ${allocation} bit/s${allocation === 0 ? " (the Pod is idle: the node released its share and holds the floor)" : ""}`,
    };
  } finally {
    await lab.kubectl.run(["delete", "bwb", name, "--ignore-not-found"]);
  }
}

interface BudgetJson {
  status?: { conditions?: Array<{ type: string; status: string; message: string }> };
}

export async function budgetStatusVisible(lab: ClusterLab): Promise<Check> {
  const acceptedOf = async (status: string) => {
    const object = await lab.kubectl.json<BudgetJson>(["get", "bwb", NAME]);
    return object.status?.conditions?.find((condition) => condition.type === "Accepted" && condition.status === status);
  };
  try {
    await lab.kubectl.apply(budget("10Q"));
    const { value: condition, ms } = await poll("Accepted=False", () => acceptedOf("False"), 60_000);
    const table = (await lab.kubectl.run(["get", "bwb", NAME])).stdout.trim().split("\n");
    const { value: events } = await poll("the InvalidBandwidthBudget Event", async () => {
      const listed = await lab.kubectl.json<{ items: Array<{ type: string; message: string; count?: number }> }>(["get", "events", "--field-selector", `involvedObject.name=${NAME},reason=InvalidBandwidthBudget`]);
      return listed.items.length > 0 ? listed.items : undefined;
    });
    await lab.kubectl.apply(budget("10M"));
    const { ms: fixedMs } = await poll("Accepted=True", () => acceptedOf("True"), 60_000);
    const clientRow = async (matches: (row: Awaited<ReturnType<ReturnType<typeof runningAgent>["list"]>>[number]) => boolean) =>
      (await runningAgent(lab).list()).find((row) => row.name === "netperf-client" && row.direction === "egress" && matches(row));
    const { ms: listedMs } = await poll("the budget in pacer list", () => clientRow((row) => (row.budgets ?? []).includes(`default/${NAME}`)), 60_000);
    await lab.kubectl.run(["annotate", "pod", "netperf-client", "pacer.dev/external-egress-bandwidth=5M", "--overwrite"]);
    const { ms: externalMs } = await poll("the outside-cluster limit enforced", () => clientRow((row) => row.enforcedExternalBitsPerSecond === 5_000_000), 60_000);
    const pass = /ACCEPTED/.test(table[0] ?? "") && /\bFalse\b/.test(table[1] ?? "") && /spec\.egress "10Q" is invalid/.test(condition.message) && events.length === 1 && events[0]?.type === "Warning";
    return {
      name: "budget-status-visible", pass,
      detail: `kubectl apply a BandwidthBudget with egress: "10Q": Accepted=False ${ms.toFixed(0)} ms later ("${condition.message}"); kubectl get bwb: "${table.map((line) => line.replace(/\s+/g, " ")).join(" / ")}"; ${events.length} InvalidBandwidthBudget Event(s) (${events[0]?.type}, count ${events[0]?.count}); fixed to 10M: Accepted=True ${fixedMs.toFixed(0)} ms later, netperf-client's row in pacer list names the budget ${listedMs.toFixed(0)} ms after that; kubectl annotate pacer.dev/external-egress-bandwidth=5M: enforced ${externalMs.toFixed(0)} ms later`,
    };
  } finally {
    await lab.kubectl.run(["annotate", "pod", "netperf-client", "pacer.dev/external-egress-bandwidth-"]).catch(() => undefined);
    await lab.kubectl.run(["delete", "bwb", NAME, "--ignore-not-found"]);
  }
}
