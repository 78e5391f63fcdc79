/**
 * The agent's budget and range sources (cluster-sources.ts): what they say reaches the books and the
 * reconciler and triggers a pass; a source that never finishes listing holds the first Pod pass back only
 * for the bounded wait; with --pods-dir the directory's budgets are used and no Kubernetes source is opened.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReconcileLoop } from "../bandwidth/loop.js";
import type { Reconciler } from "../bandwidth/reconciler.js";
import type { BudgetObject } from "../budgets/budget.js";
import { BudgetBook } from "../budgets/budget-book.js";
import { ApiAccess } from "../kube/api/access.js";
import { createLogEventSink } from "../kube/log-events.js";
import type { ObjectEvent, ObjectSource } from "../kube/pod.js";
import { RangeBook } from "../scope/range-book.js";
import type { RangeSource } from "../scope/range-source.js";
import { startClusterSources, type ClusterSourcesInput } from "./cluster-sources.js";

function harness(overrides: ClusterSourcesInput["overrides"], manifests: ClusterSourcesInput["manifests"] = null) {
  const calls: string[] = [];
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const reconciler = {
    setBudgets: (budgets: unknown[]) => calls.push(`budgets ${budgets.length}`),
    setInternalRanges: (prefixes: string[]) => calls.push(`ranges ${prefixes.join(",")}`),
  } as unknown as Reconciler;
  const loop = { trigger: async () => void calls.push("trigger") } as unknown as ReconcileLoop;
  const cleanups: Array<() => Promise<void>> = [];
  const input: ClusterSourcesInput = {
    config: { podsDir: manifests ? "/pods" : "" }, overrides, manifests,
    kubeOptions: { kubeconfig: "/nonexistent", nodeName: "n", log, access: new ApiAccess() },
    events: createLogEventSink(log), budgets: new BudgetBook(() => {}), ranges: new RangeBook(), reconciler, loop, cleanups, firstListWaitMs: 100,
  };
  return { input, calls, lines, cleanups };
}

const budgetSource = (onStart: (emit: (event: ObjectEvent<BudgetObject>) => void) => Promise<void>): ObjectSource<BudgetObject> => ({
  start: onStart, stop: async () => {},
});
const budget: BudgetObject = { metadata: { namespace: "shop", name: "b", uid: "u" }, spec: { podSelector: {}, egress: "10M" } };

describe("agent: budget and range sources", () => {
  it("applies budgets and ranges, triggering a pass for each change; a source still listing costs the bounded wait only", async () => {
    let later: (source: string, prefixes: readonly string[]) => void = () => {};
    const ranges: RangeSource = {
      start: (update) => {
        update("node podCIDRs", ["10.244.0.0/24"]);
        later = update;
        return new Promise(() => {}); // never done listing
      },
      stop: async () => {},
    };
    const { input, calls, lines, cleanups } = harness({ budgetSource: budgetSource(async (emit) => emit({ type: "sync", objects: [budget] })), rangeSources: [ranges] });
    const started = Date.now();
    await startClusterSources(input);
    assert.ok(Date.now() - started >= 90 && Date.now() - started < 1000, `${Date.now() - started} ms`);
    assert.match(lines.join("\n"), /not all listed within 100 ms; Pods start now/);
    assert.deepEqual(calls, ["budgets 1", "trigger", "ranges 10.244.0.0/24", "trigger"]);
    later("ServiceCIDR kubernetes", ["10.96.0.0/12"]);
    assert.deepEqual(calls.slice(-2), ["ranges 10.244.0.0/24,10.96.0.0/12", "trigger"]);
    assert.deepEqual(input.ranges.ranges().map((range) => range.sources), [["node podCIDRs"], ["ServiceCIDR kubernetes"]]);
    assert.equal(cleanups.length, 2, "both sources are stopped with the agent");
  });

  it("a source that fails to start is logged and left out; nothing else waits for it", async () => {
    const { input, lines } = harness({ budgetSource: budgetSource(async () => { throw new Error("no kubeconfig"); }), rangeSources: [] });
    await startClusterSources(input);
    assert.match(lines.join("\n"), /budgets: no kubeconfig; continuing without it/);
    assert.doesNotMatch(lines.join("\n"), /not all listed/);
  });

  it("with --pods-dir: the directory's budgets, and no Kubernetes source", async () => {
    const { input, calls, cleanups } = harness({}, { budgets: budgetSource(async (emit) => emit({ type: "sync", objects: [budget] })) });
    await startClusterSources(input);
    assert.deepEqual(calls, ["budgets 1", "trigger"]);
    assert.equal(cleanups.length, 1);
  });
});
