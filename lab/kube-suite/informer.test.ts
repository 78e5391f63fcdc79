/**
 * The REAL informer Pod source (client-node 1.3.0 over HTTP) through one suite (informer-suite.ts), run twice:
 * against the Kubernetes API-server TEST DOUBLE (lab/apiserver-double, fast) and against a REAL kube-apiserver
 * with etcd on loopback, connecting as pacer's ServiceAccount under the chart's ClusterRole.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { podInfoFromV1Pod } from "../../src/kube/informer.js";
import { clusterToolsMissing } from "../cluster/tools.js";
import { startDoubleBackend } from "./backend.js";
import { startClusterBackend } from "./cluster-backend.js";
import { informerSuite } from "./informer-suite.js";

describe("informer Pod source against the API-server test double", () => informerSuite(startDoubleBackend));

describe("informer Pod source against a real kube-apiserver and etcd", { skip: requirePrerequisites([clusterToolsMissing()]) }, () =>
  informerSuite(startClusterBackend));

describe("informer Pod source", () => {
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
