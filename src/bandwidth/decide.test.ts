/** decideRow and viewAfterEnsure: every rule of a row's decision, without a datapath. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AppliedLimit } from "../datapath/datapath.js";
import { requestedLimitsOf, type RequestedLimit } from "./annotations.js";
import { decideRow, viewAfterEnsure, type RowDecision, type RowFacts } from "./decide.js";
import { formatBitsPerSecond } from "./quantity.js";

const egress = (value: string): RequestedLimit => {
  const [requested] = requestedLimitsOf({ annotations: { "kubernetes.io/egress-bandwidth": value } });
  return requested!;
};

const applied = (bitsPerSecond: number): AppliedLimit => ({
  podKey: "default/a/u", direction: "egress", identity: 7, bitsPerSecond, netnsPath: "/run/netns/a", interfaceName: "eth0",
  counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
});

const facts = (overrides: Partial<RowFacts>): RowFacts => ({
  requested: egress("10M"), hostNetwork: false, applied: null, lastGood: null, disabledReason: null, verifyAll: false, retry: "none",
  ...overrides,
});

const ensureOf = (decision: RowDecision) => {
  assert.equal(decision.action, "ensure");
  return decision as Extract<RowDecision, { action: "ensure" }>;
};

describe("decideRow", () => {
  it("ensures a new limit, and settles without I/O once the datapath enforces it", () => {
    assert.deepEqual(decideRow(facts({})), {
      action: "ensure", bitsPerSecond: 10_000_000, upToDate: false, settled: { state: "enforced", reason: null }, lastGood: null, invalid: null,
    });
    assert.deepEqual(decideRow(facts({ applied: applied(10_000_000), lastGood: 10_000_000 })), {
      action: "settle", remove: null, view: { state: "enforced", reason: null }, keepEnforced: true, lastGood: 10_000_000, invalid: null,
    });
  });

  it("ensures an enforced row again on a drift check or a due retry, and waits while the retry is not due", () => {
    const enforced = { applied: applied(10_000_000), lastGood: 10_000_000 };
    assert.equal(ensureOf(decideRow(facts({ ...enforced, verifyAll: true }))).upToDate, true);
    assert.equal(ensureOf(decideRow(facts({ ...enforced, retry: "due" }))).upToDate, true);
    assert.deepEqual(decideRow(facts({ retry: "waiting" })), { action: "wait", lastGood: null, invalid: null });
  });

  it("keeps the last good limit on an invalid value, and adopts the datapath's after a restart", () => {
    const kept = ensureOf(decideRow(facts({ requested: egress("1m"), lastGood: 20_000_000 })));
    assert.equal(kept.bitsPerSecond, 20_000_000);
    assert.equal(kept.settled.state, "invalid");
    assert.match(kept.invalid?.message ?? "", /"1m" is invalid.*the last good limit 20M stays enforced/);
    const adopted = decideRow(facts({ requested: egress("1m"), applied: applied(5_000_000) }));
    assert.equal(adopted.action, "settle");
    assert.equal(adopted.lastGood, 5_000_000);
    assert.match(adopted.invalid?.message ?? "", /the last good limit 5M stays enforced/);
  });

  it("an invalid value with nothing to keep removes what is enforced and says no limit is enforced", () => {
    const decision = decideRow(facts({ requested: egress("bogus") }));
    assert.equal(decision.action, "settle");
    if (decision.action !== "settle") return;
    assert.equal(decision.remove, null);
    assert.equal(decision.view.state, "invalid");
    assert.match(decision.view.reason ?? "", /no limit is enforced until it is fixed/);
  });

  it("disabled: removes, shows the reason; a bad value is still reported, with why the manager is off", () => {
    const off = decideRow(facts({ applied: applied(10_000_000), disabledReason: "fq qdisc missing" }));
    assert.deepEqual(off, {
      action: "settle", remove: "bandwidth manager disabled", view: { state: "notEnforced", reason: "fq qdisc missing" }, keepEnforced: false,
      lastGood: 10_000_000, invalid: null,
    });
    const bad = decideRow(facts({ requested: egress("1m"), disabledReason: "fq qdisc missing" }));
    assert.equal(bad.action === "settle" && bad.view.state, "invalid");
    assert.match(bad.action === "settle" ? (bad.view.reason ?? "") : "", /"1m" is invalid.*the bandwidth manager is off too: fq qdisc missing/);
    assert.equal(bad.invalid?.value, "1m");
  });

  it("hostNetwork Pods are never limited, and their annotation is not judged", () => {
    const decision = decideRow(facts({ requested: egress("1m"), hostNetwork: true, applied: applied(10_000_000) }));
    assert.equal(decision.action, "settle");
    if (decision.action !== "settle") return;
    assert.equal(decision.remove, "hostNetwork Pod");
    assert.equal(decision.view.state, "hostNetwork");
    assert.equal(decision.invalid, null);
  });
});

describe("viewAfterEnsure", () => {
  const fresh = ensureOf(decideRow(facts({})));
  const upToDate = ensureOf(decideRow(facts({ applied: applied(10_000_000), verifyAll: true })));

  it("applied: the settled view", () => {
    assert.deepEqual(viewAfterEnsure(fresh, { kind: "applied" }, "egress", formatBitsPerSecond), { state: "enforced", reason: null });
  });

  it("no namespace or host veth yet: pending with what it waits for, unless the limit is already in place", () => {
    assert.deepEqual(viewAfterEnsure(fresh, { kind: "noAttachment", podIp: null }, "egress", formatBitsPerSecond), {
      state: "pending", reason: "waiting for the Pod's network namespace (Pod IP not assigned yet)",
    });
    assert.match(viewAfterEnsure(fresh, { kind: "noHostInterface", podInterface: "eth0" }, "ingress", formatBitsPerSecond).reason ?? "", /host-side veth peer of eth0.*ingress is paced there/);
    assert.deepEqual(viewAfterEnsure(upToDate, { kind: "noAttachment", podIp: "10.0.0.1" }, "egress", formatBitsPerSecond), { state: "enforced", reason: null });
  });

  it("a failure: pending when something was not found, else error, with what was tried", () => {
    assert.deepEqual(viewAfterEnsure(fresh, { kind: "failed", notFound: true, message: "netns gone" }, "egress", formatBitsPerSecond), {
      state: "pending", reason: "apply 10M: netns gone",
    });
    assert.equal(viewAfterEnsure(fresh, { kind: "failed", notFound: false, message: "verifier" }, "egress", formatBitsPerSecond).state, "error");
  });
});
