/**
 * What a pass costs: an annotation edit touches only the edited Pod (no datapath listing, one ensureLimit,
 * one resolve), while the pass after a Pod sync and the verifying resync compare everything. Counted on the
 * in-memory datapath (FakeKernel) with the test-double resolver.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BudgetBook } from "../budgets/budget-book.js";
import type { Direction, LimitSpec } from "../datapath/datapath.js";
import type { PodInfo } from "../kube/pod.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import { Reconciler } from "./reconciler.js";
import { FakeResolver, makePod, RecordingEvents } from "./testing/fakes.js";

const EGRESS = "kubernetes.io/egress-bandwidth";

/** The fake datapath, counting calls. */
class CountingDatapath extends FakeDatapath {
  lists = 0;
  ensures: string[] = [];
  removes: string[] = [];
  override async listLimits() {
    this.lists++;
    return super.listLimits();
  }
  override async ensureLimit(spec: LimitSpec) {
    this.ensures.push(`${spec.attachment.podKey} ${spec.direction} ${spec.bitsPerSecond}`);
    return super.ensureLimit(spec);
  }
  override async removeLimit(podKey: string, direction: Direction) {
    this.removes.push(`${podKey} ${direction}`);
    return super.removeLimit(podKey, direction);
  }
  reset(): void {
    this.lists = 0;
    this.ensures = [];
    this.removes = [];
  }
}

function setup(podCount: number, now: () => number = Date.now) {
  const kernel = new FakeKernel();
  const datapath = new CountingDatapath(kernel);
  const resolver = new FakeResolver();
  const reconciler = new Reconciler({ datapath, manager: { disabledReason: null }, resolver, events: new RecordingEvents(), log: () => {}, maxBackoffMs: 1000, now });
  const pods = Array.from({ length: podCount }, (_, i) => makePod(`p${i}`, { [EGRESS]: `${i + 1}M` }));
  reconciler.applyEvent({ type: "sync", pods });
  return { kernel, datapath, resolver, reconciler };
}

describe("Reconciler cost per pass", () => {
  it("an edit lists nothing and touches only the edited Pod; a resync compares all", async () => {
    const { datapath, resolver, reconciler } = setup(100);
    await reconciler.reconcile();
    assert.equal(datapath.lists, 1, "the first pass after the sync lists the datapath (adoption)");
    assert.equal(datapath.ensures.length, 100);
    const since = new Map(reconciler.rows().map((row) => [row.name, row.since]));
    datapath.reset();
    resolver.calls = 0;

    reconciler.applyEvent({ type: "upsert", pod: makePod("p7", { [EGRESS]: "55M" }) });
    await reconciler.reconcile();
    assert.equal(datapath.lists, 0, "an edit does not list the datapath");
    assert.deepEqual(datapath.ensures, ["default/p7/uid-p7 egress 55000000"]);
    assert.equal(resolver.calls, 0, "the attachment is cached");
    assert.equal(reconciler.rows().find((row) => row.name === "p7")?.enforcedBitsPerSecond, 55_000_000);
    assert.equal(reconciler.rows().length, 100);

    datapath.reset();
    reconciler.applyEvent({ type: "delete", pod: makePod("p8") });
    reconciler.applyEvent({ type: "upsert", pod: makePod("p9") }); // annotation removed
    await reconciler.reconcile();
    assert.equal(datapath.lists, 0);
    assert.deepEqual(datapath.ensures, []);
    assert.deepEqual(datapath.removes.sort(), ["default/p8/uid-p8 egress", "default/p9/uid-p9 egress"]);
    assert.equal(reconciler.rows().length, 98);
    for (const row of reconciler.rows()) if (row.name !== "p7") assert.equal(row.since, since.get(row.name));

    datapath.reset();
    await reconciler.reconcile();
    assert.deepEqual([datapath.lists, datapath.ensures.length, datapath.removes.length], [0, 0, 0], "a pass with no change does nothing");

    await reconciler.reconcile({ verifyAll: true });
    assert.equal(datapath.lists, 1, "the resync lists the datapath");
    assert.equal(datapath.ensures.length, 98, "and verifies every enforced row");
  });

  it("an edit reads no other Pod, with or without a budget selecting them all", async () => {
    // Reading every Pod on each edit (their rows, for pruning budget timelines) grew V8's old space by
    // ~45 MB over bench:agent's 200 edits; only a timeline that lost its last charged row needs it.
    for (const withBudget of [false, true]) {
      const { reconciler, kernel } = setup(0);
      if (withBudget) {
        const book = new BudgetBook(() => {});
        book.apply({ type: "sync", objects: [{ metadata: { namespace: "default", name: "all", uid: "all-uid", generation: 1 }, spec: { podSelector: {}, egress: "10M" } }] });
        reconciler.setBudgets(book.budgets());
      }
      let reads = 0;
      const counted = (pod: PodInfo): PodInfo => {
        const { annotations, labels } = pod;
        return Object.defineProperties({ ...pod }, {
          annotations: { get: () => (reads++, annotations), enumerable: true },
          labels: { get: () => (reads++, labels), enumerable: true },
        });
      };
      reconciler.applyEvent({ type: "sync", pods: Array.from({ length: 50 }, (_, i) => counted(makePod(`p${i}`, { [EGRESS]: `${i + 1}M` }))) });
      await reconciler.reconcile();
      assert.equal(kernel.budgets.size, withBudget ? 1 : 0);
      reads = 0;
      reconciler.applyEvent({ type: "upsert", pod: makePod("p7", { [EGRESS]: "55M" }) });
      await reconciler.reconcile();
      assert.equal(kernel.entries.get("default/p7/uid-p7\u0000egress")?.spec.bitsPerSecond, 55_000_000);
      assert.equal(reads, 0, `the other Pods were read ${reads} times (budget: ${withBudget})`);
    }
  });

  it("the resync finds a limit removed behind the reconciler's back", async () => {
    const { kernel, datapath, reconciler } = setup(3);
    await reconciler.reconcile();
    kernel.entries.delete("default/p1/uid-p1\u0000egress");
    datapath.reset();
    await reconciler.reconcile({ verifyAll: true });
    assert.ok(datapath.ensures.includes("default/p1/uid-p1 egress 2000000"));
    assert.equal(kernel.entries.size, 3);
  });

  it("a row waiting for its namespace is retried without a Pod event; others are not touched", async () => {
    let now = 0;
    const { datapath, resolver, reconciler } = setup(10, () => now);
    resolver.unresolvable.add("p3");
    await reconciler.reconcile();
    assert.equal(reconciler.rows().find((row) => row.name === "p3")?.state, "pending");
    assert.notEqual(reconciler.nextRetryInMs(), null);
    resolver.unresolvable.delete("p3");
    datapath.reset();
    now = 10_000;
    await reconciler.reconcile();
    assert.equal(datapath.lists, 0);
    assert.deepEqual(datapath.ensures, ["default/p3/uid-p3 egress 4000000"]);
    assert.equal(reconciler.rows().find((row) => row.name === "p3")?.state, "enforced");
    assert.equal(reconciler.nextRetryInMs(), null);
  });

  it("a failed listing leaves the next pass a full one", async () => {
    const { datapath, reconciler } = setup(2);
    const list = datapath.listLimits.bind(datapath);
    datapath.listLimits = async () => {
      throw new Error("bpffs gone");
    };
    await assert.rejects(reconciler.reconcile(), /bpffs gone/);
    datapath.listLimits = list;
    datapath.reset();
    await reconciler.reconcile();
    assert.equal(datapath.lists, 1);
    assert.equal(datapath.ensures.length, 2);
  });
});
