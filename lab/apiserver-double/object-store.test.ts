/**
 * The TEST DOUBLE's object store with a status subresource, as a CRD with `subresources.status` behaves on
 * the real server: generation counts spec changes only, the main resource keeps the stored status, and a
 * status merge patch applies only to status, refused with 409 when its resourceVersion is stale.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ObjectStore, StoreError, type StoredObject, type WatchEvent } from "./object-store.js";

const budget = (egress: string, status?: Record<string, unknown>): StoredObject => ({ metadata: { namespace: "shop", name: "b" }, spec: { egress }, ...(status ? { status } : {}) });

describe("apiserver test double: ObjectStore with a status subresource", () => {
  it("counts spec changes in generation and keeps the status an upsert brings", () => {
    const store = new ObjectStore<StoredObject>({ apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget", statusSubresource: true });
    const created = store.upsert(budget("1M", { ignored: true }));
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.status, undefined, "status on create is dropped");
    assert.equal(created.kind, "BandwidthBudget");
    store.patchStatus("shop", "b", { status: { observedGeneration: 1 } });
    const relabelled = store.modify("shop", "b", (object) => (object.metadata.labels = { a: "b" }));
    assert.equal(relabelled.metadata.generation, 1, "metadata is not spec");
    assert.deepEqual(relabelled.status, { observedGeneration: 1 });
    const edited = store.upsert(budget("2M", { observedGeneration: 99 }));
    assert.equal(edited.metadata.generation, 2);
    assert.deepEqual(edited.status, { observedGeneration: 1 }, "the main resource cannot write status");
  });

  it("merge-patches status alone, streams it as MODIFIED, and refuses a stale resourceVersion with 409", () => {
    const store = new ObjectStore<StoredObject>({ apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget", statusSubresource: true });
    const created = store.upsert(budget("1M"));
    const events: WatchEvent[] = [];
    store.watch({ requirements: [], send: (event) => events.push(event), end: () => {} }, created.metadata.resourceVersion ?? "");
    const patched = store.patchStatus("shop", "b", { metadata: { resourceVersion: created.metadata.resourceVersion }, status: { conditions: [{ type: "Accepted" }] }, spec: { egress: "9G" } });
    assert.deepEqual(patched.spec, { egress: "1M" }, "spec is not the status subresource's");
    assert.deepEqual(patched.status, { conditions: [{ type: "Accepted" }] });
    assert.equal(patched.metadata.generation, 1);
    assert.deepEqual(events.map((event) => event.type), ["MODIFIED"]);
    assert.throws(() => store.patchStatus("shop", "b", { metadata: { resourceVersion: created.metadata.resourceVersion }, status: {} }),
      (error: unknown) => error instanceof StoreError && error.statusCode === 409 && /the object has been modified/.test(error.message));
    assert.throws(() => store.patchStatus("shop", "none", { status: {} }), (error: unknown) => error instanceof StoreError && error.statusCode === 404);
  });
});
