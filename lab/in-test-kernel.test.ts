/**
 * Runs every fq-dependent test (dist/**\/*.fq.test.js) inside a test kernel, which has fq (the host kernel
 * may not): one boot per kernel, one `node --test` over all of them, failing when any fails. The guest also
 * proves the basics the other suites rely on: fq loaded, bpffs mounted, the repository visible.
 *
 * One test per kernel of the catalogue (lab/test-kernel/kernels.ts). PACER_TEST_KERNELS picks which run
 * ("uml-6.1,qemu-5.10", or "all"; default uml-6.1): the others skip and say how to run them. A picked
 * kernel that is not fetched is a missing prerequisite (a failure under CI=true).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { REPO_DIR } from "./repository.js";
import { requirePrerequisites, rootMissing } from "../src/testing/prerequisites.js";
import { parseKernelList, runInTestKernel, TEST_KERNELS, testKernelMissing } from "./test-kernel/index.js";

async function fqTestFiles(): Promise<string[]> {
  const dist = join(REPO_DIR, "dist");
  const entries = await readdir(dist, { recursive: true });
  return entries.filter((entry) => entry.endsWith(".fq.test.js")).map((entry) => relative(REPO_DIR, join(dist, entry))).sort();
}

const picked = parseKernelList(process.env.PACER_TEST_KERNELS ?? "uml-6.1");

for (const kernel of TEST_KERNELS) {
  const skip = picked.includes(kernel.name)
    ? requirePrerequisites([rootMissing(), testKernelMissing(kernel.name)])
    : `PACER_TEST_KERNELS does not pick ${kernel.name} (PACER_TEST_KERNELS=${kernel.name} or =all runs it)`;
  const cpus = kernel.defaultCpus === 1 ? "one CPU" : `${kernel.defaultCpus} vCPUs`;
  describe(`in the test kernel ${kernel.name} (${kernel.kind === "uml" ? "User-Mode Linux" : "Debian's cloud kernel under qemu"}, ${cpus}, with fq)`, { skip }, () => {
    // Under software emulation node runs ~30x slower than on the host: the fq tests take minutes there.
    it("runs every *.fq.test.js and they pass", { timeout: (kernel.kind === "qemu" ? 60 : 15) * 60_000 }, async () => {
      const files = await fqTestFiles();
      assert.ok(files.length > 0, "no *.fq.test.js under dist/: build first (bash scripts/build.sh)");
      const script = [
        // The basics first: a failure here explains every fq test failing after it.
        "test -d /sys/module/sch_fq || { echo 'pacer-lab: sch_fq is not loaded'; exit 90; }",
        "grep -q ' /sys/fs/bpf bpf ' /proc/mounts || { echo 'pacer-lab: bpffs is not mounted'; exit 91; }",
        `exec node --test --test-concurrency=1 ${files.join(" ")}`,
      ].join("\n");
      const result = await runInTestKernel({
        script, cwd: REPO_DIR, kernel: kernel.name, env: { CI: process.env.CI ?? "", PACER_TEST_KERNEL: kernel.name },
        timeoutMs: (kernel.kind === "qemu" ? 60 : 15) * 60_000,
        onOutput: (text) => process.stdout.write(text.replace(/^(?=.)/gm, `  ${kernel.name}| `)),
      });
      console.log(`test kernel ${kernel.name}: boot ${result.bootMs.toFixed(0)} ms, run ${result.wallMs.toFixed(0)} ms, ${files.length} fq test files`);
      assert.equal(result.exitCode, 0, `fq tests failed inside ${kernel.name} (exit ${result.exitCode}):\n${result.output.slice(-6000)}`);
    });
  });
}
