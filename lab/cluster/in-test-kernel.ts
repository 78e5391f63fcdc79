/**
 * The cluster scenarios in a fresh test kernel (lab/test-kernel): User-Mode Linux cannot reach the host's
 * loopback, so etcd, kube-apiserver, the CNI node and the agent all run inside the guest (guest-main.ts); the
 * host collects the checks it wrote.
 */
import { REPO_DIR } from "../repository.js";
import { runInTestKernel } from "../test-kernel/index.js";
import type { Check } from "./lab.js";
import type { ClusterVersions } from "./tools.js";

export interface ClusterRun extends ClusterVersions {
  checks: Check[];
  bootMs: number;
  wallMs: number;
  guestExitCode: number;
}

export async function runClusterInTestKernel(options: { seconds: number; outageSeconds: number; onOutput?: (text: string) => void }): Promise<ClusterRun> {
  const script = `exec node dist/lab/cluster/guest-main.js --seconds ${options.seconds} --outage ${options.outageSeconds} --out "$PACER_LAB_EXCHANGE/cluster.json"`;
  const result = await runInTestKernel({
    script, cwd: REPO_DIR, collectFiles: ["cluster.json"], timeoutMs: 20 * 60_000, memoryMiB: 2560,
    env: { PACER_TEST_KERNEL: "uml", CI: process.env.CI ?? "" },
    ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
  });
  const json = result.files["cluster.json"];
  if (json === undefined) throw new Error(`cluster scenarios in the test kernel: no results (guest exit ${result.exitCode}); output:\n${result.output.slice(-4000)}`);
  return { ...(JSON.parse(json) as ClusterVersions & { checks: Check[] }), bootMs: result.bootMs, wallMs: result.wallMs, guestExitCode: result.exitCode };
}
