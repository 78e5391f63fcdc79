/**
 * A BandwidthBudget's status condition and the "needs a write?" decision: Accepted True/False with the
 * problems, the last valid version said from what the server holds, lastTransitionTime kept unless the
 * status flips, other conditions kept, and nothing to write once the server holds the same.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acceptedCondition, KEPT_LAST_VALID, statusPatchFor, VALID_MESSAGE, type BudgetObjectWithStatus, type Condition } from "./budget-status.js";

const budget = (spec: Record<string, unknown>, generation: number, status?: BudgetObjectWithStatus["status"]): BudgetObjectWithStatus => ({
  metadata: { namespace: "shop", name: "crawler", uid: "u1", generation, resourceVersion: `${100 + generation}` },
  spec,
  status,
});
const valid = { podSelector: { matchLabels: { app: "crawler" } }, egress: "100M" };
const invalid = { podSelector: { matchLabels: { app: "crawler" } }, egress: "10Q" };
const t0 = new Date("2026-12-02T10:00:00.123Z");
const t1 = new Date("2026-12-02T10:05:00Z");

/** What the server holds after a patch was applied (a merge patch replaces the status's fields). */
const applied = (object: BudgetObjectWithStatus, now: Date): BudgetObjectWithStatus => {
  const patch = statusPatchFor(object, now);
  assert.ok(patch, "a patch");
  return { ...object, metadata: { ...object.metadata, resourceVersion: `${Number(object.metadata?.resourceVersion) + 1}` }, status: patch.status };
};

describe("BandwidthBudget status", () => {
  it("records the valid spec as acceptedSpec; an invalid edit keeps it, so an agent started after the edit enforces it", async () => {
    const { BudgetBook } = await import("./budget-book.js");
    const accepted = applied(budget(valid, 1), t0);
    assert.deepEqual(accepted.status?.acceptedSpec, valid);
    const broken = applied({ ...accepted, spec: invalid, metadata: { ...accepted.metadata, generation: 2 } }, t1);
    assert.deepEqual(broken.status?.acceptedSpec, valid, "the accepted spec stays");
    const fresh = new BudgetBook(() => undefined);
    fresh.apply({ type: "sync", objects: [broken] });
    assert.deepEqual(fresh.budgets().map((found) => found.rates.egress), [100_000_000], "the recorded version is in force");
    assert.equal(fresh.problems()[0]?.keptLastGood, true);
    const fixed = applied({ ...broken, spec: { ...valid, egress: "50M" }, metadata: { ...broken.metadata, generation: 3 } }, t1);
    assert.deepEqual(fixed.status?.acceptedSpec, { ...valid, egress: "50M" });
  });

  it("a valid budget: Accepted True, reason Valid, at its generation", () => {
    assert.deepEqual(acceptedCondition(budget(valid, 3)), { type: "Accepted", status: "True", observedGeneration: 3, reason: "Valid", message: VALID_MESSAGE });
  });

  it("a bad one: Accepted False, reason Invalid, the parser's problems joined", () => {
    const condition = acceptedCondition(budget({ ...invalid, scope: "Everywhere" }, 1));
    assert.equal(condition.status, "False");
    assert.equal(condition.reason, "Invalid");
    assert.match(condition.message, /^spec\.egress "10Q" is invalid: .*; spec\.scope "Everywhere" must be All or OutsideCluster$/);
    assert.doesNotMatch(condition.message, /stays in force/, "never valid: nothing is kept");
  });

  it("after a valid version the server accepted, a bad edit says its last valid version stays in force, and keeps saying it", () => {
    const accepted = applied(budget(valid, 1), t0);
    const broken = applied({ ...accepted, spec: invalid, metadata: { ...accepted.metadata, generation: 2 } }, t1);
    const condition = broken.status?.conditions?.[0] as Condition;
    assert.equal(condition.status, "False");
    assert.ok(condition.message.endsWith(`; ${KEPT_LAST_VALID}`), condition.message);
    const brokenAgain = applied({ ...broken, spec: { ...invalid, ingress: "1m" }, metadata: { ...broken.metadata, generation: 3 } }, t1);
    assert.ok((brokenAgain.status?.conditions?.[0] as Condition).message.endsWith(KEPT_LAST_VALID));
  });

  it("writes the whole status once; then, for every agent, there is nothing to write", () => {
    const fresh = budget(invalid, 1);
    const patch = statusPatchFor(fresh, t0);
    assert.deepEqual(patch?.metadata, { resourceVersion: "101" }, "the write fails with 409 if someone wrote first");
    assert.equal(patch?.status.observedGeneration, 1);
    assert.equal(patch?.status.conditions[0]?.lastTransitionTime, "2026-12-02T10:00:00Z", "metav1.Time: whole seconds");
    const held = applied(fresh, t0);
    assert.equal(statusPatchFor(held, t1), null, "another agent, later, finds the same content");
  });

  it("a new generation with the same verdict moves observedGeneration, keeping lastTransitionTime", () => {
    const held = applied(budget(valid, 1), t0);
    const edited = { ...held, spec: { ...valid, egress: "200M" }, metadata: { ...held.metadata, generation: 2 } };
    const patch = statusPatchFor(edited, t1);
    assert.equal(patch?.status.observedGeneration, 2);
    assert.equal(patch?.status.conditions[0]?.observedGeneration, 2);
    assert.equal(patch?.status.conditions[0]?.lastTransitionTime, "2026-12-02T10:00:00Z");
  });

  it("a flip from False to True takes the new time; other writers' conditions stay", () => {
    const other: Condition = { type: "Distributed", status: "True", lastTransitionTime: "2026-12-01T00:00:00Z", reason: "Allocated", message: "x" };
    const held = applied(budget(invalid, 1), t0);
    const fixed = { ...held, spec: valid, metadata: { ...held.metadata, generation: 2 }, status: { ...held.status, conditions: [other, ...(held.status?.conditions ?? [])] } };
    const patch = statusPatchFor(fixed, t1);
    assert.deepEqual(patch?.status.conditions.map((condition) => `${condition.type}=${condition.status}@${condition.lastTransitionTime}`), [
      "Distributed=True@2026-12-01T00:00:00Z", "Accepted=True@2026-12-02T10:05:00Z",
    ]);
  });

  it("a status the server holds that differs in any compared field is rewritten (a message from an older agent)", () => {
    const held = applied(budget(invalid, 1), t0);
    const stale = { ...held, status: { ...held.status, conditions: [{ ...(held.status?.conditions?.[0] as Condition), message: "old words" }] } };
    assert.ok(statusPatchFor(stale, t1));
  });
});
