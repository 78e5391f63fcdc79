/**
 * The committed install paths can't drift from the chart: deploy/kubectl/pacer.yaml must equal its rendering
 * now, and the chart carried inline by deploy/rke2/pacer.yaml (a HelmChart's chartContent) must render exactly
 * like deploy/helm/pacer, with the values of deploy/rke2/pacer-config.yaml accepted by the chart's schema.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { commandMissing, requirePrerequisites } from "../../src/testing/prerequisites.js";
import { containerNamed, helm, helmMissing, parseObjects, podTemplateOf, renderChart, REPO_ROOT, run } from "./helm-cli.js";

const read = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8");

const prerequisites = [helmMissing(), commandMissing("tar", "tar"), commandMissing("gzip", "gzip")];

describe("install manifests rendered from the chart", { skip: requirePrerequisites(prerequisites) }, () => {
  const scratch = mkdtempSync(join(tmpdir(), `ps-manifests-${process.pid}-`));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("deploy/kubectl/pacer.yaml equals the current rendering (bash deploy/kubectl/render.sh to update)", () => {
    const rendering = run("bash", ["deploy/kubectl/render.sh", "--stdout"]);
    assert.equal(rendering.status, 0, rendering.stderr);
    assert.ok(read("deploy/kubectl/pacer.yaml") === rendering.stdout, "deploy/kubectl/pacer.yaml is stale: run bash deploy/kubectl/render.sh and commit it");
    const kinds = parseObjects(rendering.stdout).map((object) => `${object.kind}/${object.metadata.name}`);
    // every CRD of the chart's crds/ (each file is named after its CRD): kubectl users have no helm install to create them
    const crds = readdirSync(join(REPO_ROOT, "deploy/helm/pacer/crds")).map((file) => `CustomResourceDefinition/${file.replace(/\.yaml$/, "")}`);
    assert.ok(crds.includes("CustomResourceDefinition/bandwidthbudgets.pacer.dev"));
    assert.deepEqual(kinds.sort(), ["ClusterRole/pacer", "ClusterRoleBinding/pacer", ...crds, "DaemonSet/pacer", "Role/pacer", "RoleBinding/pacer", "ServiceAccount/pacer"].sort());
  });

  it("deploy/rke2/pacer.yaml equals the current rendering (bash deploy/rke2/render.sh to update)", () => {
    const rendering = run("bash", ["deploy/rke2/render.sh", "--stdout"]);
    assert.equal(rendering.status, 0, rendering.stderr);
    assert.ok(read("deploy/rke2/pacer.yaml") === rendering.stdout, "deploy/rke2/pacer.yaml is stale: run bash deploy/rke2/render.sh and commit it");
  });

  it("the RKE2 HelmChart installs pacer into kube-system and its inline chart renders like deploy/helm/pacer", () => {
    const [helmChart, ...rest] = parseObjects(read("deploy/rke2/pacer.yaml")) as Array<{
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
      spec?: { targetNamespace?: string; chartContent?: string };
    }>;
    assert.equal(rest.length, 0);
    assert.equal(helmChart?.apiVersion, "helm.cattle.io/v1");
    assert.equal(helmChart?.kind, "HelmChart");
    assert.deepEqual(helmChart?.metadata, { name: "pacer", namespace: "kube-system" });
    assert.equal(helmChart?.spec?.targetNamespace, "kube-system");

    const archive = join(scratch, "pacer.tgz");
    writeFileSync(archive, Buffer.from(helmChart?.spec?.chartContent ?? "", "base64"));
    const fromArchive = helm(["template", "pacer", archive, "--namespace", "kube-system"]);
    const fromDirectory = helm(["template", "pacer", "deploy/helm/pacer", "--namespace", "kube-system"]);
    assert.equal(fromArchive.status, 0, fromArchive.stderr);
    assert.equal(fromArchive.stdout, fromDirectory.stdout, "the inline chart is stale: run bash deploy/rke2/render.sh");
  });

  it("the RKE2 HelmChartConfig matches the HelmChart and its values turn the bandwidth manager on", () => {
    const [config] = parseObjects(read("deploy/rke2/pacer-config.yaml")) as Array<{
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
      spec: { valuesContent: string };
    }>;
    assert.equal(config?.apiVersion, "helm.cattle.io/v1");
    assert.equal(config?.kind, "HelmChartConfig");
    assert.deepEqual(config?.metadata, { name: "pacer", namespace: "kube-system" }, "a HelmChartConfig applies to the HelmChart of the same name");
    const values = parseYaml(config?.spec.valuesContent ?? "") as { bandwidthManager?: { enabled?: boolean } };
    assert.equal(values.bandwidthManager?.enabled, true, "the seed's `bandwidthManager: enabled: true`");
    const agent = containerNamed(podTemplateOf(renderChart(values)).spec.containers, "pacer");
    assert.ok(agent.args?.includes("--enabled=true"));
  });
});
