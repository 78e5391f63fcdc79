/**
 * What every cluster scenario works with inside the test kernel: the control plane, kubectl as the admin
 * (the operator), the lab's kubelet, the CNI node, the rendered chart, and the chart's agent (restartable),
 * plus the checks' shape and the polling helpers they share.
 */
import type { LabNode } from "../node/index.js";
import { serviceAccountToken, type RenderedChart } from "./chart.js";
import { startChartAgent, type ChartAgent } from "./chart-agent.js";
import type { ControlPlane } from "./control-plane.js";
import type { LabKubelet } from "./kubelet.js";
import type { Kubectl } from "./kubectl.js";

export const CHECK_NAMES = [
  "annotate-enforced", "invalid-event-visible", "live-edit", "budget-status-visible", "cluster-wide-share-visible", "delete-cleans",
  "apiserver-outage-keeps-limits", "relist-after-compaction", "rbac-sufficient", "rbac-each-verb-needed",
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface Check {
  name: CheckName;
  pass: boolean;
  detail: string;
}

export interface ClusterLab {
  plane: ControlPlane;
  kubectl: Kubectl;
  kubelet: LabKubelet;
  node: LabNode;
  chart: RenderedChart;
  repoDir: string;
  nodeName: string;
  /** Where the agent reaches the API server from the node's namespace. */
  apiHost: string;
  seconds: number;
  /** The outage's length in seconds (60 in the full run). */
  outageSeconds: number;
  agent: ChartAgent | null;
  /** Everything every agent started so far logged. */
  agentLogs: string[];
  log(line: string): void;
}

/** Starts the chart's agent with a fresh ServiceAccount token (stopping a running one first). */
export async function restartAgent(lab: ClusterLab): Promise<ChartAgent> {
  await stopAgent(lab);
  const token = await serviceAccountToken(lab.kubectl, lab.chart);
  lab.agent = await startChartAgent({
    chart: lab.chart, token, caCert: lab.plane.pki.caCert, repoDir: lab.repoDir, nodeNetns: lab.node.netns, nodeName: lab.nodeName,
    apiHost: lab.apiHost, apiPort: lab.plane.port, onLog: (line) => lab.log(`agent: ${line}`),
  });
  return lab.agent;
}

export async function stopAgent(lab: ClusterLab): Promise<void> {
  if (lab.agent === null) return;
  const agent = lab.agent;
  lab.agent = null;
  await agent.stop();
  lab.agentLogs.push(agent.log());
}

export function runningAgent(lab: ClusterLab): ChartAgent {
  if (lab.agent === null) throw new Error("the agent is not running (a scenario bug)");
  return lab.agent;
}

/** Polls until `probe` returns a value (not undefined); throws with `what` after `timeoutMs`. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let lastError = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return { value, ms: performance.now() - started };
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not after ${timeoutMs / 1000} s${lastError ? ` (${lastError})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The agent's egress row for a Pod, when it enforces `bits` (null: no limit at all). */
export async function egressEnforcing(lab: ClusterLab, pod: string, bits: number | null): Promise<{ identity: number | null } | undefined> {
  const rows = await runningAgent(lab).list();
  const row = rows.find((candidate) => candidate.name === pod && candidate.direction === "egress");
  if (bits === null) return row === undefined || row.enforcedBitsPerSecond == null ? { identity: null } : undefined;
  return row?.enforcedBitsPerSecond === bits && row.state === "enforced" ? { identity: row.identity ?? null } : undefined;
}

export const M = 1_000_000;
export const mbit = (bits: number): string => `${(bits / M).toFixed(2)} Mbit/s`;
