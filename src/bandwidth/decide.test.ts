/** decideRow and viewAfterEnsure: every rule of a row's decision, without a datapath. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AppliedLimit } from "../datapath/datapath.js";
import { requestedLimitOf } from "./annotations.js";
import { decideRow, describeTarget, viewAfterEnsure, type RowDecision, type RowFacts, type RowRequest } from "./decide.js";

const EGRESS = "kubernetes.io/egress-bandwidth";
const EXTERNAL_EGRESS = "pacer.dev/external-egress-bandwidth";

const egress = (annotations: Record<string, string>, budgets: string[] = []): RowRequest => ({
  direction: "egress",
  limits: { all: requestedLimitOf({ annotations }, "all", "egress"), external: requestedLimitOf({ annotations }, "external", "egress") },
  budgets,
});

const applied = (bitsPerSecond: number | null, extra: Partial<AppliedLimit> = {}): AppliedLimit => ({
  podKey: "default/a/u", direction: "egress", identity: 7, bitsPerSecond, externalBitsPerSecond: null, budgets: [], netnsPath: "/run/netns/a",
  interfaceName: "eth0", counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
  ...extra,
});

const facts = (overrides: Partial<RowFacts>): RowFacts => ({
  request: egress({ [EGRESS]: "10M" }), hostNetwork: false, applied: null, lastGood: { all: null, external: null }, disabledReason: null,
  verifyAll: false, retry: "none",
  ...overrides,
});

const ensureOf = (decision: RowDecision) => {
  assert.equal(decision.action, "ensure");
  return decision as Extract<RowDecision, { action: "ensure" }>;
};
const target = (bitsPerSecond: number | null, externalBitsPerSecond: number | null = null, budgets: string[] = []) => ({ bitsPerSecond, externalBitsPerSecond, budgets });
const noneKept = { all: null, external: null };

describe("decideRow", () => {
  it("ensures a new limit, and settles without I/O once the datapath enforces it", () => {
    assert.deepEqual(decideRow(facts({})), {
      action: "ensure", target: target(10_000_000), upToDate: false, settled: { state: "enforced", reason: null }, lastGood: noneKept, invalid: [],
    });
    assert.deepEqual(decideRow(facts({ applied: applied(10_000_000), lastGood: { all: 10_000_000, external: null } })), {
      action: "settle", remove: null, view: { state: "enforced", reason: null }, keepEnforced: true, lastGood: { all: 10_000_000, external: null }, invalid: [],
    });
  });

  it("ensures an enforced row again on a drift check or a due retry, and waits while the retry is not due", () => {
    const enforced = { applied: applied(10_000_000), lastGood: { all: 10_000_000, external: null } };
    assert.equal(ensureOf(decideRow(facts({ ...enforced, verifyAll: true }))).upToDate, true);
    assert.equal(ensureOf(decideRow(facts({ ...enforced, retry: "due" }))).upToDate, true);
    assert.deepEqual(decideRow(facts({ retry: "waiting" })), { action: "wait", lastGood: noneKept, invalid: [] });
  });

  it("keeps the last good limit on an invalid value, and adopts the datapath's after a restart", () => {
    const kept = ensureOf(decideRow(facts({ request: egress({ [EGRESS]: "1m" }), lastGood: { all: 20_000_000, external: null } })));
    assert.deepEqual(kept.target, target(20_000_000));
    assert.equal(kept.settled.state, "invalid");
    assert.match(kept.invalid[0]?.message ?? "", /"1m" is invalid.*the last good limit 20M stays enforced/);
    const adopted = decideRow(facts({ request: egress({ [EGRESS]: "1m" }), applied: applied(5_000_000) }));
    assert.equal(adopted.action, "settle");
    assert.equal(adopted.lastGood.all, 5_000_000);
    assert.match(adopted.invalid[0]?.message ?? "", /the last good limit 5M stays enforced/);
  });

  it("an invalid value with nothing to keep removes what is enforced and says no limit is enforced", () => {
    const decision = decideRow(facts({ request: egress({ [EGRESS]: "bogus" }) }));
    assert.equal(decision.action, "settle");
    if (decision.action !== "settle") return;
    assert.equal(decision.remove, null);
    assert.equal(decision.view.state, "invalid");
    assert.match(decision.view.reason ?? "", /no limit is enforced until it is fixed/);
  });

  it("the outside-cluster annotation and budgets join the target; each kind keeps its own last good value", () => {
    const both = ensureOf(decideRow(facts({ request: egress({ [EGRESS]: "100M", [EXTERNAL_EGRESS]: "10M" }, ["default/crawl/u1"]) })));
    assert.deepEqual(both.target, target(100_000_000, 10_000_000, ["default/crawl/u1"]));
    const badExternal = ensureOf(decideRow(facts({
      request: egress({ [EGRESS]: "100M", [EXTERNAL_EGRESS]: "10Q" }), lastGood: { all: 100_000_000, external: 10_000_000 },
    })));
    assert.deepEqual(badExternal.target, target(100_000_000, 10_000_000));
    assert.deepEqual(badExternal.invalid.map((report) => [report.kind, report.value]), [["external", "10Q"]]);
    assert.match(badExternal.settled.reason ?? "", /^pacer\.dev\/external-egress-bandwidth "10Q" is invalid.*last good limit 10M stays enforced/);
    const budgetOnly = ensureOf(decideRow(facts({ request: egress({}, ["default/crawl/u1"]) })));
    assert.deepEqual(budgetOnly.target, target(null, null, ["default/crawl/u1"]));
    const left = decideRow(facts({ request: egress({ [EGRESS]: "10M" }), applied: applied(10_000_000, { budgets: ["default/crawl/u1"] }) }));
    assert.equal(left.action, "ensure", "a Pod relabelled out of a budget is ensured without it");
  });

  it("disabled: removes, shows the reason; a bad value is still reported, with why the manager is off", () => {
    const off = decideRow(facts({ applied: applied(10_000_000), disabledReason: "fq qdisc missing" }));
    assert.deepEqual(off, {
      action: "settle", remove: "bandwidth manager disabled", view: { state: "notEnforced", reason: "fq qdisc missing" }, keepEnforced: false,
      lastGood: { all: 10_000_000, external: null }, invalid: [],
    });
    const bad = decideRow(facts({ request: egress({ [EGRESS]: "1m" }), disabledReason: "fq qdisc missing" }));
    assert.equal(bad.action === "settle" && bad.view.state, "invalid");
    assert.match(bad.action === "settle" ? (bad.view.reason ?? "") : "", /"1m" is invalid.*the bandwidth manager is off too: fq qdisc missing/);
    assert.equal(bad.invalid[0]?.value, "1m");
  });

  it("hostNetwork Pods are never limited, and their annotations are not judged", () => {
    const decision = decideRow(facts({ request: egress({ [EGRESS]: "1m" }), hostNetwork: true, applied: applied(10_000_000) }));
    assert.equal(decision.action, "settle");
    if (decision.action !== "settle") return;
    assert.equal(decision.remove, "hostNetwork Pod");
    assert.equal(decision.view.state, "hostNetwork");
    assert.deepEqual(decision.invalid, []);
  });
});

describe("viewAfterEnsure", () => {
  const fresh = ensureOf(decideRow(facts({})));
  const upToDate = ensureOf(decideRow(facts({ applied: applied(10_000_000), verifyAll: true })));

  it("applied: the settled view", () => {
    assert.deepEqual(viewAfterEnsure(fresh, { kind: "applied" }, "egress", describeTarget), { state: "enforced", reason: null });
  });

  it("no namespace or host veth yet: pending with what it waits for, unless the limit is already in place", () => {
    assert.deepEqual(viewAfterEnsure(fresh, { kind: "noAttachment", podIp: null }, "egress", describeTarget), {
      state: "pending", reason: "waiting for the Pod's network namespace (Pod IP not assigned yet)",
    });
    assert.match(viewAfterEnsure(fresh, { kind: "noHostInterface", podInterface: "eth0" }, "ingress", describeTarget).reason ?? "", /host-side veth peer of eth0.*ingress is paced there/);
    assert.deepEqual(viewAfterEnsure(upToDate, { kind: "noAttachment", podIp: "10.0.0.1" }, "egress", describeTarget), { state: "enforced", reason: null });
  });

  it("a failure: pending when something was not found, else error, with what was tried", () => {
    assert.deepEqual(viewAfterEnsure(fresh, { kind: "failed", notFound: true, message: "netns gone" }, "egress", describeTarget), {
      state: "pending", reason: "apply limit 10M: netns gone",
    });
    assert.equal(viewAfterEnsure(fresh, { kind: "failed", notFound: false, message: "verifier" }, "egress", describeTarget).state, "error");
  });
});
