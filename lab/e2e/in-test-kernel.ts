/**
 * The e2e suite in a fresh test kernel (lab/test-kernel): the guest side (guest-main.ts) builds the lab
 * node and runs the scenarios; the host collects the rows and judges them.
 */
import { REPO_DIR } from "../repository.js";
import { runInTestKernel, shellQuote } from "../test-kernel/index.js";
import { judge, type E2eResult, type Verdict } from "./rows.js";

export interface E2eRun {
  rows: E2eResult[];
  verdicts: Verdict[];
  bootMs: number;
  wallMs: number;
  guestExitCode: number;
}

/** Runs the suite in a fresh test kernel; output lines go to `onOutput` as they come. */
export async function runE2eInTestKernel(options: { seconds: number; reduced: boolean; only?: string; onOutput?: (text: string) => void }): Promise<E2eRun> {
  const only = options.only === undefined ? "" : ` --only ${shellQuote(options.only)}`;
  const script = `exec node dist/lab/e2e/guest-main.js --seconds ${options.seconds} --out "$PACER_LAB_EXCHANGE/e2e.json" --repo ${shellQuote(REPO_DIR)}${options.reduced ? " --reduced" : ""}${only}`;
  const result = await runInTestKernel({
    // The full run measures some 60 latency runs besides the stream scenarios: ~25 min in User-Mode Linux.
    script, cwd: REPO_DIR, collectFiles: ["e2e.json"], timeoutMs: (options.reduced ? 15 : 60) * 60_000,
    ...(options.onOutput === undefined ? {} : { onOutput: options.onOutput }),
  });
  const json = result.files["e2e.json"];
  if (json === undefined) throw new Error(`e2e in test kernel: no results (guest exit ${result.exitCode}); output:\n${result.output.slice(-4000)}`);
  const rows = JSON.parse(json) as E2eResult[];
  return { rows, verdicts: judge(rows), bootMs: result.bootMs, wallMs: result.wallMs, guestExitCode: result.exitCode };
}
