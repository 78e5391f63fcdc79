/**
 * Runs every fq-dependent test (dist/**\/*.fq.test.js) inside the test kernel, which has fq (the host
 * kernel may not): one boot, one `node --test` over all of them, failing when any fails. The guest also
 * proves the basics the other suites rely on: fq loaded, bpffs mounted, the repository visible.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { REPO_DIR } from "./repository.js";
import { requirePrerequisites, rootMissing } from "../src/testing/prerequisites.js";
import { runInTestKernel, testKernelMissing } from "./test-kernel/index.js";

async function fqTestFiles(): Promise<string[]> {
  const dist = join(REPO_DIR, "dist");
  const entries = await readdir(dist, { recursive: true });
  return entries.filter((entry) => entry.endsWith(".fq.test.js")).map((entry) => relative(REPO_DIR, join(dist, entry))).sort();
}

describe("in the test kernel (User-Mode Linux with fq)", { skip: requirePrerequisites([rootMissing(), testKernelMissing()]) }, () => {
  it("runs every *.fq.test.js and they pass", { timeout: 15 * 60_000 }, async () => {
    const files = await fqTestFiles();
    assert.ok(files.length > 0, "no *.fq.test.js under dist/: build first (bash scripts/build.sh)");
    const script = [
      // The basics first: a failure here explains every fq test failing after it.
      "test -d /sys/module/sch_fq || { echo 'pacer-lab: sch_fq is not loaded'; exit 90; }",
      "grep -q ' /sys/fs/bpf bpf ' /proc/mounts || { echo 'pacer-lab: bpffs is not mounted'; exit 91; }",
      `exec node --test --test-concurrency=1 ${files.join(" ")}`,
    ].join("\n");
    const result = await runInTestKernel({
      script, cwd: REPO_DIR, env: { CI: process.env.CI ?? "", PACER_TEST_KERNEL: "uml" },
      onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, "  guest| ")),
    });
    console.log(`test kernel: boot ${result.bootMs.toFixed(0)} ms, run ${result.wallMs.toFixed(0)} ms, ${files.length} fq test files`);
    assert.equal(result.exitCode, 0, `fq tests failed inside the test kernel (exit ${result.exitCode}):\n${result.output.slice(-6000)}`);
  });
});
