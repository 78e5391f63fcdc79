/**
 * The end-to-end suite in reduced form (short streams, the essential scenarios), so every test run proves
 * pacer on a real kernel with fq: boots the test kernel, builds the CNI node and asserts what pacer does
 * (the "behaviour" verdicts of lab/e2e/rows.ts judge). The accuracy and latency targets are printed, not
 * asserted: they belong to `npm run e2e`, which runs the full form and writes bench/results/.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandMissing, requirePrerequisites, rootMissing } from "../../src/testing/prerequisites.js";
import { testKernelMissing } from "../test-kernel/index.js";
import { runE2eInTestKernel } from "./in-test-kernel.js";
import { isLatencyRow, isStreamRow, isUplinkRow } from "./rows.js";

const prerequisites = () => requirePrerequisites([
  rootMissing(), testKernelMissing(), commandMissing("iperf3", "iperf3"), commandMissing("ping", "iputils-ping"),
  commandMissing("iptables-legacy", "iptables"),
]);

describe("end to end on a CNI-built node in the test kernel", { skip: prerequisites() }, () => {
  it("meets the thresholds; baselines measured; pacer scenarios run", { timeout: 15 * 60_000 }, async (t) => {
    const run = await runE2eInTestKernel({ seconds: 5, reduced: true, onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, "  guest| ")) });
    assert.equal(run.guestExitCode, 0, "the guest side of the suite failed; its output is above");
    const streams = run.rows.filter(isStreamRow);
    const byName = new Map(streams.map((row) => [row.scenario, row]));
    const unlimited = byName.get("unlimited, pacer off");
    assert.ok(unlimited?.goodputBitsPerSec != null && unlimited.goodputBitsPerSec > 200e6, `unlimited Pod through the CNI node: ${unlimited?.goodputBitsPerSec} bit/s`);
    const reference = streams.find((row) => row.scenario.startsWith("reference CNI bandwidth plugin"));
    assert.ok(reference?.goodputBitsPerSec != null && reference.pingP99Ms !== null, "the reference plugin baseline was measured");
    const missed = run.verdicts.filter((verdict) => !verdict.pass && verdict.kind === "target");
    if (missed.length > 0) console.log(`targets missed in this run (npm run e2e measures them):\n${missed.map((verdict) => `  ${verdict.scenario}: ${verdict.check} (${verdict.detail})`).join("\n")}`);
    const failed = run.verdicts.filter((verdict) => !verdict.pass && verdict.kind === "behaviour");
    assert.deepEqual(failed, [], `failed checks:\n${failed.map((verdict) => `${verdict.scenario}: ${verdict.check} (${verdict.detail})`).join("\n")}`);
    const latency = run.rows.filter(isLatencyRow);
    assert.ok(latency.some((row) => row.mode === "per-flow" && row.bulkFlows > 0), "the light probes ran under load with flow isolation");
    assert.ok(latency.some((row) => row.mode === "single-timeline" && row.bulkFlows > 0), "…and with one timeline, beside it");
    const uplink = run.rows.filter(isUplinkRow);
    assert.ok(uplink.some((row) => row.pods === 2), "the shared-uplink budget ran with two Pods");
    assert.ok(uplink.some((row) => row.insideGoodputBitsPerSec !== undefined), "…and the outside-cluster limit beside in-cluster traffic");
    const notRun = streams.filter((row) => row.status !== "measured");
    const reason = requirePrerequisites(notRun.map((row) => `${row.scenario}: ${row.status}`));
    if (reason !== false) t.skip(`pacer scenarios not run: ${reason}`);
  });
});
