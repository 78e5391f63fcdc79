/**
 * Runs the demo from the host: probes the host kernel (src/probe `probeEdt()`); with EDT available the
 * experiment runs right here, otherwise inside the test kernel (User-Mode Linux with fq, lab/test-kernel)
 * and its measurements come back through the exchange directory. The chart is rendered and written on the
 * host either way (the guest's own writes vanish with its tmpfs overlay).
 *
 * Abort (Ctrl-C) stops the guest — the UML kernel is our child; runInTestKernel signals its process group by
 * pid — and removes the exchange dir; on a host kernel the experiment's `finally` destroys the node.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { release } from "node:os";
import { dirname } from "node:path";
import { probeEdt, type ProbeReport } from "../../src/probe/index.js";
import { REPO_DIR } from "../repository.js";
import { runInTestKernel, shellQuote } from "../test-kernel/index.js";
import { renderThroughputChart } from "./chart.js";
import { DEMO_LIMIT, runDemoExperiment, type DemoEvent } from "./experiment.js";
import { GUEST_RESULT_FILE, parseGuestEvent } from "./guest-events.js";
import { demoSteps, progressLine, type DemoStep } from "./plan.js";
import { demoChartSeries, judgeDemo, type DemoContext, type DemoMeasurements, type DemoVerdict } from "./report.js";

/** The repository this build belongs to. */
export { REPO_DIR };

export interface RunDemoOptions {
  seconds: number;
  chartPath: string;
  signal?: AbortSignal;
  /** Progress lines (one per step, and explanations) as they happen. */
  onProgress: (line: string) => void;
  /** Injectable for tests; default: the real probes. */
  probe?: () => Promise<ProbeReport>;
}

export interface DemoOutcome {
  measured: DemoMeasurements;
  context: DemoContext;
  verdict: DemoVerdict;
}

export class DemoError extends Error {
  constructor(readonly code: "DEMO_GUEST_FAILED" | "DEMO_ABORTED", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DemoError";
  }
}

export async function runDemo(options: RunDemoOptions): Promise<DemoOutcome> {
  const started = performance.now();
  const probe = await (options.probe ?? probeEdt)();
  const inTestKernel = !probe.edt.available;
  const steps = demoSteps({ seconds: options.seconds, inTestKernel, limit: DEMO_LIMIT });
  const onEvent = (event: DemoEvent) => {
    if (event.type === "step") options.onProgress(progressLine(steps, event.id));
    else options.onProgress(`      ${event.text}`);
  };
  let measured: DemoMeasurements;
  let bootMs: number | null = null;
  if (inTestKernel) {
    options.onProgress(`host kernel ${release()} cannot pace with EDT: ${probe.edt.reason ?? "unknown reason"}.`);
    options.onProgress("running the node inside a test kernel that has fq: Debian's User-Mode Linux (one process, no VM image).");
    ({ measured, bootMs } = await runInGuest(options, steps, onEvent));
  } else {
    options.onProgress(`host kernel ${release()} has EDT with fq: the node runs here.`);
    measured = await runDemoExperiment({ repoDir: REPO_DIR, seconds: options.seconds, prefix: `pm-${process.pid}`, onEvent, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  }
  const svg = renderThroughputChart(demoChartSeries(measured), { title: `netperf-server → netperf-client: annotated ${measured.limit}, then annotation removed` });
  await mkdir(dirname(options.chartPath), { recursive: true });
  await writeFile(options.chartPath, svg);
  const context: DemoContext = {
    hostKernelRelease: release(), testKernelReason: inTestKernel ? probe.edt.reason ?? "unknown reason" : null,
    bootMs, wallMs: performance.now() - started, chartPath: options.chartPath,
  };
  return { measured, context, verdict: judgeDemo(measured) };
}

async function runInGuest(options: RunDemoOptions, steps: DemoStep[], onEvent: (event: DemoEvent) => void): Promise<{ measured: DemoMeasurements; bootMs: number }> {
  onEvent({ type: "step", id: "boot" });
  const otherOutput: string[] = [];
  const script = `exec node dist/lab/demo/guest-main.js --seconds ${options.seconds} --repo ${shellQuote(REPO_DIR)} --out "$PACER_LAB_EXCHANGE/${GUEST_RESULT_FILE}"`;
  // Budget: every step's estimate three times over, plus a minute; the guest is stopped after that.
  const timeoutMs = 60_000 + 3_000 * steps.reduce((sum, step) => sum + step.estimateSeconds, 0);
  let result;
  try {
    result = await runInTestKernel({
      script, cwd: REPO_DIR, collectFiles: [GUEST_RESULT_FILE], timeoutMs, umid: `pacer-demo-${process.pid}`,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onOutput: (text) => {
        for (const line of text.split("\n")) {
          if (line === "") continue;
          const event = parseGuestEvent(line);
          if (event !== null) onEvent(event);
          else otherOutput.push(line);
        }
      },
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw new DemoError("DEMO_ABORTED", "demo: interrupted; the test kernel was stopped and its temp dir removed", { cause: error });
    throw error;
  }
  const json = result.files[GUEST_RESULT_FILE];
  if (result.exitCode !== 0 || json === undefined) {
    throw new DemoError("DEMO_GUEST_FAILED", `run the demo in the test kernel: guest exit ${result.exitCode}; its output:\n${otherOutput.slice(-40).join("\n")}`);
  }
  return { measured: JSON.parse(json) as DemoMeasurements, bootMs: result.bootMs };
}
