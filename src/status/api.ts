/**
 * The status API's shapes (GET /v1/status, GET /v1/limits over the agent's Unix socket) and the pure text
 * the CLI prints from them: the BandwidthManager line and the `pacer list` table.
 */
import type { BudgetStatusRow } from "../bandwidth/budget-timelines.js";
import type { PodStatusRow } from "../bandwidth/status-row.js";
import type { KubernetesApiProblem } from "../kube/api/access.js";
import { formatBitsPerSecond } from "../bandwidth/quantity.js";
import { approximateQuantity } from "../budgets/summary-wire.js";

export interface BandwidthManagerStatus {
  /** true: EDT with BPF is enforcing; false: Disabled (reason). */
  enabled: boolean;
  reason: string | null;
  congestionControl: "CUBIC" | "BBR";
  devices: string[];
  /** `BandwidthManager: EDT with BPF [CUBIC] [eth0]` or `BandwidthManager: Disabled (<reason>)`. */
  line: string;
}

export interface StatusReport {
  bandwidthManager: BandwidthManagerStatus;
  nodeName: string;
  /** "pods-dir:<dir>" or "kubernetes". */
  podSource: string;
  /** "edt", "fake", or null when no datapath is open. */
  datapath: string | null;
  /** The Pod source delivered its first full list and a reconcile pass ran. */
  ready: boolean;
  startedAt: string;
  /** Number of rows per state. */
  rows: Record<string, number>;
  /** Budget timelines on this node, invalid budgets, and inside-the-cluster prefixes. */
  budgets: number;
  invalidBudgets: number;
  internalRanges: number;
  /** Kubernetes API requests that fail now (forbidden, unauthorized, unreachable), with what to do; [] when none. */
  kubernetesApi: KubernetesApiProblem[];
  /** ClusterWide budgets (Kubernetes mode): this agent's allocator role and its node's shares; absent otherwise. */
  clusterBudgets?: {
    allocator: "leader" | "candidate" | "not a candidate";
    shares: Array<{ key: string; bitsPerSecond: number; fallbackBitsPerSecond: number; /** null: the floor, which does not expire */ expiresInMs: number | null }>;
    reportsWritten: number;
    reportsFailed: number;
  };
}

export interface LimitsReport {
  rows: PodStatusRow[];
}

export interface BudgetProblem {
  namespace: string;
  name: string;
  problems: string[];
  /** The budget's last valid version stays in force. */
  keptLastGood: boolean;
}

/** GET /v1/budgets: the budget timelines on this node and the budgets that are invalid. */
export interface BudgetsReport {
  budgets: BudgetStatusRow[];
  problems: BudgetProblem[];
}

/** GET /v1/ranges: what the agent believes is inside the cluster, and where each prefix came from. */
export interface RangesReport {
  ranges: Array<{ prefix: string; sources: string[] }>;
  /** Why writing them to the datapath failed, or null. */
  error: string | null;
}

export function bandwidthManagerLine(input: { enabled: boolean; reason: string | null; bbr: boolean; devices: string[] }): string {
  if (!input.enabled) return `BandwidthManager: Disabled (${input.reason ?? "unknown reason"})`;
  return `BandwidthManager: EDT with BPF [${input.bbr ? "BBR" : "CUBIC"}] [${input.devices.join(",")}]`;
}

/** `pacer status` lines for the failing Kubernetes API requests (pure): one per request kind, none when all is well. */
export function kubernetesApiLines(problems: readonly KubernetesApiProblem[] | undefined): string[] {
  return (problems ?? []).map((problem) => {
    const status = problem.statusCode === null ? "no answer" : `HTTP ${problem.statusCode}`;
    return `Kubernetes API: ${problem.verb} ${problem.resource} failing since ${problem.since} (${status}: ${problem.message}): ${problem.action}`;
  });
}

/** `pacer status` lines for ClusterWide budgets (pure): the allocator role, then one line per budget share. */
export function clusterBudgetLines(report: StatusReport["clusterBudgets"]): string[] {
  if (report === undefined) return [];
  const lines = [`ClusterWide budgets: allocator ${report.allocator}; reports written ${report.reportsWritten}, failed ${report.reportsFailed}`];
  for (const share of report.shares) {
    lines.push(share.expiresInMs === null
      ? `  ${share.key}: the floor ${approximateQuantity(share.bitsPerSecond)} on this node until the allocator answers its report`
      : `  ${share.key}: share ${approximateQuantity(share.bitsPerSecond)} on this node, falls back to ${approximateQuantity(share.fallbackBitsPerSecond)} in ${Math.round(share.expiresInMs / 1000)} s unless renewed`);
  }
  return lines;
}

const capitalized = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/**
 * `pacer list`: Cilium's `bpf bandwidth list` columns (IDENTITY DIRECTION PRIO BANDWIDTH (BitsPerSec)), then
 * the Pod, its state and live counters, then what pacer adds (the outside-the-cluster limit, the budgets
 * the Pod is charged to), so scripts written against the seed's columns keep working. A row without an enforced limit shows "-" as identity and the
 * requested value as bandwidth.
 */
export function formatLimitsTable(rows: PodStatusRow[]): string {
  const header = ["IDENTITY", "DIRECTION", "PRIO", "BANDWIDTH (BitsPerSec)", "POD", "STATE", "PACKETS", "BYTES", "DELAYED", "DROPS", "OUTSIDE CLUSTER", "BUDGETS", "REASON"];
  const rate = (enforced: number | null, requested: string | null): string => (enforced === null ? (requested ?? "-") : formatBitsPerSecond(enforced));
  const lines = rows.map((row) => [
    row.identity === null ? "-" : String(row.identity),
    capitalized(row.direction),
    "0",
    rate(row.enforcedBitsPerSecond, row.requested),
    `${row.namespace}/${row.name}`,
    row.state,
    String(row.counters?.packets ?? "-"),
    String(row.counters?.bytes ?? "-"),
    String(row.counters?.delayedPackets ?? "-"),
    String(row.counters?.horizonDrops ?? "-"),
    rate(row.enforcedExternalBitsPerSecond, row.externalRequested),
    row.budgets.length === 0 ? "-" : row.budgets.join(","),
    row.reason ?? "",
  ]);
  const table = [header, ...lines];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? "").length)));
  return table
    .map((line) => line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join("  ").trimEnd())
    .join("\n");
}
