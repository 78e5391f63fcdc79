/**
 * The Kubernetes EventSink's suite, one set of cases for any API server (backend.ts): the Event's fields,
 * aggregation of repeats by PATCH, re-creation after expiry, rate limiting with exact coalesced counts, errors
 * logged rather than thrown, and a write refused by RBAC told to `pacer status` (ApiAccess).
 * kubernetes-events.test.ts runs it against the test double and a real kube-apiserver.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { ApiAccess } from "../../src/kube/api/access.js";
import { KubernetesEventSink } from "../../src/kube/kubernetes-events.js";
import type { PodInfo } from "../../src/kube/pod.js";
import type { KubeSuiteBackend, SuiteEvent } from "./backend.js";
import { until } from "./informer-suite.js";

export function eventsSuite(start: () => Promise<KubeSuiteBackend>): void {
  let backend: KubeSuiteBackend;
  const logLines: string[] = [];
  const sinks: KubernetesEventSink[] = [];
  before(async () => {
    backend = await start();
  });
  after(async () => {
    for (const sink of sinks) await sink.close();
    await backend?.close();
  });
  const podNamed = (name: string): PodInfo => ({
    uid: `uid-${name}`, namespace: backend.namespace, name, nodeName: "pk-node", annotations: {}, labels: {}, podIPs: [], hostNetwork: false, resourceVersion: "42",
  });
  const newSink = (options: { rateLimit?: { burst: number; perSecond: number }; access?: ApiAccess } = {}): KubernetesEventSink => {
    const sink = new KubernetesEventSink({ kubeconfig: backend.kubeconfig, nodeName: "pk-node", log: (line) => logLines.push(line), ...options });
    sinks.push(sink);
    return sink;
  };
  const eventsOf = (podName: string): Promise<SuiteEvent[]> => backend.events(podName);

  it("creates a core/v1 Event on the Pod with the right fields", async () => {
    const sink = newSink();
    const before = Date.now() - 2000;
    sink.emit(podNamed("e1"), "Warning", "InvalidBandwidth", 'kubernetes.io/egress-bandwidth "1m": resource is unreasonably small (< 1kbit)');
    await sink.idle();
    const [event, ...others] = await eventsOf("e1");
    assert.equal(others.length, 0);
    assert.ok(event);
    assert.deepEqual(event.involvedObject, { kind: "Pod", apiVersion: "v1", namespace: backend.namespace, name: "e1", uid: "uid-e1", resourceVersion: "42" });
    assert.equal(event.reason, "InvalidBandwidth");
    assert.match(String(event.message), /unreasonably small/);
    assert.equal(event.type, "Warning");
    assert.deepEqual(event.source, { component: "pacer", host: "pk-node" });
    assert.equal(event.count, 1);
    assert.equal(event.namespace, backend.namespace);
    assert.match(event.name, /^e1\.[0-9a-f]+$/);
    assert.ok(Date.parse(String(event.firstTimestamp)) >= before);
    assert.ok(Date.parse(String(event.lastTimestamp)) >= Date.parse(String(event.firstTimestamp)));
  });

  it("aggregates repeats of the same reason and message by patching count and lastTimestamp", async () => {
    const sink = newSink();
    for (let i = 0; i < 3; i += 1) {
      sink.emit(podNamed("e2"), "Warning", "Tampered", "qdisc on eth0 was replaced; restored fq");
      await sink.idle();
    }
    sink.emit(podNamed("e2"), "Normal", "BandwidthLimited", "egress 10M");
    await sink.idle();
    const events = await eventsOf("e2");
    const tampered = events.filter((event) => event.reason === "Tampered");
    assert.equal(tampered.length, 1);
    assert.equal(tampered[0]?.count, 3);
    assert.equal(events.length, 2);
    const name = tampered[0]?.name;
    assert.deepEqual(await backend.eventWrites(name), ["create", "patch", "patch"]);
  });

  it("creates a new Event when the aggregated one expired", async () => {
    const sink = newSink();
    sink.emit(podNamed("e3"), "Warning", "Tampered", "again");
    await sink.idle();
    const first = (await eventsOf("e3"))[0]?.name ?? "";
    await backend.deleteEvent(first);
    sink.emit(podNamed("e3"), "Warning", "Tampered", "again");
    await sink.idle();
    const [event, ...others] = await eventsOf("e3");
    assert.equal(others.length, 0);
    assert.notEqual(event?.name, first);
    assert.equal(event?.count, 2);
  });

  it("rate-limits writes and coalesces repeats so the count stays exact", async () => {
    const sink = newSink({ rateLimit: { burst: 1, perSecond: 20 } });
    const writesBefore = (await backend.eventWrites()).length;
    const started = performance.now();
    for (let i = 0; i < 50; i += 1) sink.emit(podNamed("e4"), "Warning", "ReconcileFailed", "same");
    for (let i = 0; i < 4; i += 1) sink.emit(podNamed(`e4-${i}`), "Normal", "BandwidthLimited", "egress 1M");
    await sink.idle();
    const elapsed = performance.now() - started;
    assert.equal((await eventsOf("e4"))[0]?.count, 50);
    const writes = (await backend.eventWrites()).length - writesBefore;
    assert.ok(writes >= 5 && writes <= 6, `50 repeats + 4 Events took ${writes} writes`);
    assert.ok(elapsed >= ((writes - 1) * 1000) / 20 - 10, `${writes} writes at 20/s took only ${elapsed.toFixed(0)} ms`);
  });

  it("logs API errors instead of throwing, and pacer status names the failing write until one succeeds", async () => {
    const access = new ApiAccess();
    const sink = newSink({ access });
    await backend.cutOff();
    try {
      assert.doesNotThrow(() => sink.emit(podNamed("e5"), "Warning", "Tampered", "down"));
      await sink.idle();
    } finally {
      await backend.heal();
    }
    assert.ok(logLines.some((line) => line.includes("e5") && line.includes("write Event Tampered")), logLines.join("\n"));
    assert.deepEqual(access.problems().map((problem) => `${problem.verb} ${problem.resource}`), ["create events"]);
    sink.emit(podNamed("e5"), "Warning", "Tampered", "up again");
    await sink.idle();
    assert.deepEqual(access.problems(), []);
  });

  for (const verb of ["create", "patch"]) {
    it(`without RBAC verb "${verb}" on events: pacer status says which verb to grant`, async () => {
      const access = new ApiAccess();
      const sink = newSink({ access });
      if (verb === "patch") {
        sink.emit(podNamed(`e6-${verb}`), "Warning", "Tampered", "twice");
        await sink.idle();
      }
      await backend.setForbidden(verb, "events", true);
      try {
        await until(`a refused ${verb}`, async () => {
          sink.emit(podNamed(`e6-${verb}`), "Warning", "Tampered", "twice");
          await sink.idle();
          return access.problems().some((problem) => problem.verb === verb);
        }, () => JSON.stringify(access.problems()), 10_000);
      } finally {
        await backend.setForbidden(verb, "events", false);
      }
      const problem = access.problems().find((candidate) => candidate.verb === verb);
      assert.equal(problem?.statusCode, 403);
      assert.match(problem?.action ?? "", new RegExp(`grant verb "${verb}" on resource "events"`));
    });
  }
}
