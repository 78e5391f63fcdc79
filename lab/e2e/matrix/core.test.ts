/**
 * The core scenarios in CI on a second kernel, beside the reduced e2e suite on UML 6.1 (e2e.test.ts): a
 * subset on Debian's 5.10 cloud kernel under qemu with 2 vCPUs — another major version, JIT and BTF as
 * shipped, and a Pod's streams on both CPUs at once. Asserts behaviour only (matrix-rows.ts: the limit
 * holds, paced not policed, the program ran on every CPU); the 0.5% wire target is printed, not asserted:
 * `npm run e2e:matrix` measures it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandMissing, requirePrerequisites, rootMissing } from "../../../src/testing/prerequisites.js";
import { testKernelMissing } from "../../test-kernel/index.js";
import { judgeMatrixKernel } from "./matrix-rows.js";
import { runCoreInTestKernel } from "./run-core.js";

const KERNEL = "qemu-5.10";
const SUBSET = ["egress 10M", "egress 10M 8 streams", "egress 10M IPv6"];

const prerequisites = () => requirePrerequisites([
  rootMissing(), testKernelMissing(KERNEL), commandMissing("iperf3", "iperf3"), commandMissing("ping", "iputils-ping"),
  commandMissing("iptables-legacy", "iptables"), commandMissing("taskset", "util-linux"),
]);

describe(`core scenarios on ${KERNEL} with 2 vCPUs`, { skip: prerequisites() }, () => {
  it("limits hold on the wire, paced not policed, 8 streams over both CPUs, IPv6 too", { timeout: 30 * 60_000 }, async () => {
    const started = performance.now();
    const run = await runCoreInTestKernel({ kernel: KERNEL, cpus: 2, seconds: 5, only: SUBSET, onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, `  ${KERNEL}| `)) });
    console.log(`${KERNEL}: boot ${(run.times.bootMs / 1000).toFixed(1)} s, the subset took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    assert.equal(run.guestExitCode, 0, "the guest side failed; its output is above");
    assert.ok(run.kernel.cpus >= 2, `the guest has ${run.kernel.cpus} CPUs`);
    assert.ok(run.kernel.jit && run.kernel.btf, `JIT ${run.kernel.jit}, BTF ${run.kernel.btf}: Debian's cloud kernel has both`);
    assert.deepEqual(run.kernel.rows.map((row) => row.scenario), SUBSET);
    const verdicts = judgeMatrixKernel(run.kernel);
    const missed = verdicts.filter((verdict) => !verdict.pass && verdict.kind === "target");
    if (missed.length > 0) console.log(`targets missed in this run (npm run e2e:matrix measures them):\n${missed.map((verdict) => `  ${verdict.scenario}: ${verdict.check} (${verdict.detail})`).join("\n")}`);
    const failed = verdicts.filter((verdict) => !verdict.pass && verdict.kind === "behaviour");
    assert.deepEqual(failed, [], `failed checks:\n${failed.map((verdict) => `${verdict.scenario}: ${verdict.check} (${verdict.detail})`).join("\n")}`);
  });
});
