/**
 * Runs a shell script as root inside a second kernel that has `fq`, the kernel a parameter
 * (kernels.ts): Debian's User-Mode Linux 6.1 (the default), UML 5.10, or a Debian cloud kernel (5.10, 6.1,
 * 6.12) under qemu with several vCPUs.
 *
 * Why a second kernel (docs/design.md, "Test kernels"): the host kernel has no `fq` and no modules, and its
 * KVM (KVM-PVM) cannot boot a stock kernel. UML is one host process, needs no KVM and no disk image, boots
 * in ~2 s, runs CPU-bound code at native speed, with one CPU, no BPF JIT and no vmlinux BTF. The cloud
 * kernels under qemu have JIT, BTF and several CPUs as operators run them, at ~30x less CPU and 3-6 s to boot.
 *
 * The host's `/` is the guest's read-only lower layer under tmpfs: the guest sees the repository, node and
 * every tool at their host paths, and nothing it writes reaches the host except the exchange directory (a
 * fresh temp dir per run). Runs are independent.
 *
 *   const result = await runInTestKernel({ script: "node --test dist/x.fq.test.js", cwd: repo, kernel: "qemu-5.10",
 *                                          onOutput: (text) => process.stdout.write(text) });
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandMissing, fileMissing } from "../../src/testing/prerequisites.js";
import { DEFAULT_GUEST_MODULES, GUEST_EXCHANGE_DIR, commandScript } from "./boot-script.js";
import { GUEST_HOST_ROOT } from "./guest-init.js";
import { runGuestProcess } from "./guest-process.js";
import { DEFAULT_TEST_KERNEL, kernelFiles, pacerCacheRoot, testKernelSpec, type TestKernelName } from "./kernels.js";
import { prepareQemu, QEMU } from "./qemu.js";
import { TestKernelError, type TestKernelResult, type TestKernelRun } from "./run-types.js";
import { prepareUml, UML_XSTATE_SHIM } from "./uml.js";
import { startVirtiofsd, VIRTIOFSD } from "./virtiofs.js";

export { TestKernelError, type TestKernelResult, type TestKernelRun } from "./run-types.js";
export { UML_XSTATE_SHIM } from "./uml.js";
export const UML_KERNEL = "/usr/bin/linux.uml";
export const UML_MODULES_DIR = "/usr/lib/uml/modules";

const fetchHint = (kernel: TestKernelName) => `run scripts/fetch-kernels.sh ${kernel} (or scripts/setup.sh)`;

/** null when `kernel` can boot here, else what to install or fetch (for requirePrerequisites). */
export function testKernelMissing(kernel: TestKernelName = DEFAULT_TEST_KERNEL): string | null {
  const spec = testKernelSpec(kernel);
  const shim = () => fileMissing(UML_XSTATE_SHIM, "run scripts/build.sh (it builds the UML ptrace shim)");
  const busybox = () => fileMissing("/bin/busybox", "apt-get install busybox-static, or run scripts/setup.sh");
  if (kernel === "uml-6.1") {
    return commandMissing("linux.uml", "user-mode-linux") ??
      fileMissing(UML_MODULES_DIR, "apt-get install user-mode-linux, or run scripts/setup.sh") ?? busybox() ?? shim();
  }
  const files = kernelFiles(spec, pacerCacheRoot());
  if (spec.kind === "uml") {
    return fileMissing(files.kernelImage, fetchHint(kernel)) ?? fileMissing(join(files.modulesDir, "modules.dep"), fetchHint(kernel)) ??
      busybox() ?? shim() ?? commandMissing("perl", "perl-base");
  }
  return commandMissing(QEMU, "qemu-system-x86") ??
    fileMissing(VIRTIOFSD, "apt-get install qemu-system-common (its C virtiofsd), or run scripts/setup.sh") ??
    commandMissing("unshare", "util-linux") ??
    fileMissing(files.kernelImage, fetchHint(kernel)) ??
    fileMissing(join(files.modulesDir, "modules.dep"), fetchHint(kernel)) ??
    fileMissing(files.initramfs ?? "", fetchHint(kernel));
}

export async function runInTestKernel(run: TestKernelRun): Promise<TestKernelResult> {
  const spec = testKernelSpec(run.kernel ?? DEFAULT_TEST_KERNEL);
  const missing = testKernelMissing(spec.name);
  if (missing !== null) throw new TestKernelError("TEST_KERNEL_MISSING", `boot test kernel ${spec.name}: missing ${missing}`);
  if (run.signal?.aborted === true) throw new TestKernelError("TEST_KERNEL_ABORTED", "boot test kernel: aborted before start");
  const runDir = await mkdtemp(join(tmpdir(), `pacer-lab-${process.pid}-`));
  // qemu: the exchange directory is a subdirectory, so virtiofsd's socket and share stay out of the guest's view.
  const exchangeDir = spec.kind === "qemu" ? join(runDir, "xchg") : runDir;
  const cacheRoot = pacerCacheRoot();
  const modules = run.modules ?? DEFAULT_GUEST_MODULES;
  try {
    if (exchangeDir !== runDir) await mkdir(exchangeDir);
    const env = { ...run.env, PACER_LAB_EXCHANGE: GUEST_EXCHANGE_DIR };
    await writeFile(join(exchangeDir, "command.sh"), commandScript(run.script, run.cwd ?? process.cwd(), env, spec.kind === "qemu" ? { hostRoot: GUEST_HOST_ROOT } : {}));
    const boot = async (): Promise<TestKernelResult> => {
      if (spec.kind === "uml") return runGuestProcess(await prepareUml(spec, run, exchangeDir, modules, cacheRoot), run);
      const virtiofsd = await startVirtiofsd(runDir, exchangeDir);
      try {
        return await runGuestProcess(await prepareQemu(spec, run, exchangeDir, modules, cacheRoot, virtiofsd.socket), run);
      } finally {
        await virtiofsd.stop();
      }
    };
    let result: TestKernelResult;
    try {
      result = await boot();
    } catch (error) {
      // A guest that dies while booting ran none of the command: under software emulation on a loaded host
      // Debian's cloud kernel has panicked there once in a CI run (2 vCPUs, 1.1 s into boot). Boot once more,
      // saying so; a second crash, or any crash after the command started, is the run's result.
      if (!(error instanceof TestKernelError) || error.code !== "TEST_KERNEL_CRASHED" || !error.beforeCommand) throw error;
      process.stderr.write(`test kernel ${spec.name}: the guest died while booting, before the command started; booting it once more. What it printed:\n${error.message}\n`);
      result = await boot();
    }
    for (const name of run.collectFiles ?? []) {
      if (name.includes("/")) throw new Error(`collect ${name}: give a file name in the exchange directory, not a path`);
      const content = await readFile(join(exchangeDir, name), "utf8").catch(() => undefined);
      if (content !== undefined) result.files[name] = content;
    }
    return result;
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}
