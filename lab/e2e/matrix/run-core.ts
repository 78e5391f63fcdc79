/**
 * The core scenarios in a fresh test kernel (lab/test-kernel): the guest side (guest-core.ts) measures and
 * writes the kernel's matrix entry; this returns it with the boot and run times.
 */
import { loadavg } from "node:os";
import { REPO_DIR } from "../../repository.js";
import { runInTestKernel, shellQuote, testKernelSpec, type TestKernelName } from "../../test-kernel/index.js";
import { hostAccelerator } from "../../test-kernel/qemu.js";
import type { MatrixKernel, MatrixRunTimes } from "./matrix-rows.js";

export interface CoreRun {
  kernel: MatrixKernel;
  times: MatrixRunTimes;
  guestExitCode: number;
  output: string;
}

export async function runCoreInTestKernel(options: {
  kernel: TestKernelName; seconds: number; cpus?: number; only?: readonly string[]; onOutput?: (text: string) => void;
}): Promise<CoreRun> {
  const spec = testKernelSpec(options.kernel);
  const only = options.only === undefined ? "" : ` --only ${shellQuote(options.only.join(","))}`;
  const script = `exec node dist/lab/e2e/matrix/guest-core.js --name ${shellQuote(spec.name)} --seconds ${options.seconds} --out "$PACER_LAB_EXCHANGE/core.json" --repo ${shellQuote(REPO_DIR)}${only}`;
  const result = await runInTestKernel({
    script, cwd: REPO_DIR, kernel: spec.name, collectFiles: ["core.json"], env: { PACER_TEST_KERNEL: spec.name },
    // Under emulation every node start (each `pacer list`) takes seconds: the core takes ~10 min there.
    timeoutMs: (spec.kind === "qemu" ? 40 : 15) * 60_000,
    ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
  });
  const json = result.files["core.json"];
  if (json === undefined) throw new Error(`core scenarios in ${spec.name}: no results (guest exit ${result.exitCode}); output:\n${result.output.slice(-4000)}`);
  const accelerator = spec.kind === "uml" ? "User-Mode Linux" : hostAccelerator().accel.startsWith("kvm") ? "qemu + KVM" : "qemu, software emulation (TCG)";
  // The host is shared: its load during the run says how much CPU the guest could have had.
  const hostLoad = loadavg()[1] ?? Number.NaN;
  return { kernel: JSON.parse(json) as MatrixKernel, times: { bootMs: result.bootMs, wallMs: result.wallMs, accelerator, hostLoad }, guestExitCode: result.exitCode, output: result.output };
}
