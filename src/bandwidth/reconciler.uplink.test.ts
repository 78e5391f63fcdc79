/**
 * The reconciler's shared-uplink behaviour over the in-memory datapath (FakeKernel) with a test-double
 * resolver: outside-cluster limits, budget timelines and their members as labels change, a budget that
 * turns invalid, the inside-the-cluster ranges.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BudgetBook } from "../budgets/budget-book.js";
import type { BudgetObject } from "../budgets/budget.js";
import { DatapathError } from "../datapath/datapath.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import { Reconciler } from "./reconciler.js";
import { FakeResolver, makePod, RecordingEvents } from "./testing/fakes.js";

const EGRESS = "kubernetes.io/egress-bandwidth";
const EXTERNAL_EGRESS = "pacer.dev/external-egress-bandwidth";

function setup() {
  const kernel = new FakeKernel();
  const datapath = new FakeDatapath(kernel);
  const logs: string[] = [];
  const reconciler = new Reconciler({
    datapath, manager: { disabledReason: null }, resolver: new FakeResolver(), events: new RecordingEvents(), log: (line) => logs.push(line), maxBackoffMs: 1000,
  });
  const invalid: string[] = [];
  const book = new BudgetBook((report) => invalid.push(`${report.name}: ${report.problems.join("; ")}${report.keptLastGood ? " (kept)" : ""}`));
  const setBudgets = (...objects: BudgetObject[]) => {
    book.apply({ type: "sync", objects });
    reconciler.setBudgets(book.budgets());
  };
  const limits = async () =>
    (await datapath.listLimits()).map((limit) => `${limit.podKey.split("/")[1]} ${limit.direction} all=${limit.bitsPerSecond} out=${limit.externalBitsPerSecond} [${limit.budgets.join(",")}]`).sort();
  const budgets = async () => (await datapath.listBudgets()).map((budget) => `${budget.key} ${budget.direction} ${budget.scope} ${budget.bitsPerSecond}`).sort();
  return { kernel, datapath, reconciler, setBudgets, limits, budgets, invalid, logs };
}

const budget = (name: string, spec: Record<string, unknown>, generation = 1): BudgetObject => ({
  metadata: { namespace: "default", name, uid: `${name}-uid`, generation }, spec: { podSelector: { matchLabels: { app: "crawler" } }, ...spec },
});
const crawler = (name: string, annotations: Record<string, string> = {}) => makePod(name, annotations, { labels: { app: "crawler" } });

describe("Reconciler: the shared uplink", () => {
  it("an outside-cluster limit stands alone or beside the limit on all traffic", async () => {
    const { reconciler, limits } = setup();
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EXTERNAL_EGRESS]: "10M" }), makePod("b", { [EGRESS]: "100M", [EXTERNAL_EGRESS]: "10M" })] });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["a egress all=null out=10000000 []", "b egress all=100000000 out=10000000 []"]);
    const row = reconciler.rows().find((candidate) => candidate.name === "a");
    assert.deepEqual([row?.state, row?.enforcedExternalBitsPerSecond, row?.externalRequested], ["enforced", 10_000_000, "10M"]);
  });

  it("Pods selected by a budget share one timeline; a relabelled Pod leaves it, the last one out removes it", async () => {
    const { reconciler, setBudgets, limits, budgets } = setup();
    setBudgets(budget("crawl", { egress: "10M" }));
    reconciler.applyEvent({ type: "sync", pods: [crawler("a"), crawler("b", { [EGRESS]: "50M" }), makePod("c")] });
    await reconciler.reconcile();
    assert.deepEqual(await budgets(), ["default/crawl/crawl-uid egress outside-cluster 10000000"]);
    assert.deepEqual(await limits(), ["a egress all=null out=null [default/crawl/crawl-uid]", "b egress all=50000000 out=null [default/crawl/crawl-uid]"]);
    assert.deepEqual(reconciler.rows().filter((row) => row.name === "a").map((row) => row.budgets), [["default/crawl"]]);
    const [timeline] = reconciler.budgetRows();
    assert.deepEqual([timeline?.name, timeline?.members, timeline?.shareBitsPerSecond, timeline?.state], ["crawl", ["default/a/uid-a", "default/b/uid-b"], 10_000_000, "enforced"]);

    reconciler.applyEvent({ type: "upsert", pod: makePod("a", {}, { labels: { app: "other" } }) });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["b egress all=50000000 out=null [default/crawl/crawl-uid]"], "a has no limit left: no row in the datapath");
    reconciler.applyEvent({ type: "upsert", pod: makePod("b", { [EGRESS]: "50M" }) });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["b egress all=50000000 out=null []"], "b keeps its own limit");
    assert.deepEqual(await budgets(), [], "no Pod here is selected: the timeline goes");
    assert.deepEqual(reconciler.budgetRows(), []);
  });

  it("an edit of one member keeps every other member in the budget's row; a Pod relabelled out leaves it", async () => {
    const { reconciler, setBudgets } = setup();
    setBudgets(budget("crawl", { egress: "10M" }));
    reconciler.applyEvent({ type: "sync", pods: [crawler("a"), crawler("b"), crawler("c")] });
    await reconciler.reconcile();
    const members = () => reconciler.budgetRows().map((row) => row.members);
    assert.deepEqual(members(), [["default/a/uid-a", "default/b/uid-b", "default/c/uid-c"]]);
    reconciler.applyEvent({ type: "upsert", pod: crawler("b", { [EGRESS]: "50M" }) });
    await reconciler.reconcile();
    assert.deepEqual(members(), [["default/a/uid-a", "default/b/uid-b", "default/c/uid-c"]], "the edit's pass saw only b: a and c are still members");
    reconciler.applyEvent({ type: "upsert", pod: makePod("c", {}, { labels: { app: "other" } }) });
    await reconciler.reconcile();
    assert.deepEqual(members(), [["default/a/uid-a", "default/b/uid-b"]], "c left the budget");
  });

  it("a budget turned invalid keeps its last valid version in force and says why", async () => {
    const { reconciler, setBudgets, budgets, invalid } = setup();
    setBudgets(budget("crawl", { egress: "10M", scope: "All" }));
    reconciler.applyEvent({ type: "sync", pods: [crawler("a")] });
    await reconciler.reconcile();
    setBudgets(budget("crawl", { egress: "10Q", scope: "All" }, 2));
    await reconciler.reconcile();
    assert.deepEqual(await budgets(), ["default/crawl/crawl-uid egress all 10000000"]);
    assert.equal(invalid.length, 1);
    assert.match(invalid[0] ?? "", /^crawl: spec\.egress "10Q" is invalid.*\(kept\)$/);
    setBudgets(budget("crawl", { egress: "20M", scope: "All" }, 3));
    await reconciler.reconcile();
    assert.deepEqual(await budgets(), ["default/crawl/crawl-uid egress all 20000000"], "the fix applies in place");
  });

  it("a budget deleted: its Pods leave it first, then the timeline goes", async () => {
    const { reconciler, setBudgets, limits, budgets } = setup();
    setBudgets(budget("crawl", { egress: "10M", ingress: "5M" }));
    reconciler.applyEvent({ type: "sync", pods: [crawler("a")] });
    await reconciler.reconcile();
    assert.deepEqual(await budgets(), ["default/crawl/crawl-uid egress outside-cluster 10000000", "default/crawl/crawl-uid ingress outside-cluster 5000000"]);
    setBudgets();
    await reconciler.reconcile();
    assert.deepEqual(await limits(), []);
    assert.deepEqual(await budgets(), []);
  });

  it("inside-the-cluster ranges reach the datapath; a failed write is told and retried", async () => {
    const { kernel, datapath, reconciler } = setup();
    reconciler.setInternalRanges(["10.42.0.0/16", "fd00::/64"]);
    reconciler.applyEvent({ type: "sync", pods: [] });
    await reconciler.reconcile();
    assert.deepEqual(kernel.internalRanges, ["10.42.0.0/16", "fd00::/64"]);
    const write = datapath.setInternalRanges.bind(datapath);
    datapath.setInternalRanges = async () => {
      throw new DatapathError("KERNEL_REFUSED", "set: EPERM");
    };
    reconciler.setInternalRanges(["10.42.0.0/16", "10.43.0.0/16"]);
    await reconciler.reconcile();
    assert.match(reconciler.internalRangesError ?? "", /EPERM/);
    datapath.setInternalRanges = write;
    await reconciler.reconcile({ verifyAll: true });
    assert.equal(reconciler.internalRangesError, null);
    assert.deepEqual(kernel.internalRanges, ["10.42.0.0/16", "10.43.0.0/16"]);
  });
});
