/**
 * The chart as the cluster scenarios read it: the ClusterRole's grants, one verb taken away (the RBAC
 * scenario's roles), and the rendered DaemonSet's container, ServiceAccount and namespace (real helm).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { helmMissing } from "../chart/helm-cli.js";
import { grantedVerbs, renderPacerChart, withoutVerb, type RenderedChart } from "./chart.js";

const role = {
  apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "pacer" },
  rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }, { apiGroups: [""], resources: ["events"], verbs: ["create"] }],
} as RenderedChart["clusterRole"];

describe("the chart's ClusterRole in the RBAC scenarios", () => {
  it("lists every granted verb per resource and takes one away, dropping a rule left empty", () => {
    assert.deepEqual(grantedVerbs(role), [{ resource: "pods", verb: "list" }, { resource: "pods", verb: "watch" }, { resource: "events", verb: "create" }]);
    assert.deepEqual(withoutVerb(role, "pods", "watch").rules.map((rule) => rule.verbs), [["list"], ["create"]]);
    assert.deepEqual(withoutVerb(role, "events", "create").rules.map((rule) => rule.resources), [["pods"]]);
    assert.deepEqual(role.rules[0]?.verbs, ["list", "watch"], "the original is left as it was");
  });

  it("reads the rendered DaemonSet's container, ServiceAccount and namespace", { skip: requirePrerequisites([helmMissing()]) }, () => {
    const chart = renderPacerChart({ kubeVersion: "v1.35.4" });
    assert.equal(chart.namespace, "kube-system");
    assert.equal(chart.serviceAccount, "pacer");
    assert.deepEqual(chart.container.command, ["pacer"]);
    assert.equal(chart.container.args?.[0], "agent");
    assert.ok(grantedVerbs(chart.clusterRole).length > 0);
    assert.ok(chart.objects.some((object) => object.kind === "CustomResourceDefinition" && object.metadata.name === "bandwidthbudgets.pacer.dev"), "the CRDs, as helm install creates them");
  });
});
