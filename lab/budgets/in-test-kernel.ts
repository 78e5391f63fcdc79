/**
 * The ClusterWide budget's real run in a fresh test kernel (User-Mode Linux: several lab nodes, their agents,
 * etcd and kube-apiserver all inside the guest, guest-main.ts); the host collects what it measured.
 */
import { REPO_DIR } from "../repository.js";
import { runInTestKernel } from "../test-kernel/index.js";

export interface RealRun {
  agents: number;
  budgetBitsPerSec: number;
  convergenceSeconds: number | null;
  maxOneSecondRatio: number;
  faults: Array<{ name: string; pass: boolean; detail: string }>;
  [more: string]: unknown;
}

export async function runBudgetsInTestKernel(options: { reduced: boolean; onOutput?: (text: string) => void }): Promise<RealRun & { guestExitCode: number; wallMs: number }> {
  const script = `exec node dist/lab/budgets/guest-main.js ${options.reduced ? "--reduced " : ""}--out "$PACER_LAB_EXCHANGE/budgets.json"`;
  const result = await runInTestKernel({
    script, cwd: REPO_DIR, collectFiles: ["budgets.json"], timeoutMs: 30 * 60_000, memoryMiB: 3072,
    env: { PACER_TEST_KERNEL: "uml", CI: process.env.CI ?? "" },
    ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
  });
  const json = result.files["budgets.json"];
  if (json === undefined) throw new Error(`budgets real run in the test kernel: no results (guest exit ${result.exitCode}); output:\n${result.output.slice(-4000)}`);
  return { ...(JSON.parse(json) as RealRun), guestExitCode: result.exitCode, wallMs: result.wallMs };
}
