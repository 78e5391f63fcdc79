/**
 * A ClusterWide budget's summary (budget-summary.ts) in its BandwidthBudget's status, pure: one entry per
 * direction (`status.egress`, `status.ingress`) with the totals as Quantities for `kubectl get` (printer
 * columns Demand, Allocated, Nodes read the egress entry), the exact numbers, and the floor in use, which
 * every agent reads back to start a new sender at (node-protocol.ts LocalBudgetSample.floorBitsPerSecond).
 */
import type { BudgetSummary } from "./budget-summary.js";
import type { BudgetDirection } from "./protocol.js";

export interface SummaryEntry {
  demand: string;
  allocated: string;
  nodes: number;
  demandBitsPerSecond: number;
  allocatedBitsPerSecond: number;
  floorBitsPerSecond: number;
  lastSummaryTime: string;
}

/** A rate as a short Quantity ("12.5M", "980k", "0"): three significant digits are what an operator reads. */
export function approximateQuantity(bitsPerSecond: number): string {
  const value = Math.max(0, Math.round(bitsPerSecond));
  for (const [factor, suffix] of [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]] as const) {
    if (value >= factor) return `${Number((value / factor).toPrecision(3))}${suffix}`;
  }
  return String(value);
}

export const summaryField = (direction: BudgetDirection): "egress" | "ingress" => (direction === "Egress" ? "egress" : "ingress");

export function summaryEntry(summary: BudgetSummary, at: Date): SummaryEntry {
  return {
    demand: approximateQuantity(summary.demandBitsPerSecond),
    allocated: approximateQuantity(summary.allocatedBitsPerSecond),
    nodes: summary.nodes,
    demandBitsPerSecond: Math.round(summary.demandBitsPerSecond),
    allocatedBitsPerSecond: Math.round(summary.allocatedBitsPerSecond),
    floorBitsPerSecond: Math.round(summary.floorBitsPerSecond),
    lastSummaryTime: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

/** The summary a budget's status holds for a direction, or null (none written yet, or not understood). */
export function summaryOf(status: unknown, direction: BudgetDirection): BudgetSummary | null {
  const entry = (status as Record<string, Partial<SummaryEntry> | undefined> | undefined)?.[summaryField(direction)];
  if (entry === undefined || typeof entry !== "object" || entry === null) return null;
  const numbers = [entry.demandBitsPerSecond, entry.allocatedBitsPerSecond, entry.nodes, entry.floorBitsPerSecond];
  if (!numbers.every((value) => typeof value === "number" && Number.isFinite(value) && value >= 0)) return null;
  return { demandBitsPerSecond: entry.demandBitsPerSecond!, allocatedBitsPerSecond: entry.allocatedBitsPerSecond!, nodes: entry.nodes!, floorBitsPerSecond: entry.floorBitsPerSecond! };
}
