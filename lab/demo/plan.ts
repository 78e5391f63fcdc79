/**
 * The demo's steps, how long each is expected to take, and the progress line printed as each starts (pure):
 *   [5/7] limited run: 10 s stream from netperf-server (10M) to netperf-client … ~27 s left
 * Estimates are the measured times in User-Mode Linux (docs/design.md, "Test kernels": boot ~2-3 s, each `node`
 * start ~0.8 s in the guest), so the countdown is honest on this kind of machine.
 */

export type DemoStepId = "boot" | "node" | "agent" | "status" | "limited" | "unlimit" | "unlimited";

export interface DemoStep {
  id: DemoStepId;
  title: string;
  estimateSeconds: number;
}

export interface PlanOptions {
  seconds: number;
  /** A boot step first when the demo runs inside the test kernel. */
  inTestKernel: boolean;
  limit: string;
}

export function demoSteps(options: PlanOptions): DemoStep[] {
  const { seconds, limit } = options;
  const steps: DemoStep[] = [
    { id: "node", title: "build the node: CNI bridge, netperf-server and netperf-client Pods", estimateSeconds: 2 },
    { id: "agent", title: `start pacer, annotate netperf-server ${limit}, wait for the limit`, estimateSeconds: 3 },
    { id: "status", title: "pacer status and pacer list", estimateSeconds: 2 },
    { id: "limited", title: `limited run: ${seconds} s stream from netperf-server (${limit}) to netperf-client, ping under load`, estimateSeconds: seconds + 2 },
    { id: "unlimit", title: "remove the annotation live (same Pod), wait for pacer to drop the limit", estimateSeconds: 1 },
    { id: "unlimited", title: `unlimited run: ${seconds} s stream from netperf-server to netperf-client`, estimateSeconds: seconds + 2 },
  ];
  return options.inTestKernel ? [{ id: "boot", title: "boot the test kernel (User-Mode Linux with fq)", estimateSeconds: 3 }, ...steps] : steps;
}

/** Seconds of work left when `id` starts: its own estimate and every later one's. */
export function secondsLeft(steps: readonly DemoStep[], id: DemoStepId): number {
  const index = steps.findIndex((step) => step.id === id);
  if (index === -1) return 0;
  return steps.slice(index).reduce((sum, step) => sum + step.estimateSeconds, 0);
}

export function progressLine(steps: readonly DemoStep[], id: DemoStepId): string {
  const index = steps.findIndex((step) => step.id === id);
  const step = steps[index];
  if (step === undefined) return `[?/${steps.length}] ${id}`;
  return `[${index + 1}/${steps.length}] ${step.title} … ~${secondsLeft(steps, id)} s left`;
}
