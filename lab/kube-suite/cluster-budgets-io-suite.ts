/**
 * The ClusterWide budget protocol's Kubernetes I/O, one set of cases for any API server (backend.ts): the
 * allocator's Lease (create once, a stale update refused, two electors → one leader), each agent's
 * BandwidthNode (created on its first report, owned by its Node; the report a merge patch that leaves the
 * allocations alone; a watch on one node's object sees only that one, the allocator's watch all of them),
 * the allocator's status write, the BandwidthBudget summary (next to the Accepted condition, and in
 * `kubectl get` on a real server), and a refused verb named in ApiAccess. cluster-budgets-io.test.ts runs it
 * against the test double and a real kube-apiserver.
 */
import { after, afterEach, before, it } from "node:test";
import assert from "node:assert/strict";
import { ApiAccess } from "../../src/kube/api/access.js";
import { closeConnection, type ApiConnection } from "../../src/kube/api/connection.js";
import { loadApiConnection } from "../../src/kube/api/load.js";
import { BandwidthNodeClient, createBandwidthNodeSource } from "../../src/kube/bandwidth-nodes.js";
import { BudgetStatusWriter } from "../../src/kube/budget-status-writer.js";
import { createLogEventSink } from "../../src/kube/log-events.js";
import type { BudgetObjectWithStatus } from "../../src/budgets/budget-status.js";
import { writeBudgetSummary } from "../../src/kube/budget-summary-writer.js";
import { ALLOCATOR_LEASE_NAME, LeaseClient } from "../../src/kube/lease-client.js";
import type { ObjectEvent } from "../../src/kube/pod.js";
import { LeaderElector } from "../../src/budgets/leader-election.js";
import { budgetKey, type NodeReport } from "../../src/budgets/protocol.js";
import { summaryOf } from "../../src/budgets/summary-wire.js";
import { allocationsOf, reportOf, specOf, statusOf, type BandwidthNodeObject } from "../../src/budgets/wire.js";
import type { KubeSuiteBackend } from "./backend.js";
import { until } from "./informer-suite.js";

const fast = { initialMilliseconds: 50, maxMilliseconds: 400 };

const accepted = (object: BudgetObjectWithStatus | null) => object?.status?.conditions?.find((condition) => condition.type === "Accepted");

class NodeRecorder {
  readonly state = new Map<string, BandwidthNodeObject>();
  readonly handle = (event: ObjectEvent<BandwidthNodeObject>): void => {
    if (event.type === "sync") for (const object of event.objects) this.state.set(object.metadata.name, object);
    else if (event.type === "upsert") this.state.set(event.object.metadata.name, event.object);
    else this.state.delete(event.object.metadata.name);
  };
}

export function clusterBudgetsIoSuite(start: () => Promise<KubeSuiteBackend>): void {
  let backend: KubeSuiteBackend;
  let api: ApiConnection;
  const stops: Array<() => Promise<void>> = [];
  const cleanup: Array<() => Promise<void>> = [];
  const tag = `pk${process.pid % 1000}`;
  before(async () => {
    backend = await start();
    api = await loadApiConnection(backend.kubeconfig);
  });
  after(async () => {
    closeConnection(api);
    await backend?.close();
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    await backend.heal();
  });

  it("the allocator's Lease: created once, a stale update refused, and of two electors exactly one leads", async () => {
    const access = new ApiAccess();
    const leases = new LeaseClient(api, backend.releaseNamespace, ALLOCATOR_LEASE_NAME, access);
    assert.equal(await leases.get(), "absent");
    const a = new LeaderElector("node-a");
    const b = new LeaderElector("node-b");
    const step = async (elector: LeaderElector, now: number) => {
      const decided = elector.observe(now, await leases.get());
      if (decided.kind === "wait") return;
      const result = await leases.write(decided.record, decided.kind === "update" ? decided.resourceVersion : undefined);
      elector.written(now, now, result);
    };
    const t0 = Date.now();
    await step(a, t0);
    assert.ok(a.isLeader(t0), "the first candidate creates the Lease and leads");
    const got = await leases.get();
    assert.ok(got !== "absent" && got !== "unreachable");
    assert.equal(got.record.holderIdentity, "node-a");
    assert.equal(got.record.leaseDurationMs, 15_000);
    await step(b, t0 + 100);
    assert.ok(!b.isLeader(t0 + 100), "a Lease held by another is waited on");
    const stale = got.resourceVersion;
    await step(a, t0 + 2000); // a renews: the resourceVersion moves on
    assert.deepEqual(await leases.write({ ...got.record, holderIdentity: "node-b" }, stale), { ok: false }, "an update from a stale GET is refused (409)");
    assert.deepEqual(await leases.write({ ...got.record, holderIdentity: "node-b" }), { ok: false }, "a second create is refused (409)");
    // b has seen the same record for a whole lease duration (a stopped renewing): it takes over
    await step(b, t0 + 3000);
    await step(b, t0 + 3000 + 15_001);
    assert.ok(b.isLeader(t0 + 18_001));
    const taken = await leases.get();
    assert.ok(taken !== "absent" && taken !== "unreachable");
    assert.equal(taken.record.holderIdentity, "node-b");
    assert.equal(taken.record.leaseTransitions, 1);
    assert.deepEqual(access.problems(), [], "409s are the election working, not problems");
  });

  it("BandwidthNodes: the first report creates the node's object (owned by its Node), reports leave the allocations, each watch sees what it should", async () => {
    const [a, b] = [`${tag}-bwn-a`, `${tag}-bwn-b`];
    await backend.createNode({ name: a, podCIDRs: ["10.244.7.0/24"], addresses: [] });
    cleanup.push(() => backend.deleteNode(a));
    const access = new ApiAccess();
    const client = new BandwidthNodeClient(api, access);
    cleanup.push(async () => {
      await backend.deleteBandwidthNode(a);
      await backend.deleteBandwidthNode(b);
    });
    assert.equal(await client.get(a), null);
    const key = budgetKey(backend.namespace, "crawlers", "uid-1", "Egress");
    const report = (seq: number, demand: number): NodeReport => ({
      reportSeq: seq, resyncFromSeq: 0, budgets: new Map([[key, { demandBitsPerSecond: demand, members: 2, heldBack: true, unbounded: false, appliedGeneration: seq - 1 }]]),
    });
    const own = new NodeRecorder();
    const all = new NodeRecorder();
    const ownSource = createBandwidthNodeSource({ connection: api, nodeName: a, access, backoff: fast });
    const allSource = createBandwidthNodeSource({ connection: api, access, backoff: fast });
    stops.push(() => ownSource.stop(), () => allSource.stop());
    await ownSource.start(own.handle);
    await allSource.start(all.handle);
    await client.writeSpec(a, specOf(report(1, 5_000_000), new Date()));
    await client.writeSpec(b, specOf(report(1, 7_000_000), new Date()));
    const created = await client.get(a);
    assert.ok(created);
    assert.deepEqual(created.metadata.ownerReferences?.map((owner) => `${owner.kind}/${owner.name}`), [`Node/${a}`]);
    assert.equal((await client.get(b))?.metadata.ownerReferences, undefined, "no Node, no owner");
    assert.equal(reportOf(created)?.budgets.get(key)?.demandBitsPerSecond, 5_000_000);

    const allocations = { seenReportSeq: 1, allocations: new Map([[key, { bitsPerSecond: 4_000_000, generation: 1, claimBitsPerSecond: 4_000_000, acknowledge: true, floorBitsPerSecond: 100_000 }]]) };
    await client.writeStatus(a, statusOf(allocations));
    await until("the allocation in the node's own watch", () => own.state.get(a)?.status !== undefined, () => JSON.stringify([...own.state]));
    assert.deepEqual(allocationsOf(own.state.get(a)!), allocations);
    await client.writeSpec(a, specOf(report(2, 6_000_000), new Date()));
    await until("the second report in the allocator's watch", () => reportOf(all.state.get(a) ?? { apiVersion: "", kind: "", metadata: { name: a } })?.reportSeq === 2, () => "");
    assert.deepEqual(allocationsOf(all.state.get(a)!), allocations, "a report does not touch the allocations");
    assert.ok(all.state.has(b), "the allocator sees every node");
    assert.deepEqual([...own.state.keys()], [a], "a node's own watch sees only its object");
    assert.deepEqual(access.problems(), []);
  });

  it("the BandwidthBudget summary: written next to the Accepted condition, read back by every agent, shown by kubectl get", async () => {
    const name = `${tag}-cw`;
    await backend.applyBudget(name, { podSelector: { matchLabels: { app: "crawler" } }, egress: "30M", mode: "ClusterWide" });
    cleanup.push(() => backend.deleteBudget(name));
    const created = await backend.budget(name);
    const uid = created?.metadata?.uid ?? "";
    const statusWriter = new BudgetStatusWriter({ kubeconfig: api, events: createLogEventSink(() => {}), jitterMilliseconds: 0 });
    statusWriter.observe(created!);
    await statusWriter.idle();
    await statusWriter.close();
    const access = new ApiAccess();
    const summary = { demandBitsPerSecond: 41_234_567, allocatedBitsPerSecond: 28_500_000, nodes: 3, floorBitsPerSecond: 300_000 };
    await writeBudgetSummary(api, budgetKey(backend.namespace, name, uid, "Egress"), summary, access);
    const stored = await backend.budget(name);
    assert.deepEqual(summaryOf(stored?.status, "Egress"), summary);
    assert.deepEqual(access.problems(), []);
    assert.equal(accepted(stored)?.status, "True", "the Accepted condition the agents wrote stays");
    const table = await backend.budgetsTable();
    if (table !== null) {
      const [header, ...rows] = table.trim().split("\n");
      assert.match(header ?? "", /DEMAND\s+ALLOCATED\s+NODES/);
      assert.match(rows.find((row) => row.startsWith(name)) ?? "", /ClusterWide\s+\S*\s+41\.2M\s+28\.5M\s+3\s/);
    }
  });

  it("a refused verb is named in ApiAccess (pacer status), with its API group", async () => {
    const access = new ApiAccess();
    const client = new BandwidthNodeClient(api, access);
    const name = `${tag}-bwn-forbidden`;
    cleanup.push(() => backend.deleteBandwidthNode(name));
    cleanup.push(() => backend.setForbidden("patch", "bandwidthnodes", false));
    await backend.setForbidden("patch", "bandwidthnodes", true);
    await until("the patch refused", async () => {
      try {
        await client.writeSpec(name, specOf({ reportSeq: 1, resyncFromSeq: 0, budgets: new Map() }, new Date()));
        await backend.deleteBandwidthNode(name); // created because the patch was not refused yet: the role change is on its way
        return false;
      } catch {
        return true;
      }
    }, () => JSON.stringify(access.problems()));
    const problem = access.problems().find((candidate) => candidate.verb === "patch" && candidate.resource === "bandwidthnodes");
    assert.equal(problem?.statusCode, 403);
    assert.match(problem?.action ?? "", /API group "pacer\.dev"/);
  });
}
