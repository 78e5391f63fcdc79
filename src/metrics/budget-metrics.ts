/**
 * The shared uplink's series: per budget timeline on this node (its rate, this node's share, how many of
 * this node's Pods are charged to it, live counters), how many budgets are invalid, and how many
 * inside-the-cluster prefixes the datapath holds. Read at scrape time, like the Pod series, so a removed
 * budget's series disappear with it.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { BudgetStatusRow } from "../bandwidth/budget-timelines.js";
import type { SharedUplinkReadings } from "./metrics.js";

const BUDGET_LABELS = ["namespace", "budget", "direction", "scope", "mode"] as const;

const labelsOf = (row: BudgetStatusRow) => ({
  namespace: row.namespace,
  budget: row.name,
  direction: row.direction,
  scope: row.scope === "all" ? "All" : "OutsideCluster",
  mode: row.mode,
});

export function budgetMetrics(registry: Registry, shared: SharedUplinkReadings): void {
  const enforced = () => shared.budgets().filter((row) => row.state === "enforced");
  const gauge = (name: string, help: string, pick: (row: BudgetStatusRow) => number) =>
    new Gauge({
      name,
      help,
      labelNames: BUDGET_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const row of enforced()) this.set(labelsOf(row), pick(row));
      },
    });
  const counter = (name: string, help: string, pick: (row: BudgetStatusRow) => number) =>
    new Counter({
      name,
      help,
      labelNames: BUDGET_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const row of enforced()) if (row.counters) this.inc(labelsOf(row), pick(row));
      },
    });
  gauge("pacer_budget_bits_per_second", "A BandwidthBudget's rate in this direction (all nodes together for ClusterWide).", (row) => row.budgetBitsPerSecond);
  gauge("pacer_budget_node_share_bits_per_second", "This node's share of the budget, enforced on its timeline.", (row) => row.shareBitsPerSecond);
  gauge("pacer_budget_pods", "This node's Pods charged to the budget.", (row) => row.members.length);
  counter("pacer_budget_bytes_total", "Bytes charged to the budget's timeline on this node.", (row) => row.counters?.bytes ?? 0);
  counter("pacer_budget_packets_total", "Packets charged to the budget's timeline on this node.", (row) => row.counters?.packets ?? 0);
  counter("pacer_budget_delayed_packets_total", "Packets the budget gave a departure time in the future.", (row) => row.counters?.delayedPackets ?? 0);
  counter("pacer_budget_drops_total", "Packets dropped because the budget's departure time was beyond the horizon.", (row) => row.counters?.horizonDrops ?? 0);
  new Gauge({
    name: "pacer_invalid_budgets",
    help: "BandwidthBudgets this agent found invalid (their last valid version, if any, stays in force).",
    registers: [registry],
    collect() {
      this.set(shared.invalidBudgets());
    },
  });
  new Gauge({
    name: "pacer_internal_ranges",
    help: "Inside-the-cluster prefixes in the datapath (traffic to them is not charged to OutsideCluster limits).",
    registers: [registry],
    collect() {
      this.set(shared.internalRanges());
    },
  });
}
