/**
 * The Kubernetes sources beside Pods, one set of cases for any API server (backend.ts): Nodes → "node
 * podCIDRs" and "node InternalIPs" (union, both families, heartbeats change nothing), the server's own
 * ServiceCIDR, BandwidthBudgets listed and watched, a bad budget's Accepted=False status and its single
 * InvalidBandwidthBudget Event with two agents writing, a missing CRD that blocks nothing and is picked up
 * once installed, and RBAC refusals told to `pacer status` with their API group. object-sources.test.ts runs
 * it against the test double and a real kube-apiserver.
 */
import { after, afterEach, before, it } from "node:test";
import assert from "node:assert/strict";
import { ApiAccess } from "../../src/kube/api/access.js";
import { CRD_NOT_INSTALLED, createBudgetSource } from "../../src/kube/budget-informer.js";
import { BudgetStatusWriter, INVALID_BUDGET_REASON } from "../../src/kube/budget-status-writer.js";
import { KubernetesEventSink } from "../../src/kube/kubernetes-events.js";
import type { ObjectEvent, ObjectSource } from "../../src/kube/pod.js";
import { createNodeRangeSource, createServiceCidrRangeSource } from "../../src/kube/range-informers.js";
import type { BudgetObjectWithStatus, Condition } from "../../src/budgets/budget-status.js";
import type { RangeSource } from "../../src/scope/range-source.js";
import type { KubeSuiteBackend } from "./backend.js";
import { until } from "./informer-suite.js";

const fast = { initialMilliseconds: 50, maxMilliseconds: 400 };
const valid = { podSelector: { matchLabels: { app: "crawler" } }, egress: "10M" };
const accepted = (object: BudgetObjectWithStatus | null): Condition | undefined => object?.status?.conditions?.find((condition) => condition.type === "Accepted");

/** The latest prefixes per range source, and every update in order. */
class RangeRecorder {
  readonly updates: string[] = [];
  readonly state = new Map<string, readonly string[]>();
  readonly update = (source: string, prefixes: readonly string[]): void => {
    this.updates.push(`${source}=${prefixes.join(",")}`);
    this.state.set(source, prefixes);
  };
}

/** Budgets by name as a source delivered them. */
class BudgetRecorder {
  readonly events: Array<ObjectEvent<BudgetObjectWithStatus>> = [];
  readonly state = new Map<string, BudgetObjectWithStatus>();
  readonly handle = (event: ObjectEvent<BudgetObjectWithStatus>): void => {
    this.events.push(event);
    const name = (object: BudgetObjectWithStatus) => object.metadata?.name ?? "";
    if (event.type === "sync") for (const object of event.objects) this.state.set(name(object), object);
    else if (event.type === "upsert") this.state.set(name(event.object), event.object);
    else this.state.delete(name(event.object));
  };
}

export function objectSourcesSuite(start: () => Promise<KubeSuiteBackend>): void {
  let backend: KubeSuiteBackend;
  let logLines: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  const nodes = new Set<string>();
  const budgets = new Set<string>();
  before(async () => {
    backend = await start();
  });
  after(async () => backend?.close());
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await backend.heal();
    await backend.setBudgetCrdInstalled(true);
    for (const name of nodes) await backend.deleteNode(name).catch(() => undefined);
    for (const name of budgets) await backend.deleteBudget(name).catch(() => undefined);
    nodes.clear();
    budgets.clear();
  });
  const log = (line: string) => logLines.push(line);
  const options = (access = new ApiAccess()) => ({ kubeconfig: backend.kubeconfig, access, log, backoff: fast });
  const started = async (source: RangeSource, recorder: RangeRecorder): Promise<void> => {
    stops.push(() => source.stop());
    await source.start(recorder.update);
  };
  const budgetSource = async (recorder: BudgetRecorder, access = new ApiAccess()): Promise<ObjectSource<BudgetObjectWithStatus>> => {
    const source = createBudgetSource({ ...options(access), notServedBackoff: fast });
    stops.push(() => source.stop());
    await source.start(recorder.handle);
    return source;
  };
  const applyBudget = async (name: string, spec: Record<string, unknown>) => {
    budgets.add(name);
    await backend.applyBudget(name, spec);
  };
  const wait = (what: string, predicate: () => boolean | Promise<boolean>, detail: () => string = () => "") =>
    until(what, predicate, () => `${detail()}; log: ${logLines.slice(-4).join(" | ")}`);

  it("Nodes: the union of every node's podCIDRs and InternalIPs, both families; a heartbeat changes nothing; a node gone takes its ranges", async () => {
    logLines = [];
    const tag = `pk${process.pid % 1000}`;
    const [a, b, c] = [`${tag}-node-a`, `${tag}-node-b`, `${tag}-node-c`];
    for (const name of [a, b, c]) nodes.add(name);
    await backend.createNode({ name: a, podCIDRs: ["10.244.1.0/24", "fd00:244:1::/64"], addresses: [{ type: "InternalIP", address: "192.168.50.1" }, { type: "InternalIP", address: "fd00:50::1" }, { type: "Hostname", address: a }] });
    await backend.createNode({ name: b, podCIDRs: ["10.244.2.0/24"], addresses: [{ type: "InternalIP", address: "192.168.50.2" }, { type: "ExternalIP", address: "203.0.113.2" }] });
    const recorder = new RangeRecorder();
    await started(createNodeRangeSource(options()), recorder);
    assert.deepEqual(recorder.state.get("node podCIDRs"), ["10.244.1.0/24", "10.244.2.0/24", "fd00:244:1::/64"]);
    assert.deepEqual(recorder.state.get("node InternalIPs"), ["192.168.50.1", "192.168.50.2", "fd00:50::1"]);
    const before = recorder.updates.length;
    await backend.touchNode(a);
    await backend.createNode({ name: c, podCIDRs: ["10.244.3.0/24"], addresses: [{ type: "InternalIP", address: "192.168.50.3" }] });
    await wait("node c's ranges", () => recorder.state.get("node podCIDRs")?.includes("10.244.3.0/24") === true && recorder.state.get("node InternalIPs")?.includes("192.168.50.3") === true);
    assert.equal(recorder.updates.length - before, 2, `the heartbeat said nothing, node c two things: ${recorder.updates.slice(before).join(" | ")}`);
    await backend.deleteNode(b);
    await wait("node b's ranges gone", () => !recorder.state.get("node podCIDRs")?.includes("10.244.2.0/24") && !recorder.state.get("node InternalIPs")?.includes("192.168.50.2"));
    assert.deepEqual(recorder.state.get("node podCIDRs"), ["10.244.1.0/24", "10.244.3.0/24", "fd00:244:1::/64"]);
  });

  it("ServiceCIDRs: the server's own \"kubernetes\" (from --service-cluster-ip-range) is inside", async () => {
    const recorder = new RangeRecorder();
    await started(createServiceCidrRangeSource(options()), recorder);
    assert.deepEqual(recorder.state.get("ServiceCIDR kubernetes"), ["10.0.0.0/24"]);
  });

  it("BandwidthBudgets of every namespace: sync, add, edit (a new generation), delete", async () => {
    await applyBudget("s1", valid);
    const recorder = new BudgetRecorder();
    await budgetSource(recorder);
    assert.equal(recorder.events[0]?.type, "sync");
    assert.equal(recorder.state.get("s1")?.metadata?.namespace, backend.namespace);
    assert.equal(recorder.state.get("s1")?.metadata?.generation, 1);
    await applyBudget("s2", { ...valid, ingress: "5M", scope: "All" });
    await applyBudget("s1", { ...valid, egress: "20M" });
    await backend.deleteBudget("s2");
    await wait("s1 edited and s2 gone", () => recorder.state.get("s1")?.spec?.egress === "20M" && !recorder.state.has("s2") && recorder.events.some((event) => event.type === "delete"));
    assert.equal(recorder.state.get("s1")?.metadata?.generation, 2);
    assert.equal(recorder.state.get("s1")?.spec?.mode, backend.name.startsWith("kube-apiserver") ? "PerNode" : undefined, "the CRD's default (the double has no defaulting)");
  });

  it("a bad budget: Accepted=False with the parser's message and one InvalidBandwidthBudget Event though two agents write; fixed: Accepted=True", async () => {
    const agents = [0, 1].map(() => {
      const events = new KubernetesEventSink({ kubeconfig: backend.kubeconfig, nodeName: "pk-node", log });
      const writer = new BudgetStatusWriter({ kubeconfig: backend.kubeconfig, events, log, jitterMilliseconds: 0 });
      stops.push(async () => {
        await writer.close();
        await events.close();
      });
      return { events, writer };
    });
    for (const agent of agents) {
      const source = createBudgetSource(options());
      stops.push(() => source.stop());
      await source.start((event) => agent.writer.apply(event));
    }
    await applyBudget("bad", { podSelector: { matchLabels: { app: "crawler" } }, egress: "10Q" });
    await wait("Accepted=False", async () => accepted(await backend.budget("bad"))?.status === "False");
    const written = await backend.budget("bad");
    assert.equal(written?.status?.observedGeneration, 1);
    assert.equal(accepted(written)?.reason, "Invalid");
    assert.match(accepted(written)?.message ?? "", /^spec\.egress "10Q" is invalid: /);
    for (const agent of agents) await agent.writer.idle();
    for (const agent of agents) await agent.events.idle();
    const events = (await backend.events("bad")).filter((event) => event.reason === INVALID_BUDGET_REASON);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]?.count, 1, "one agent's patch changed the status: one Event");
    assert.equal(events[0]?.type, "Warning");
    assert.deepEqual({ ...events[0]?.involvedObject, resourceVersion: undefined }, {
      kind: "BandwidthBudget", apiVersion: "pacer.dev/v1alpha1", namespace: backend.namespace, name: "bad", uid: written?.metadata?.uid, resourceVersion: undefined,
    });
    assert.equal(events[0]?.message, accepted(written)?.message);

    await applyBudget("bad", valid);
    await wait("Accepted=True", async () => accepted(await backend.budget("bad"))?.status === "True");
    assert.equal((await backend.budget("bad"))?.status?.observedGeneration, 2);
    await applyBudget("bad", { ...valid, egress: "1m" });
    await wait("the last valid version said to stay", async () => /its last valid version stays in force$/.test(accepted(await backend.budget("bad"))?.message ?? ""));
  });

  it("without the CRD: start returns at once, pacer status says to install it, and once installed the budgets arrive", async () => {
    logLines = [];
    await backend.setBudgetCrdInstalled(false);
    const access = new ApiAccess();
    const recorder = new BudgetRecorder();
    const startedAt = Date.now();
    await budgetSource(recorder, access);
    assert.ok(Date.now() - startedAt < 3000, `start() returned after ${Date.now() - startedAt} ms`);
    const problem = access.problems().find((candidate) => candidate.resource === "bandwidthbudgets");
    assert.equal(problem?.statusCode, 404);
    assert.equal(problem?.action, CRD_NOT_INSTALLED);
    await wait("two retries", () => access.problems().length > 0 && logLines.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500)); // several retries at 50–400 ms
    assert.equal(logLines.filter((line) => line.includes(CRD_NOT_INSTALLED)).length, 1, `said once: ${logLines.join(" | ")}`);
    await backend.setBudgetCrdInstalled(true);
    await applyBudget("late", valid);
    await wait("the budget after the CRD", () => recorder.state.has("late"));
    assert.equal(recorder.events[0]?.type, "sync");
    await wait("the problem cleared", () => access.problems().length === 0);
    assert.ok(logLines.some((line) => /BandwidthBudgets: served now/.test(line)), logLines.join(" | "));
  });

  it("without RBAC patch on bandwidthbudgets/status: pacer status names it and its API group; granted again, the status is written", async () => {
    const access = new ApiAccess();
    const events = new KubernetesEventSink({ kubeconfig: backend.kubeconfig, nodeName: "pk-node", log });
    const writer = new BudgetStatusWriter({ kubeconfig: backend.kubeconfig, events, access, log, jitterMilliseconds: 0, retry: fast });
    stops.push(async () => {
      await writer.close();
      await events.close();
    });
    await backend.setForbidden("patch", "bandwidthbudgets/status", true);
    try {
      const source = createBudgetSource(options());
      stops.push(() => source.stop());
      await source.start((event) => writer.apply(event));
      await applyBudget("denied", { podSelector: {}, ingress: "10Q" });
      await wait("a refused status write", () => access.problems().some((problem) => problem.resource === "bandwidthbudgets/status"), () => JSON.stringify(access.problems()));
      const problem = access.problems().find((candidate) => candidate.resource === "bandwidthbudgets/status");
      assert.equal(problem?.statusCode, 403);
      assert.match(problem?.action ?? "", /grant verb "patch" on resource "bandwidthbudgets\/status" \(API group "pacer.dev"\)/);
    } finally {
      await backend.setForbidden("patch", "bandwidthbudgets/status", false);
    }
    await wait("the status written after all", async () => accepted(await backend.budget("denied"))?.status === "False");
    await wait("the problem cleared", () => access.problems().length === 0);
  });

  it("without RBAC list on nodes: pacer status says which verb to grant; start does not wait for it", async () => {
    const access = new ApiAccess();
    await backend.setForbidden("list", "nodes", true);
    try {
      await started(createNodeRangeSource(options(access)), new RangeRecorder());
      const problem = access.problems().find((candidate) => candidate.resource === "nodes");
      assert.equal(problem?.statusCode, 403);
      assert.match(problem?.action ?? "", /grant verb "list" on resource "nodes" \(API group ""\)/);
    } finally {
      await backend.setForbidden("list", "nodes", false);
    }
    await wait("the problem cleared", () => access.problems().length === 0, () => JSON.stringify(access.problems()));
  });
}
