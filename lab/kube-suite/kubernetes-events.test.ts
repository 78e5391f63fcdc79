/**
 * The Kubernetes EventSink through one suite (events-suite.ts), run twice: against the Kubernetes API-server
 * TEST DOUBLE (lab/apiserver-double, fast) and against a REAL kube-apiserver with etcd on loopback, writing
 * as pacer's ServiceAccount under the chart's ClusterRole; plus the token bucket on its own.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { TokenBucket } from "../../src/kube/kubernetes-events.js";
import { clusterToolsMissing } from "../cluster/tools.js";
import { startDoubleBackend } from "./backend.js";
import { startClusterBackend } from "./cluster-backend.js";
import { eventsSuite } from "./events-suite.js";

describe("Kubernetes EventSink against the API-server test double", () => eventsSuite(startDoubleBackend));

describe("Kubernetes EventSink against a real kube-apiserver and etcd", { skip: requirePrerequisites([clusterToolsMissing()]) }, () =>
  eventsSuite(startClusterBackend));

describe("Kubernetes EventSink", () => {
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
