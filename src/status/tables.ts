/**
 * `pacer budgets` and `pacer ranges` as tables (pure), like `pacer list`'s: one line per budget timeline
 * on this node (the budget, its scope and mode, this node's share, the Pods charged to it, live counters)
 * and per inside-the-cluster prefix with its sources.
 */
import { formatBitsPerSecond } from "../bandwidth/quantity.js";
import type { BudgetsReport, RangesReport } from "./api.js";

function table(header: string[], lines: string[][]): string {
  const all = [header, ...lines];
  const widths = header.map((_, column) => Math.max(...all.map((line) => (line[column] ?? "").length)));
  return all.map((line) => line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join("  ").trimEnd()).join("\n");
}

export function formatBudgetsTable(report: BudgetsReport): string {
  const header = ["BUDGET", "DIRECTION", "SCOPE", "MODE", "BUDGET (BitsPerSec)", "THIS NODE", "PODS", "STATE", "PACKETS", "BYTES", "HELD BACK", "REASON"];
  const lines = report.budgets.map((row) => [
    `${row.namespace}/${row.name}`,
    row.direction,
    row.scope === "all" ? "All" : "OutsideCluster",
    row.mode,
    formatBitsPerSecond(row.budgetBitsPerSecond),
    formatBitsPerSecond(row.shareBitsPerSecond),
    row.members.map((member) => member.split("/").slice(0, 2).join("/")).join(","),
    row.state,
    String(row.counters?.packets ?? "-"),
    String(row.counters?.bytes ?? "-"),
    String(row.counters?.delayedPackets ?? "-"),
    row.reason ?? "",
  ]);
  const problems = report.problems.map(
    (problem) => `invalid: ${problem.namespace}/${problem.name}: ${problem.problems.join("; ")}${problem.keptLastGood ? " (its last valid version stays in force)" : ""}`,
  );
  return [lines.length > 0 ? table(header, lines) : "no budget has a selected Pod on this node", ...problems].join("\n");
}

export function formatRangesTable(report: RangesReport): string {
  const lines = report.ranges.map((range) => [range.prefix, range.sources.join(", ")]);
  const text = lines.length > 0 ? table(["INSIDE THE CLUSTER", "FROM"], lines) : "no inside-the-cluster range is known: every destination counts as outside";
  return report.error === null ? text : `${text}\nerror: ${report.error}`;
}
