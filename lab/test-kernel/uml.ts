/**
 * User-Mode Linux guests: one host process, the host's `/` read-only through hostfs (docs/design.md,
 * "Test kernels"). UML 6.1 (the host's user-mode-linux) overlays it with a tmpfs (boot-script.ts); UML
 * 5.10 (bullseye's, fetched into the cache) cannot open files through that overlay and gets a skeleton
 * root instead (uml-skeleton.ts). Both need the xstate shim on hosts with AVX-512/AMX.
 */
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repositoryRoot } from "../../src/bpf/native-binding.js";
import { stage1Script, stage2Script } from "./boot-script.js";
import { uml510Init, uml510Stage2 } from "./guest-init.js";
import type { GuestProcess } from "./guest-process.js";
import { kernelFiles, type TestKernelSpec } from "./kernels.js";
import type { TestKernelRun } from "./run-types.js";
import { readSkeletonLevels, skeletonFiles, skeletonPlan } from "./uml-skeleton.js";

/** Lets UML save and restore FPU state on hosts with AVX-512/AMX (uml-xstate-shim.c says why). */
export const UML_XSTATE_SHIM = join(repositoryRoot, "build/lab/uml-xstate-shim.so");

const UPPER_SIZE_MIB = 2048;
let runCounter = 0;

/** Writes the guest's init files into `exchangeDir` and returns how to start the kernel. */
export async function prepareUml(spec: TestKernelSpec, run: TestKernelRun, exchangeDir: string, modules: readonly string[], cacheRoot: string): Promise<GuestProcess> {
  const files = kernelFiles(spec, cacheRoot);
  const init = join(exchangeDir, "stage1.sh");
  if (spec.name === "uml-6.1") {
    const bootOptions = { hostExchangeDir: exchangeDir, modules, upperSizeMiB: UPPER_SIZE_MIB };
    await writeFile(init, stage1Script(bootOptions));
    await writeFile(join(exchangeDir, "stage2.sh"), stage2Script(bootOptions));
  } else {
    const plan = skeletonPlan(await readSkeletonLevels(), { hostDir: files.modulesDir, release: spec.release });
    const skeleton = skeletonFiles(plan);
    await writeFile(join(exchangeDir, "skeleton.sh"), skeleton.script);
    await writeFile(join(exchangeDir, "fstab"), skeleton.fstab);
    await writeFile(init, uml510Init(exchangeDir, UPPER_SIZE_MIB));
    await writeFile(join(exchangeDir, "stage2.sh"), uml510Stage2(modules));
  }
  await chmod(init, 0o755);
  const umid = run.umid ?? `pacer-lab-${process.pid}-${runCounter++}`;
  return {
    command: files.kernelImage,
    args: [
      `umid=${umid}`, `uml_dir=${exchangeDir}`, `mem=${run.memoryMiB ?? 1536}M`,
      "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "ro", `init=${init}`,
      "quiet", "con=null", "con0=fd:0,fd:1",
    ],
    env: { ...process.env, TMPDIR: exchangeDir, LD_PRELOAD: UML_XSTATE_SHIM },
    exchangeDir,
  };
}
