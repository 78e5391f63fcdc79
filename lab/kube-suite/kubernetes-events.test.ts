/**
 * The Kubernetes EventSink against the Kubernetes API-server TEST DOUBLE: the Event's fields, aggregation of
 * repeats by PATCH, re-creation after expiry, rate limiting with exact coalesced counts, and errors logged
 * rather than thrown.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startApiServerDouble, type ApiServerDouble, type StoredEvent } from "../apiserver-double/index.js";
import { KubernetesEventSink, TokenBucket } from "../../src/kube/kubernetes-events.js";
import type { PodInfo } from "../../src/kube/pod.js";

const podNamed = (name: string): PodInfo => ({
  uid: `uid-${name}`,
  namespace: "pk-ns",
  name,
  nodeName: "pk-node",
  annotations: {},
  labels: {},
  podIPs: [],
  hostNetwork: false,
  resourceVersion: "42",
});

describe("Kubernetes EventSink against the API-server test double", () => {
  let apiserver: ApiServerDouble;
  let kubeconfig: string;
  const logLines: string[] = [];
  const sinks: KubernetesEventSink[] = [];
  before(async () => {
    apiserver = await startApiServerDouble();
    kubeconfig = await apiserver.writeKubeconfig();
  });
  after(async () => {
    for (const sink of sinks) await sink.close();
    await apiserver.close();
  });
  const newSink = (rateLimit?: { burst: number; perSecond: number }): KubernetesEventSink => {
    const sink = new KubernetesEventSink({ kubeconfig, nodeName: "pk-node", log: (line) => logLines.push(line), ...(rateLimit ? { rateLimit } : {}) });
    sinks.push(sink);
    return sink;
  };
  const eventsOf = (podName: string): StoredEvent[] =>
    apiserver.events.all().filter((event) => (event.involvedObject as { name: string }).name === podName);

  it("creates a core/v1 Event on the Pod with the right fields", async () => {
    const sink = newSink();
    const before = Date.now() - 1000;
    sink.emit(podNamed("e1"), "Warning", "InvalidBandwidth", 'kubernetes.io/egress-bandwidth "1m": resource is unreasonably small (< 1kbit)');
    await sink.idle();
    const [event, ...others] = eventsOf("e1");
    assert.equal(others.length, 0);
    assert.ok(event);
    assert.deepEqual(event.involvedObject, { kind: "Pod", apiVersion: "v1", namespace: "pk-ns", name: "e1", uid: "uid-e1", resourceVersion: "42" });
    assert.equal(event.reason, "InvalidBandwidth");
    assert.match(String(event.message), /unreasonably small/);
    assert.equal(event.type, "Warning");
    assert.deepEqual(event.source, { component: "pacer", host: "pk-node" });
    assert.equal(event.count, 1);
    assert.equal(event.metadata.namespace, "pk-ns");
    assert.match(event.metadata.name, /^e1\.[0-9a-f]+$/);
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
    const tampered = eventsOf("e2").filter((event) => event.reason === "Tampered");
    assert.equal(tampered.length, 1);
    assert.equal(tampered[0]?.count, 3);
    assert.equal(eventsOf("e2").length, 2);
    const name = tampered[0]?.metadata.name;
    const requests = apiserver.events.requests.filter((request) => request.name === name);
    assert.deepEqual(requests.map((request) => request.method), ["POST", "PATCH", "PATCH"]);
    assert.equal(requests[1]?.contentType, "application/json-patch+json");
  });

  it("creates a new Event when the aggregated one expired", async () => {
    const sink = newSink();
    sink.emit(podNamed("e3"), "Warning", "Tampered", "again");
    await sink.idle();
    const first = eventsOf("e3")[0]?.metadata.name ?? "";
    assert.ok(apiserver.events.expire("pk-ns", first));
    sink.emit(podNamed("e3"), "Warning", "Tampered", "again");
    await sink.idle();
    const [event] = eventsOf("e3");
    assert.notEqual(event?.metadata.name, first);
    assert.equal(event?.count, 2);
  });

  it("rate-limits writes and coalesces repeats so the count stays exact", async () => {
    const sink = newSink({ burst: 1, perSecond: 20 });
    const writesBefore = apiserver.counts.eventWrites;
    const started = performance.now();
    for (let i = 0; i < 50; i += 1) sink.emit(podNamed("e4"), "Warning", "ReconcileFailed", "same");
    for (let i = 0; i < 4; i += 1) sink.emit(podNamed(`e4-${i}`), "Normal", "BandwidthLimited", "egress 1M");
    await sink.idle();
    const elapsed = performance.now() - started;
    assert.equal(eventsOf("e4")[0]?.count, 50);
    const writes = apiserver.counts.eventWrites - writesBefore;
    assert.ok(writes <= 6, `50 repeats + 4 Events took ${writes} writes`);
    assert.ok(elapsed >= ((writes - 1) * 1000) / 20 - 10, `${writes} writes at 20/s took only ${elapsed.toFixed(0)} ms`);
  });

  it("logs API errors instead of throwing", async () => {
    const sink = newSink();
    apiserver.setAvailable(false);
    try {
      assert.doesNotThrow(() => sink.emit(podNamed("e5"), "Warning", "Tampered", "down"));
      await sink.idle();
    } finally {
      apiserver.setAvailable(true);
    }
    assert.ok(logLines.some((line) => line.includes("e5") && line.includes("HTTP 503")), logLines.join("\n"));
  });

  it("token bucket: burst, then one token per 1/rate seconds", () => {
    let now = 0;
    const bucket = new TokenBucket(2, 10, () => now);
    assert.equal(bucket.take(), 0);
    assert.equal(bucket.take(), 0);
    assert.equal(bucket.take(), 100);
    now = 100;
    assert.equal(bucket.take(), 0);
  });
});
