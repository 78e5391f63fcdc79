/** Reconciler behaviour over the in-memory datapath (FakeKernel) with a test-double resolver. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import { Reconciler } from "./reconciler.js";
import { FakeResolver, makePod, RecordingEvents } from "./testing/fakes.js";

const EGRESS = "kubernetes.io/egress-bandwidth";
const INGRESS = "kubernetes.io/ingress-bandwidth";

function setup(kernel = new FakeKernel()) {
  const manager: { disabledReason: string | null } = { disabledReason: null };
  const events = new RecordingEvents();
  const resolver = new FakeResolver();
  const logs: string[] = [];
  const reconciler = new Reconciler({
    datapath: new FakeDatapath(kernel),
    manager,
    resolver,
    events,
    log: (line) => logs.push(line),
    maxBackoffMs: 1000,
  });
  const limits = async () =>
    (await new FakeDatapath(kernel).listLimits()).map((l) => `${l.podKey} ${l.direction} ${l.bitsPerSecond}`).sort();
  return { kernel, manager, events, resolver, logs, reconciler, limits };
}

describe("Reconciler", () => {
  it("does nothing before the first sync, then enforces both directions", async () => {
    const { reconciler, limits } = setup();
    await reconciler.reconcile();
    assert.deepEqual(await limits(), []);
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M", [INGRESS]: "1Mi" })] });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["default/a/uid-a egress 10000000", "default/a/uid-a ingress 1048576"]);
    assert.deepEqual(reconciler.rows().map((r) => [r.direction, r.state, r.enforcedBitsPerSecond]), [
      ["egress", "enforced", 10_000_000],
      ["ingress", "enforced", 1_048_576],
    ]);
  });

  it("keeps the last good limit on an invalid edit, with one Event, then applies the fix", async () => {
    const { reconciler, limits, events } = setup();
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M" })] });
    await reconciler.reconcile();
    reconciler.applyEvent({ type: "upsert", pod: makePod("a", { [EGRESS]: "1m" }) });
    await reconciler.reconcile();
    await reconciler.reconcile({ verifyAll: true });
    assert.deepEqual(await limits(), ["default/a/uid-a egress 10000000"]);
    const [row] = reconciler.rows();
    assert.equal(row?.state, "invalid");
    assert.equal(row?.enforcedBitsPerSecond, 10_000_000);
    assert.match(row?.reason ?? "", /unreasonably small/);
    assert.deepEqual(events.events.map((e) => [e.type, e.reason]), [["Warning", "InvalidBandwidth"]]);
    reconciler.applyEvent({ type: "upsert", pod: makePod("a", { [EGRESS]: "20M" }) });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["default/a/uid-a egress 20000000"]);
    assert.equal(reconciler.rows()[0]?.state, "enforced");
  });

  it("adopts on restart: an invalid annotation keeps the limit a previous run enforced", async () => {
    const first = setup();
    first.reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M" })] });
    await first.reconciler.reconcile();
    const writesBefore = first.kernel.writes;
    const second = setup(first.kernel);
    second.reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "bogus" })] });
    await second.reconciler.reconcile();
    assert.deepEqual(await second.limits(), ["default/a/uid-a egress 10000000"]);
    assert.equal(second.kernel.writes, writesBefore, "adoption writes nothing to the kernel");
  });

  it("removes limits of deleted Pods and of removed annotations", async () => {
    const { reconciler, limits } = setup();
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M" }), makePod("b", { [EGRESS]: "5M", [INGRESS]: "5M" })] });
    await reconciler.reconcile();
    reconciler.applyEvent({ type: "delete", pod: makePod("a") });
    reconciler.applyEvent({ type: "upsert", pod: makePod("b", { [EGRESS]: "5M" }) });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["default/b/uid-b egress 5000000"]);
    assert.equal(reconciler.rows().length, 1);
  });

  it("detects tampering on a verifying pass and emits Tampered", async () => {
    const { reconciler, kernel, events } = setup();
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M" })] });
    await reconciler.reconcile();
    kernel.tamper("default/a/uid-a", "egress", "qdisc");
    await reconciler.reconcile({ verifyAll: true });
    assert.deepEqual(events.events.map((e) => [e.type, e.reason]), [["Warning", "Tampered"]]);
    assert.match(events.events[0]?.message ?? "", /qdisc/);
  });

  it("keeps a Pod without a namespace pending and retries after backoff", async () => {
    let clock = 0;
    const kernel = new FakeKernel();
    const resolver = new FakeResolver();
    const reconciler = new Reconciler({
      datapath: new FakeDatapath(kernel), manager: { disabledReason: null }, resolver, events: new RecordingEvents(), log: () => {}, maxBackoffMs: 1000, now: () => clock,
    });
    resolver.unresolvable.add("a");
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M" })] });
    await reconciler.reconcile();
    assert.equal(reconciler.rows()[0]?.state, "pending");
    assert.equal(reconciler.nextRetryInMs(), 200);
    resolver.unresolvable.delete("a");
    await reconciler.reconcile();
    assert.equal(reconciler.rows()[0]?.state, "pending", "not retried before the backoff");
    clock = 250;
    await reconciler.reconcile();
    assert.equal(reconciler.rows()[0]?.state, "enforced");
    assert.equal(reconciler.nextRetryInMs(), null);
  });

  it("hostNetwork Pods are not limited; disabled removes everything and says why", async () => {
    const { reconciler, manager, limits } = setup();
    reconciler.applyEvent({ type: "sync", pods: [makePod("h", { [EGRESS]: "10M" }, { hostNetwork: true }), makePod("a", { [EGRESS]: "10M" })] });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["default/a/uid-a egress 10000000"]);
    assert.equal(reconciler.rows().find((r) => r.name === "h")?.state, "hostNetwork");
    manager.disabledReason = "disabled by configuration";
    await reconciler.reconcile();
    assert.deepEqual(await limits(), []);
    assert.deepEqual(reconciler.rows().map((r) => [r.name, r.state, r.reason]), [
      ["a", "notEnforced", "disabled by configuration"],
      ["h", "notEnforced", "disabled by configuration"],
    ]);
  });

  it("while disabled, a bad value still shows as invalid (with the reason the manager is off) and is reported", async () => {
    const { reconciler, manager, events } = setup();
    manager.disabledReason = "fq qdisc missing";
    reconciler.applyEvent({ type: "sync", pods: [makePod("bad", { [EGRESS]: "1m" }), makePod("ok", { [EGRESS]: "10M" })] });
    await reconciler.reconcile();
    const bad = reconciler.rows().find((r) => r.name === "bad");
    assert.equal(bad?.state, "invalid");
    assert.match(bad?.reason ?? "", /"1m" is invalid.*the bandwidth manager is off too: fq qdisc missing/);
    assert.equal(reconciler.rows().find((r) => r.name === "ok")?.state, "notEnforced");
    assert.ok(events.events.some((e) => e.reason === "InvalidBandwidth" && e.pod === "default/bad/uid-bad"));
  });

  it("a kernel refusal is an error row with the cause, retried", async () => {
    const { reconciler, kernel } = setup();
    kernel.existingNetns = new Set();
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M" })] });
    await reconciler.reconcile();
    const [row] = reconciler.rows();
    assert.equal(row?.state, "pending");
    assert.match(row?.reason ?? "", /apply limit 10M: open network namespace/);
    assert.ok((reconciler.nextRetryInMs() ?? Infinity) <= 200);
  });

  it("ingress without a host-side veth stays pending with the reason; egress is enforced", async () => {
    const { reconciler, resolver, limits } = setup();
    resolver.resolve = async (pod) => ({ podKey: `default/${pod.name}/${pod.uid}`, netnsPath: "/var/run/netns/x", podInterface: "eth0" });
    reconciler.applyEvent({ type: "sync", pods: [makePod("a", { [EGRESS]: "10M", [INGRESS]: "10M" })] });
    await reconciler.reconcile();
    assert.deepEqual(await limits(), ["default/a/uid-a egress 10000000"]);
    const ingress = reconciler.rows().find((r) => r.direction === "ingress");
    assert.equal(ingress?.state, "pending");
    assert.match(ingress?.reason ?? "", /host-side veth/);
  });
});
