/**
 * `pacer check` on a kernel WITH fq: EDT must be available. Runs inside the test kernel (User-Mode Linux,
 * docs/design.md, "Test kernels"), where the *.fq.test.js runner — and check.test.ts on the host — execute it; on the
 * host (no fq) it is skipped, because there the opposite verdict is the right one (check.test.ts asserts it).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { ProbeReport } from "../../probe/index.js";

const PACER = fileURLToPath(new URL("../../../../bin/pacer.js", import.meta.url));
const insideTestKernel = process.env.PACER_LAB_EXCHANGE !== undefined;
const REQUIRED_FOR_EDT = ["bpf() syscall", "clsact qdisc", "cls_bpf tc filter", "tc BPF sets skb->tstamp", "fq qdisc"];

describe("pacer check on a kernel with fq", { skip: insideTestKernel ? false : "runs inside the test kernel (User-Mode Linux with fq)" }, () => {
  it("reports EDT available, exits 0, and leaves no namespace behind", () => {
    const run = spawnSync(process.execPath, [PACER, "check", "--json"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(run.status, 0, `pacer check --json exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as ProbeReport;
    assert.deepEqual(report.edt, { available: true, reason: null });
    for (const name of REQUIRED_FOR_EDT) {
      const check = report.checks.find((entry) => entry.name === name);
      assert.equal(check?.ok, true, `${name}: ${check?.detail}`);
    }
    const leftovers = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
    assert.doesNotMatch(leftovers, new RegExp(`^pp-${run.pid}-`, "m"));
  });

  it("no probe contradicts its feature's origin on this kernel; what only degrades is listed for this kernel", async () => {
    const { kernelProbes } = await import("../../probe/index.js");
    const { contradictedProbes } = await import("../../probe/requirements.js");
    const { parseKernelRelease, isAtLeast } = await import("../../probe/kernel-facts.js");
    const release = kernelProbes.kernelRelease();
    const version = parseKernelRelease(release);
    const observations = { ...(await kernelProbes.hostFeatures()), ...(await kernelProbes.tcFeatures()) };
    assert.deepEqual(contradictedProbes(version, kernelProbes.kernelConfig(release), observations), [], `on ${release}`);
    const setTstampExpected = version !== null && isAtLeast(version, { major: 5, minor: 18, patch: 0 });
    assert.equal(observations.setTstamp.state, setTstampExpected ? "present" : "absent", `bpf_skb_set_tstamp on ${release}: ${observations.setTstamp.note}`);
    console.log(`degrades on ${release}: ${["setTstamp", "gsoCap", "bpfJit"].map((feature) => `${feature} ${observations[feature as "setTstamp"].state}`).join(", ")}`);
  });

  it("prints the text verdict", () => {
    const run = spawnSync(process.execPath, [PACER, "check"], { encoding: "utf8", timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^fq qdisc: OK — /m);
    assert.match(run.stdout, /\nEDT: available\n$/);
  });
});
