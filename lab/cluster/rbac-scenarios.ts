/**
 * RBAC against the real authorizer:
 * - rbac-sufficient: over the whole run, under the chart's ClusterRole, the agent's log has no 403 and the
 *   server's audit log has no 403 for its ServiceAccount, and every verb the role grants was used.
 * - rbac-each-verb-needed: for each (resource, verb) the role grants, the role without it is applied, the
 *   agent restarted and made to need it; `pacer status` must name that verb and resource as forbidden. The
 *   list/watch of pods, nodes, servicecidrs and bandwidthbudgets happen at every start; events need a bad
 *   annotation; bandwidthbudgets/status a budget whose status the agent has to write; bandwidthnodes (patch,
 *   status patch) a ClusterWide budget on the node, their create (and the Lease's) the object deleted first.
 */
import { clusterWideBudget, invalidProbeBudget } from "./budget-scenarios.js";
import { asManifest, grantedVerbs, withoutVerb } from "./chart.js";
import { egressEnforcing, M, poll, restartAgent, runningAgent, type Check, type ClusterLab } from "./lab.js";

const EGRESS = "kubernetes.io/egress-bandwidth";
const PROBE_BUDGET = "rbac-probe";
const PROBE_CLUSTER_WIDE = "rbac-probe-cluster";

/** What the chart grants: its ClusterRole's rules, then its Role's (the allocator's Lease). */
const grantsOf = (lab: ClusterLab) => [
  ...grantedVerbs(lab.chart.clusterRole).map((grant) => ({ ...grant, role: lab.chart.clusterRole })),
  ...grantedVerbs(lab.chart.role).map((grant) => ({ ...grant, role: lab.chart.role })),
];

/** Before the restart: a create is needed only where the object is gone (the agent's BandwidthNode, the Lease). */
async function prepare(lab: ClusterLab, resource: string, verb: string): Promise<void> {
  if (verb !== "create") return;
  if (resource === "bandwidthnodes") await lab.kubectl.run(["delete", "bwnode", lab.nodeName, "--ignore-not-found"]);
  if (resource === "leases") await lab.kubectl.run(["-n", lab.chart.namespace, "delete", "lease", "pacer-allocator", "--ignore-not-found"]);
}

export async function rbacSufficient(lab: ClusterLab): Promise<Check> {
  const account = `system:serviceaccount:${lab.chart.namespace}:${lab.chart.serviceAccount}`;
  const records = (await lab.plane.audit()).filter((record) => record.user === account);
  // A kube-apiserver that is starting answers before its RBAC cache is filled: 403 for everyone, whatever
  // the roles. Those are the server's, not the role's; they are counted apart.
  const starting = (time: Date) => lab.plane.notReady.some((window) => time >= window.from && (window.to === null || time <= window.to));
  const forbidden = records.filter((record) => record.code === 403);
  const steadyForbidden = forbidden.filter((record) => !starting(new Date(record.requestReceivedTimestamp)));
  const logs = [...lab.agentLogs, lab.agent?.log() ?? ""].join("\n").split("\n");
  const logged403 = logs.filter((line) => /HTTP 403|forbidden/i.test(line));
  const steadyLogged = logged403.filter((line) => !starting(new Date(line.split(" ")[0] ?? "")));
  const used = new Set(records.map((record) => `${record.verb} ${record.resource}`));
  const granted = grantsOf(lab).map(({ resource, verb }) => `${verb} ${resource}`);
  const unused = granted.filter((grant) => !used.has(grant));
  return {
    name: "rbac-sufficient", pass: steadyForbidden.length === 0 && steadyLogged.length === 0 && unused.length === 0,
    detail: `the chart's ClusterRole grants ${granted.join(", ")}; ${records.length} requests by ${account} in the audit log, ${steadyForbidden.length} answered 403 by a ready server (${forbidden.length - steadyForbidden.length} more by a kube-apiserver still starting after a restart, before /readyz: its RBAC cache was not filled yet; the agent retried); agent log lines with HTTP 403 outside those windows: ${steadyLogged.length}${steadyLogged[0] ? ` ("${steadyLogged[0]}")` : ""}; granted but never used: ${unused.join(", ") || "none"}`,
  };
}

/**
 * Makes the running agent need `verb` on `resource`: a list and a watch happen at start; Events need an invalid
 * annotation, and patch the same mistake twice (the same message: both times after the same good 7M); a
 * budget's status needs a new bad budget (removed again by the caller).
 */
async function provoke(lab: ClusterLab, resource: string, verb: string): Promise<void> {
  if (resource === "bandwidthbudgets/status") {
    await lab.kubectl.apply(invalidProbeBudget(PROBE_BUDGET));
    return;
  }
  // a report (patch, and create when the object is gone) and the allocator's status write need a ClusterWide
  // budget with a member on the node; get, list and watch happen at every start, the Lease every 2 s
  if (resource.startsWith("bandwidthnodes")) {
    await lab.kubectl.apply(clusterWideBudget(PROBE_CLUSTER_WIDE));
    return;
  }
  if (resource !== "events") return;
  const annotate = (value: string) => lab.kubectl.run(["annotate", "--overwrite", "pod", "netperf-client", `${EGRESS}=${value}`]);
  const seen = (value: string) => poll(`${value} seen by the agent`, async () =>
    ((await runningAgent(lab).list()).some((row) => row.name === "netperf-client" && row.requested === value) ? true : undefined));
  await annotate("7M");
  await poll("7M enforced", () => egressEnforcing(lab, "netperf-client", 7 * M));
  await annotate("7Q");
  if (verb !== "patch") return;
  await seen("7Q");
  await annotate("7M");
  await poll("7M enforced", () => egressEnforcing(lab, "netperf-client", 7 * M));
  await annotate("7Q");
}

export async function rbacEachVerbNeeded(lab: ClusterLab): Promise<Check> {
  const results: string[] = [];
  let pass = true;
  for (const { resource, verb, role } of grantsOf(lab)) {
    await lab.kubectl.apply(asManifest([withoutVerb(role, resource, verb)]));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the authorizer's cache takes the change
      await prepare(lab, resource, verb);
      const agent = await restartAgent(lab);
      await provoke(lab, resource, verb);
      const found = await poll(`pacer status naming ${verb} ${resource} as forbidden`, async () =>
        (await agent.status()).kubernetesApi.find((problem) => problem.verb === verb && problem.resource === resource && problem.statusCode === 403), 60_000).catch(() => undefined);
      const line = (await agent.statusText()).split("\n").find((candidate) => candidate.startsWith(`Kubernetes API: ${verb} ${resource}`));
      if (found === undefined || line === undefined) pass = false;
      results.push(`without ${verb} ${resource}: ${line ?? "pacer status said nothing about it"}`);
    } finally {
      await lab.kubectl.apply(asManifest([lab.chart.clusterRole, lab.chart.role]));
      await lab.kubectl.run(["annotate", "pod", "netperf-client", `${EGRESS}-`], { allowFailure: true });
      await lab.kubectl.run(["delete", "bwb", PROBE_BUDGET, PROBE_CLUSTER_WIDE, "--ignore-not-found"], { allowFailure: true });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await restartAgent(lab);
  await poll("no API problem under the full role", async () => ((await runningAgent(lab).status()).kubernetesApi.length === 0 ? true : undefined), 60_000);
  return { name: "rbac-each-verb-needed", pass, detail: results.join("; ") };
}
