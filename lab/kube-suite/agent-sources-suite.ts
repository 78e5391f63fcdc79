/**
 * The agent in Kubernetes mode (its own informers, Event sink and status writer; the in-memory datapath and
 * a test-double resolver stand in for the kernel), one set of cases for any API server (backend.ts): what it
 * believes is inside the cluster (its Node, the server's ServiceCIDR, --internal-cidrs) reaches the
 * datapath; a budget's members follow Pod labels edited live; a bad budget gets Accepted=False, an Event and
 * a line in `pacer budgets`; `kubectl get bwb` shows the printer columns; without the CRD the agent starts,
 * limits Pods and says what to install, and takes budgets once it is there.
 * agent-sources.test.ts runs it against the test double and a real kube-apiserver.
 */
import { after, afterEach, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { FakeResolver } from "../../src/bandwidth/testing/fakes.js";
import { loadConfig, type AgentConfig } from "../../src/config/config.js";
import { FakeDatapath, FakeKernel } from "../../src/datapath/testing/fake.js";
import { startAgent, type RunningAgent } from "../../src/agent/agent.js";
import { CRD_NOT_INSTALLED } from "../../src/kube/budget-informer.js";
import { INVALID_BUDGET_REASON } from "../../src/kube/budget-status-writer.js";
import { fetchBudgets, fetchRanges } from "../../src/status/client.js";
import { closeConnection } from "../../src/kube/api/connection.js";
import { loadApiConnection } from "../../src/kube/api/load.js";
import { BandwidthNodeClient } from "../../src/kube/bandwidth-nodes.js";
import { allocationsOf, reportOf } from "../../src/budgets/wire.js";
import type { KubeSuiteBackend } from "./backend.js";
import { until } from "./informer-suite.js";

const EGRESS = "kubernetes.io/egress-bandwidth";

export function agentSourcesSuite(start: () => Promise<KubeSuiteBackend>): void {
  let backend: KubeSuiteBackend;
  let workDir: string;
  let config: AgentConfig;
  let kernel: FakeKernel;
  let agent: RunningAgent | null = null;
  let logLines: string[] = [];
  const node = `pk-agent-${process.pid % 1000}`;
  const pods = new Set<string>();
  const budgets = new Set<string>();

  before(async () => {
    backend = await start();
    workDir = await mkdtemp(join(tmpdir(), `pk-agent-sources-${process.pid}-`));
    config = {
      ...loadConfig({ args: [], env: {} }),
      kubeconfig: backend.kubeconfig, nodeName: node, internalCidrs: ["192.0.2.0/24"],
      socketPath: join(workDir, "pacer.sock"), stateDir: join(workDir, "state"), metricsAddress: "", leaseNamespace: backend.releaseNamespace,
    };
    await backend.createNode({ name: node, podCIDRs: ["10.244.7.0/24", "fd00:244:7::/64"], addresses: [{ type: "InternalIP", address: "192.168.70.7" }] });
  });
  after(async () => {
    await backend?.deleteNode(node).catch(() => undefined);
    await backend?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await backend.setBudgetCrdInstalled(true);
    for (const name of pods) await backend.deletePod(name).catch(() => undefined);
    for (const name of budgets) await backend.deleteBudget(name).catch(() => undefined);
    pods.clear();
    budgets.clear();
  });
  /** `kept`: the kernel a previous agent left (pinned maps survive a restart); else a fresh one. */
  const startTheAgent = async (kept?: FakeKernel): Promise<RunningAgent> => {
    logLines = [];
    kernel = kept ?? new FakeKernel();
    agent = await startAgent(config, {
      datapath: new FakeDatapath(kernel), probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new FakeResolver(), devices: async () => ["eth0"], log: (line) => logLines.push(line),
    });
    return agent;
  };
  const createPod = async (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => {
    pods.add(name);
    await backend.createPod({ name, nodeName: node, labels, annotations });
  };
  const applyBudget = async (name: string, spec: Record<string, unknown>) => {
    budgets.add(name);
    await backend.applyBudget(name, spec);
  };
  const membersOf = async (budget: string): Promise<string[]> =>
    (await fetchBudgets(config.socketPath)).budgets.filter((row) => row.name === budget && row.direction === "egress").flatMap((row) => row.members.map((key) => key.split("/")[1] ?? "")).sort();
  const wait = (what: string, predicate: () => boolean | Promise<boolean>, detail: () => string | Promise<string> = () => "", timeoutMs = 20_000) => {
    let said = "";
    return until(what, async () => {
      said = await detail();
      return predicate();
    }, () => `${said}; log: ${logLines.slice(-6).join(" | ")}`, timeoutMs);
  };

  it("inside the cluster: its Node's podCIDRs and InternalIP, the server's ServiceCIDR and --internal-cidrs, in pacer ranges and the datapath", async () => {
    await startTheAgent();
    const report = await fetchRanges(config.socketPath);
    const sourcesOf = (prefix: string) => report.ranges.find((range) => range.prefix === prefix)?.sources;
    assert.deepEqual(sourcesOf("10.244.7.0/24"), ["node podCIDRs"]);
    assert.deepEqual(sourcesOf("fd00:244:7::/64"), ["node podCIDRs"]);
    assert.deepEqual(sourcesOf("192.168.70.7/32"), ["node InternalIPs"]);
    assert.deepEqual(sourcesOf("10.0.0.0/24"), ["ServiceCIDR kubernetes"]);
    assert.deepEqual(sourcesOf("192.0.2.0/24"), ["configured (--internal-cidrs)"]);
    await agent?.idle();
    for (const prefix of ["10.244.7.0/24", "fd00:244:7::/64", "192.168.70.7/32", "10.0.0.0/24", "192.0.2.0/24"]) assert.ok(kernel.internalRanges.includes(prefix), `${prefix} in ${kernel.internalRanges.join(",")}`);
    await wait("no API problem", () => agent?.status().kubernetesApi.length === 0, () => JSON.stringify(agent?.status().kubernetesApi));
  });

  it("a budget's members follow Pod labels edited live; a bad budget gets Accepted=False, its Event and a line in pacer budgets", async () => {
    await applyBudget("shared", { podSelector: { matchLabels: { app: "crawler" } }, egress: "10M" });
    await createPod("m1", { app: "crawler" });
    await createPod("m2", { app: "crawler" });
    await createPod("m3", { app: "web" });
    await startTheAgent();
    await wait("m1 and m2 share the budget", async () => (await membersOf("shared")).join() === "m1,m2", async () => JSON.stringify(await membersOf("shared")));
    await backend.setLabels("m2", { app: "web" });
    await backend.setLabels("m3", { app: "crawler" });
    await wait("m2 out, m3 in", async () => (await membersOf("shared")).join() === "m1,m3", async () => JSON.stringify(await membersOf("shared")));
    // The status is written on its own schedule: the members can be right before it is there.
    await wait("Accepted=True", async () => (await backend.budget("shared"))?.status?.conditions?.find((condition) => condition.type === "Accepted")?.status === "True");

    await applyBudget("broken", { podSelector: { matchLabels: { app: "crawler" } }, egress: "10Q" });
    await wait("Accepted=False", async () => (await backend.budget("broken"))?.status?.conditions?.some((condition) => condition.type === "Accepted" && condition.status === "False") === true);
    await wait("the Event", async () => (await backend.events("broken")).some((event) => event.reason === INVALID_BUDGET_REASON));
    const problem = (await fetchBudgets(config.socketPath)).problems.find((candidate) => candidate.name === "broken");
    assert.match(problem?.problems.join() ?? "", /spec\.egress "10Q" is invalid/);
    assert.deepEqual(await membersOf("shared"), ["m1", "m3"], "a bad budget breaks nothing else");

    const table = await backend.budgetsTable();
    if (table !== null) {
      // kubectl leaves a printer column blank when its path is empty (no ingress): cut by the header's columns
      const [header = "", ...lines] = table.trimEnd().split("\n");
      const names = header.trim().split(/\s+/);
      const starts = names.map((name) => header.indexOf(name));
      const cells = (line: string) => starts.map((begin, index) => line.slice(begin, starts[index + 1] ?? line.length).trim());
      assert.deepEqual(names, ["NAME", "EGRESS", "INGRESS", "SCOPE", "MODE", "ACCEPTED", "DEMAND", "ALLOCATED", "NODES", "AGE"], table);
      assert.deepEqual(lines.map((line) => cells(line).slice(0, 6)), [
        ["broken", "10Q", "", "OutsideCluster", "PerNode", "False"],
        ["shared", "10M", "", "OutsideCluster", "PerNode", "True"],
      ], table);
    }
  });

  it("a ClusterWide budget: the agent takes the allocator's Lease, reports in its own BandwidthNode, and enforces its allocation with an expiry and a floor to fall back to", async () => {
    await applyBudget("cw", { podSelector: { matchLabels: { app: "crawler" } }, egress: "10M", mode: "ClusterWide", minPerNode: "200k" });
    await createPod("w1", { app: "crawler" });
    await startTheAgent();
    const uid = (await backend.budget("cw"))?.metadata?.uid ?? "";
    const timeline = (): { bitsPerSecond: number; expiresInMs?: number; fallbackBitsPerSecond?: number } | undefined =>
      [...kernel.budgets.values()].find(({ share }) => share.key === `${backend.namespace}/cw/${uid}`)?.share;
    await wait("the budget's timeline at the floor", () => timeline()?.bitsPerSecond === 200_000, () => JSON.stringify(timeline()));
    // w1 sends more than the floor lets through: its timeline counts bytes and holds packets back
    const sender = setInterval(() => kernel.send(`${backend.namespace}/cw/${uid}`, "egress", 25_000, 10), 100);
    try {
      await wait("an allocation above the floor", () => (timeline()?.bitsPerSecond ?? 0) > 1_000_000, () => JSON.stringify([timeline(), agent?.status().clusterBudgets]), 30_000);
    } finally {
      clearInterval(sender);
    }
    const share = timeline()!;
    assert.ok(share.bitsPerSecond <= 9_500_000, `never above the budget less its 5% reserve: ${share.bitsPerSecond}`);
    assert.ok((share.expiresInMs ?? 0) > 60_000 && (share.expiresInMs ?? 0) <= 90_000, `the kernel falls back by itself unless renewed: ${share.expiresInMs}`);
    assert.equal(share.fallbackBitsPerSecond, 200_000, "to the floor, never unlimited, never zero");
    const status = agent?.status().clusterBudgets;
    assert.equal(status?.allocator, "leader");
    assert.ok((status?.reportsWritten ?? 0) >= 1);
    const connection = await loadApiConnection(backend.kubeconfig);
    try {
      const own = await new BandwidthNodeClient(connection).get(node);
      const entry = own ? reportOf(own)?.budgets.get(`${backend.namespace}/cw/${uid}/Egress`) : undefined;
      assert.ok(entry && entry.members >= 1, JSON.stringify(own?.spec));
      const allocation = own ? allocationsOf(own)?.allocations.get(`${backend.namespace}/cw/${uid}/Egress`) : undefined;
      assert.ok(allocation && allocation.bitsPerSecond > 1_000_000, JSON.stringify(own?.status));
    } finally {
      closeConnection(connection);
    }
    await wait("no API problem", () => agent?.status().kubernetesApi.length === 0, () => JSON.stringify(agent?.status().kubernetesApi));

    // The agent goes away past its share's expiry: the kernel fell back to the floor, and that is what a new
    // agent adopts, not the share it fell back from (the allocator may have handed that to other nodes).
    await agent?.stop();
    agent = null;
    kernel.elapse(120_000);
    const restartedAt = kernel.budgetWrites.length;
    await startTheAgent(kernel);
    const written = () => kernel.budgetWrites.slice(restartedAt).filter((write) => write.key === `${backend.namespace}/cw/${uid}`);
    await wait("the restarted agent writes the timeline", () => written().length > 0);
    await sleep(3000); // the first samples, the allocator's first answer: w1 sends nothing now
    assert.deepEqual(written().filter((write) => write.bitsPerSecond > 200_000), [], "at the floor until the allocator answers");
  });

  it("without the CRD: the agent starts and limits Pods, pacer status says what to install; installed, budgets apply", async () => {
    await backend.setBudgetCrdInstalled(false);
    await createPod("c1", { app: "crawler" }, { [EGRESS]: "5M" });
    const startedAt = Date.now();
    await startTheAgent();
    assert.ok(Date.now() - startedAt < 5000, `startAgent took ${Date.now() - startedAt} ms`);
    await agent?.idle();
    await wait("c1 limited", () => agent?.rows().some((row) => row.name === "c1" && row.state === "enforced") === true, () => JSON.stringify(agent?.rows()));
    const problem = agent?.status().kubernetesApi.find((candidate) => candidate.resource === "bandwidthbudgets");
    assert.equal(problem?.statusCode, 404);
    assert.equal(problem?.action, CRD_NOT_INSTALLED);
    await backend.setBudgetCrdInstalled(true);
    await applyBudget("after", { podSelector: { matchLabels: { app: "crawler" } }, egress: "10M" });
    // the agent looks again 5–10 s after its first 404, then at most every 2 min
    await wait("the budget once the CRD is there", async () => (await membersOf("after")).join() === "c1", async () => JSON.stringify(agent?.status().kubernetesApi), 30_000);
    await wait("the problem cleared", () => agent?.status().kubernetesApi.length === 0, () => JSON.stringify(agent?.status().kubernetesApi));
  });
}
