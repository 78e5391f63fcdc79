/**
 * The REAL informer Pod source (client-node 1.3.0 over HTTP) against the Kubernetes API-server TEST DOUBLE
 * (lab/apiserver-double): sync, add/modify/delete, field selector, 410 Gone → relist, dropped
 * connections and an unavailable server → reconnect.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { startApiServerDouble, type ApiServerDouble, type PodObject } from "../apiserver-double/index.js";
import { createInformerPodSource, podInfoFromV1Pod } from "../../src/kube/informer.js";
import type { PodEvent, PodInfo, PodSource } from "../../src/kube/pod.js";

const node = "pk-node-a";
const pod = (name: string, nodeName = node, annotations: Record<string, string> = {}): PodObject => ({
  metadata: { namespace: "default", name, annotations },
  spec: { nodeName },
  status: { podIP: "10.0.0.1", podIPs: [{ ip: "10.0.0.1" }, { ip: "fd00::1" }] },
});

/** Collects a source's events and keeps the resulting state (namespace/name → PodInfo). */
class Recorder {
  readonly events: PodEvent[] = [];
  readonly state = new Map<string, PodInfo>();
  private waiters: Array<() => void> = [];

  readonly handle = (event: PodEvent): void => {
    this.events.push(event);
    if (event.type === "sync") for (const p of event.pods) this.state.set(`${p.namespace}/${p.name}`, p);
    else if (event.type === "upsert") this.state.set(`${event.pod.namespace}/${event.pod.name}`, event.pod);
    else if (this.state.get(`${event.pod.namespace}/${event.pod.name}`)?.uid === event.pod.uid) {
      this.state.delete(`${event.pod.namespace}/${event.pod.name}`);
    }
    for (const wake of this.waiters.splice(0)) wake();
  };

  async until(what: string, predicate: () => boolean, timeoutMilliseconds = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMilliseconds;
    while (!predicate()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) assert.fail(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.map(summary))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  names(): string[] {
    return [...this.state.keys()].sort();
  }
}

const summary = (event: PodEvent): string =>
  event.type === "sync" ? `sync[${event.pods.map((p) => p.name).join(",")}]` : `${event.type} ${event.pod.name}`;

describe("informer Pod source against the API-server test double", () => {
  let apiserver: ApiServerDouble;
  let kubeconfig: string;
  const sources: PodSource[] = [];
  const logLines: string[] = [];

  before(async () => {
    apiserver = await startApiServerDouble();
    kubeconfig = await apiserver.writeKubeconfig();
  });
  after(async () => {
    for (const source of sources) await source.stop();
    await apiserver.close();
  });

  const startSource = async (recorder: Recorder): Promise<PodSource> => {
    const source = createInformerPodSource({
      kubeconfig,
      nodeName: node,
      log: (line) => logLines.push(line),
      backoff: { initialMilliseconds: 50, maxMilliseconds: 200 },
    });
    sources.push(source);
    await source.start(recorder.handle);
    return source;
  };

  it("syncs first, then delivers add, modify and delete; other nodes' Pods never arrive", async () => {
    apiserver.pods.upsert(pod("t1-a"));
    apiserver.pods.upsert(pod("t1-other", "pk-node-b"));
    const recorder = new Recorder();
    const source = await startSource(recorder);
    assert.equal(recorder.events[0]?.type, "sync");
    assert.deepEqual(recorder.names(), ["default/t1-a"]);
    const synced = recorder.state.get("default/t1-a");
    assert.deepEqual(synced?.podIPs, ["10.0.0.1", "fd00::1"]);
    assert.equal(synced?.nodeName, node);

    apiserver.pods.upsert(pod("t1-b", node, { "kubernetes.io/egress-bandwidth": "10M" }));
    apiserver.pods.upsert(pod("t1-other-2", "pk-node-b"));
    apiserver.pods.modify("default", "t1-a", (p) => (p.metadata.annotations = { "kubernetes.io/egress-bandwidth": "5M" }));
    apiserver.pods.modify("default", "t1-other", (p) => (p.metadata.annotations = { x: "y" }));
    apiserver.pods.delete("default", "t1-b");
    await recorder.until("t1-b deleted", () => recorder.events.some((e) => e.type === "delete" && e.pod.name === "t1-b"));
    assert.deepEqual(recorder.events.map(summary), ["sync[t1-a]", "upsert t1-b", "upsert t1-a", "delete t1-b"]);
    assert.equal(recorder.state.get("default/t1-a")?.annotations["kubernetes.io/egress-bandwidth"], "5M");
    assert.ok(recorder.events.every((e) => e.type === "sync" || e.pod.nodeName === node));
    await source.stop();
    for (const name of ["t1-a", "t1-other", "t1-other-2"]) apiserver.pods.delete("default", name);
  });

  it("relists after 410 Gone and ends in the server's state", async () => {
    apiserver.pods.upsert(pod("t2-a"));
    const recorder = new Recorder();
    const source = await startSource(recorder);
    const listsBefore = apiserver.counts.lists;
    apiserver.pods.upsert(pod("t2-b"));
    await recorder.until("t2-b", () => recorder.state.has("default/t2-b"));
    apiserver.expireWatches();
    await recorder.until("relist", () => apiserver.counts.lists > listsBefore);
    apiserver.pods.upsert(pod("t2-c"));
    await recorder.until("t2-c after relist", () => recorder.state.has("default/t2-c"));
    assert.deepEqual(recorder.names(), ["default/t2-a", "default/t2-b", "default/t2-c"]);
    await source.stop();
    for (const name of ["t2-a", "t2-b", "t2-c"]) apiserver.pods.delete("default", name);
  });

  it("after an outage with compacted history: retries with backoff, relists, and deletes Pods that vanished", async () => {
    apiserver.pods.upsert(pod("t3-gone"));
    apiserver.pods.upsert(pod("t3-edited"));
    apiserver.pods.upsert(pod("t3-recreated"));
    const recorder = new Recorder();
    const source = await startSource(recorder);
    const oldUid = recorder.state.get("default/t3-recreated")?.uid;
    const rejectedBefore = apiserver.counts.rejected;
    apiserver.setAvailable(false);
    apiserver.pods.delete("default", "t3-gone");
    apiserver.pods.modify("default", "t3-edited", (p) => (p.metadata.annotations = { "kubernetes.io/egress-bandwidth": "1M" }));
    apiserver.pods.delete("default", "t3-recreated");
    apiserver.pods.upsert(pod("t3-recreated"));
    apiserver.pods.upsert(pod("t3-new"));
    apiserver.pods.compact();
    await recorder.until("a rejected retry", () => apiserver.counts.rejected >= rejectedBefore + 2);
    apiserver.setAvailable(true);
    await recorder.until("t3-new", () => recorder.state.has("default/t3-new"));
    await recorder.until("t3-gone deleted", () => !recorder.state.has("default/t3-gone"));
    assert.deepEqual(recorder.names(), ["default/t3-edited", "default/t3-new", "default/t3-recreated"]);
    assert.equal(recorder.state.get("default/t3-edited")?.annotations["kubernetes.io/egress-bandwidth"], "1M");
    const recreatedEvents = recorder.events.filter((e) => e.type !== "sync" && e.pod.name === "t3-recreated");
    assert.deepEqual(recreatedEvents.map((e) => e.type), ["delete", "upsert"]);
    assert.equal(recreatedEvents[0]?.type !== "sync" && recreatedEvents[0]?.pod.uid, oldUid);
    assert.notEqual(recorder.state.get("default/t3-recreated")?.uid, oldUid);
    assert.ok(logLines.some((line) => line.includes("HTTP 503")), "the outage is logged");
    await source.stop();
    for (const name of ["t3-edited", "t3-recreated", "t3-new"]) apiserver.pods.delete("default", name);
  });

  it("reconnects after a dropped connection and delivers changes made during and after the drop", async () => {
    const recorder = new Recorder();
    const source = await startSource(recorder);
    const watchesBefore = apiserver.counts.watches;
    apiserver.dropConnections();
    apiserver.pods.upsert(pod("t4-during"));
    await recorder.until("re-watch", () => apiserver.counts.watches > watchesBefore);
    apiserver.pods.upsert(pod("t4-after"));
    await recorder.until("t4-after", () => recorder.state.has("default/t4-after"));
    assert.deepEqual(recorder.names(), ["default/t4-after", "default/t4-during"]);
    await source.stop();
    for (const name of ["t4-during", "t4-after"]) apiserver.pods.delete("default", name);
  });

  it("waits out an API server that is down at start, then syncs", async () => {
    apiserver.pods.upsert(pod("t5-a"));
    const rejectedBefore = apiserver.counts.rejected;
    apiserver.setAvailable(false);
    const recorder = new Recorder();
    let started = false;
    const starting = startSource(recorder).then(() => (started = true));
    try {
      await recorder.until("two rejected lists", () => apiserver.counts.rejected >= rejectedBefore + 2);
      assert.equal(started, false, "start() resolves only after the first sync");
    } finally {
      apiserver.setAvailable(true);
    }
    await starting;
    assert.equal(recorder.events[0]?.type, "sync");
    assert.deepEqual(recorder.names(), ["default/t5-a"]);
    apiserver.pods.delete("default", "t5-a");
  });

  it("maps a V1Pod to PodInfo", () => {
    const info = podInfoFromV1Pod({
      metadata: { uid: "u", namespace: "n", name: "p", resourceVersion: "7", annotations: { a: "b" }, labels: { app: "crawler" } },
      spec: { nodeName: "x", hostNetwork: true, containers: [] },
      status: { podIP: "10.1.1.1" },
    });
    assert.deepEqual(info, {
      uid: "u",
      namespace: "n",
      name: "p",
      nodeName: "x",
      annotations: { a: "b" },
      labels: { app: "crawler" },
      podIPs: ["10.1.1.1"],
      hostNetwork: true,
      resourceVersion: "7",
    });
  });
});
