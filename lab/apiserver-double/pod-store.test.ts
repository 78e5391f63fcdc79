/** List/watch semantics of the Kubernetes API-server TEST DOUBLE's Pod store (pure, no HTTP). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PodStore, type WatchEvent } from "./pod-store.js";
import { parseFieldSelector } from "./field-selector.js";

const pod = (name: string, nodeName: string) => ({ metadata: { namespace: "default", name }, spec: { nodeName } });

function collect(store: PodStore, selector: string, from: string): { events: WatchEvent[]; started: boolean } {
  const events: WatchEvent[] = [];
  const started = store.watch({ requirements: parseFieldSelector(selector), send: (e) => events.push(e), end: () => {} }, from);
  return { events, started };
}

describe("apiserver test double: PodStore", () => {
  it("lists only Pods matching the field selector, with the current resourceVersion", () => {
    const store = new PodStore();
    store.upsert(pod("a", "node-a"));
    store.upsert(pod("b", "node-b"));
    const list = store.list(parseFieldSelector("spec.nodeName=node-a"));
    assert.deepEqual(list.items.map((item) => item.metadata.name), ["a"]);
    assert.equal(list.resourceVersion, store.currentResourceVersion());
  });

  it("replays changes after a resourceVersion and turns selector transitions into ADDED/DELETED", () => {
    const store = new PodStore();
    const from = store.upsert(pod("a", "node-a")).metadata.resourceVersion ?? "";
    store.upsert(pod("b", "node-b"));
    store.modify("default", "a", (p) => (p.metadata.annotations = { k: "v" }));
    store.modify("default", "b", (p) => (p.spec = { nodeName: "node-a" }));
    store.delete("default", "a");
    const { events } = collect(store, "spec.nodeName=node-a", from);
    assert.deepEqual(
      events.map((e) => `${e.type} ${(e.object as { metadata: { name: string } }).metadata.name}`),
      ["MODIFIED a", "ADDED b", "DELETED a"],
    );
  });

  it("answers a watch from before the compacted history with a 410 ERROR event", () => {
    const store = new PodStore();
    const old = store.upsert(pod("a", "node-a")).metadata.resourceVersion ?? "";
    store.upsert(pod("b", "node-a"));
    store.compact();
    const { events, started } = collect(store, "", old);
    assert.equal(started, false);
    assert.equal(events[0]?.type, "ERROR");
    assert.equal((events[0]?.object as { code: number }).code, 410);
  });

  it("starts a watch from resourceVersion 0 with the current state", () => {
    const store = new PodStore();
    store.upsert(pod("a", "node-a"));
    store.delete("default", "a");
    store.upsert(pod("c", "node-a"));
    const { events } = collect(store, "spec.nodeName=node-a", "0");
    assert.deepEqual(events.map((e) => e.type), ["ADDED"]);
  });
});
