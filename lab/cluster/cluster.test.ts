/**
 * The cluster scenarios in reduced form for every test run (3 s streams, kube-apiserver stopped for 15 s
 * instead of 60): a real kube-apiserver and etcd in the test kernel, the chart applied with kubectl, the
 * chart's agent, every check of `npm run e2e:cluster` except the image (which that command builds).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandMissing, requirePrerequisites, rootMissing } from "../../src/testing/prerequisites.js";
import { helmMissing } from "../chart/helm-cli.js";
import { testKernelMissing } from "../test-kernel/index.js";
import { runClusterInTestKernel } from "./in-test-kernel.js";
import { CHECK_NAMES } from "./lab.js";
import { clusterToolsMissing } from "./tools.js";

const prerequisites = () => requirePrerequisites([
  rootMissing(), testKernelMissing(), clusterToolsMissing(), helmMissing(), commandMissing("iperf3", "iperf3"), commandMissing("iptables-legacy", "iptables"),
]);

describe("pacer against a real Kubernetes control plane, in the test kernel", { skip: prerequisites() }, () => {
  it("passes every cluster check (reduced: short streams, a 15 s outage)", { timeout: 20 * 60_000 }, async () => {
    const run = await runClusterInTestKernel({ seconds: 3, outageSeconds: 15, onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, "  guest| ")) });
    assert.deepEqual(run.checks.map((check) => check.name).sort(), [...CHECK_NAMES].sort());
    const failed = run.checks.filter((check) => !check.pass);
    assert.deepEqual(failed, [], `failed checks:\n${failed.map((check) => `${check.name}: ${check.detail}`).join("\n")}`);
    assert.equal(run.guestExitCode, 0);
  });
});
