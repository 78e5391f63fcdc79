/** BandwidthBudgets as the agent reads them (pure): parsing, selectors, membership, the book of last valid versions. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBudget, type BudgetObject } from "./budget.js";
import { BudgetBook, type BudgetProblemReport } from "./budget-book.js";
import { budgetsOfPod, BUDGETS_PER_POD } from "./membership.js";
import { selectorMatches, selectorProblems, selectorText } from "./selector.js";

const object = (spec: Record<string, unknown>, name = "crawl", generation = 1): BudgetObject => ({
  metadata: { namespace: "web", name, uid: `${name}-uid`, generation }, spec,
});
const valid = (spec: Record<string, unknown>, name?: string) => {
  const parsed = parseBudget(object({ podSelector: {}, ...spec }, name));
  assert.deepEqual(parsed.problems, []);
  return parsed.budget!;
};

describe("BandwidthBudget parsing", () => {
  it("defaults: OutsideCluster, PerNode; a ClusterWide floor of 1% unless given", () => {
    const perNode = valid({ egress: "100M" });
    assert.deepEqual([perNode.key, perNode.scope, perNode.mode, perNode.rates, perNode.minPerNodeBitsPerSecond], ["web/crawl/crawl-uid", "outside-cluster", "PerNode", { egress: 100_000_000, ingress: null }, null]);
    assert.equal(valid({ egress: "100M", ingress: "1G", mode: "ClusterWide" }).minPerNodeBitsPerSecond, 1_000_000);
    assert.equal(valid({ egress: "100M", mode: "ClusterWide", minPerNode: "5M", scope: "All" }).minPerNodeBitsPerSecond, 5_000_000);
  });

  it("says what is wrong, in terms an operator can act on", () => {
    const problems = (spec: Record<string, unknown>) => parseBudget(object(spec)).problems;
    assert.deepEqual(problems({ egress: "10M" }), ["podSelector is required ({} selects every Pod of the namespace)"]);
    assert.match(problems({ podSelector: {}, egress: "10Q" })[0] ?? "", /^spec\.egress "10Q" is invalid: .*\(e\.g\. "100M"\)$/);
    assert.deepEqual(problems({ podSelector: {} }), ['give spec.egress and/or spec.ingress (bits per second, e.g. "100M")']);
    assert.deepEqual(problems({ podSelector: {}, egress: "10M", scope: "Outside" }), ['spec.scope "Outside" must be All or OutsideCluster']);
    assert.deepEqual(problems({ podSelector: {}, egress: "10M", mode: "Global" }), ['spec.mode "Global" must be PerNode or ClusterWide']);
    assert.deepEqual(problems({ podSelector: {}, egress: "10M", minPerNode: "1M" }), ["spec.minPerNode applies to ClusterWide budgets only"]);
    assert.deepEqual(problems({ podSelector: {}, egress: "10M", mode: "ClusterWide", minPerNode: "20M" }), ["spec.minPerNode is above spec.egress"]);
  });
});

describe("label selectors", () => {
  it("match like Kubernetes: matchLabels and every operator; {} selects all", () => {
    const labels = { app: "crawler", tier: "batch" };
    assert.equal(selectorMatches({}, labels), true);
    assert.equal(selectorMatches({ matchLabels: { app: "crawler" } }, labels), true);
    assert.equal(selectorMatches({ matchLabels: { app: "web" } }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: "tier", operator: "In", values: ["batch", "x"] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["batch"] }] }, labels), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: "gone", operator: "NotIn", values: ["batch"] }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: "app", operator: "Exists" }] }, labels), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, labels), false);
    assert.equal(selectorText({ matchLabels: { app: "crawler" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }, { key: "x", operator: "DoesNotExist" }] }), "app=crawler,tier in (a,b),!x");
  });

  it("reject what Kubernetes rejects", () => {
    assert.deepEqual(selectorProblems({ matchExpressions: [{ key: "a", operator: "In" }] }), ["podSelector.matchExpressions[0].values must be a non-empty list for In"]);
    assert.deepEqual(selectorProblems({ matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }), ["podSelector.matchExpressions[0].values must be empty for Exists"]);
    assert.deepEqual(selectorProblems({ matchLabels: { a: 1 } }), ["podSelector.matchLabels must map label keys to string values"]);
    assert.deepEqual(selectorProblems({ labels: {} }), ["podSelector.labels is not a selector field (matchLabels, matchExpressions)"]);
  });
});

describe("membership", () => {
  it("budgets of the Pod's namespace that select it and rate that direction, by key, at most the datapath's slots", () => {
    const budgets = Array.from({ length: BUDGETS_PER_POD + 1 }, (_, index) => valid({ egress: "10M" }, `b${index}`));
    const ingressOnly = valid({ ingress: "10M" }, "in");
    const elsewhere = { ...valid({ egress: "10M" }, "other"), namespace: "db" };
    const pod = { namespace: "web", labels: {}, hostNetwork: false };
    const egress = budgetsOfPod(pod, "egress", [...budgets, ingressOnly, elsewhere]);
    assert.deepEqual(egress.budgets.map((budget) => budget.name), ["b0", "b1", "b2", "b3"]);
    assert.deepEqual(egress.overflow.map((budget) => budget.name), ["b4"]);
    assert.deepEqual(budgetsOfPod(pod, "ingress", [...budgets, ingressOnly]).budgets.map((budget) => budget.name), ["in"]);
    assert.deepEqual(budgetsOfPod({ ...pod, hostNetwork: true }, "egress", budgets).budgets, [], "hostNetwork Pods are never shaped");
  });
});

describe("BudgetBook", () => {
  it("keeps the last valid version of a budget that turned bad, reports each bad content once, forgets deleted ones", () => {
    const reports: BudgetProblemReport[] = [];
    const book = new BudgetBook((report) => reports.push(report));
    book.apply({ type: "sync", objects: [object({ podSelector: {}, egress: "10M" })] });
    book.apply({ type: "upsert", object: object({ podSelector: {}, egress: "10Q" }, "crawl", 2) });
    book.apply({ type: "upsert", object: object({ podSelector: {}, egress: "10Q" }, "crawl", 2) });
    assert.deepEqual(book.budgets().map((budget) => budget.rates.egress), [10_000_000]);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]?.keptLastGood, true);
    assert.deepEqual(book.problems().map((problem) => problem.name), ["crawl"]);
    book.apply({ type: "upsert", object: object({ podSelector: {}, egress: "20M" }, "crawl", 3) });
    assert.deepEqual([book.budgets()[0]?.rates.egress, book.problems()], [20_000_000, []]);
    book.apply({ type: "upsert", object: object({ podSelector: {} }, "never-valid") });
    assert.deepEqual(book.problems().map((problem) => [problem.name, problem.keptLastGood]), [["never-valid", false]]);
    book.apply({ type: "delete", object: object({}, "never-valid") });
    book.apply({ type: "sync", objects: [] });
    assert.deepEqual([book.budgets(), book.problems()], [[], []]);
  });
});
