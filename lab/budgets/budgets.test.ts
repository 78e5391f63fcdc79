/**
 * The ClusterWide budget's real run in reduced form for every test run: three lab nodes with their agents in
 * the test kernel against a real kube-apiserver, one demand shift; it must settle within 5 s and stay
 * within 1.05× of the budget in every second after (`npm run bench:budgets` runs the faults too).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandMissing, requirePrerequisites, rootMissing } from "../../src/testing/prerequisites.js";
import { helmMissing } from "../chart/helm-cli.js";
import { clusterToolsMissing } from "../cluster/tools.js";
import { testKernelMissing } from "../test-kernel/index.js";
import { runBudgetsInTestKernel } from "./in-test-kernel.js";

const prerequisites = () => requirePrerequisites([
  rootMissing(), testKernelMissing(), clusterToolsMissing(), helmMissing(), commandMissing("iperf3", "iperf3"), commandMissing("iptables-legacy", "iptables"),
]);

describe("a ClusterWide budget over three agents and a real kube-apiserver, in the test kernel", { skip: prerequisites() }, () => {
  it("settles within 5 s after a demand shift and stays within 1.05× of the budget (reduced: no faults)", { timeout: 10 * 60_000 }, async () => {
    const run = await runBudgetsInTestKernel({ reduced: true, onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, "  guest| ")) });
    assert.equal(run.agents, 3);
    assert.ok(run.convergenceSeconds !== null && run.convergenceSeconds <= 5, `settled after ${run.convergenceSeconds} s`);
    assert.ok(run.maxOneSecondRatio <= 1.05, `max 1-s total/budget ${run.maxOneSecondRatio}`);
    assert.equal(run.guestExitCode, 0);
  });
});
