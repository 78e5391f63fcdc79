/**
 * pacer's Prometheus metrics, names and help strings in one place. Per-Pod series are read from the
 * reconciler's rows at scrape time (collect), so a deleted Pod's series disappear with its row; the
 * manager's on/off state likewise from its owner.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { BudgetStatusRow } from "../bandwidth/budget-timelines.js";
import type { PodStatusRow } from "../bandwidth/status-row.js";
import { budgetMetrics } from "./budget-metrics.js";

export interface PacerMetrics {
  registry: Registry;
  invalidAnnotations: Counter<"namespace" | "pod" | "direction">;
  reconcileErrors: Counter;
}

const POD_LABELS = ["namespace", "pod", "direction"] as const;

/** What the budget and scope series read at scrape time (budget-metrics.ts). */
export interface SharedUplinkReadings {
  budgets(): BudgetStatusRow[];
  invalidBudgets(): number;
  internalRanges(): number;
}

const NO_SHARED_UPLINK: SharedUplinkReadings = { budgets: () => [], invalidBudgets: () => 0, internalRanges: () => 0 };

/** `manager`: the bandwidth manager's state (agent/manager-state.ts), read at scrape time. */
export function createMetrics(rows: () => PodStatusRow[], manager: { readonly enabled: boolean }, shared: SharedUplinkReadings = NO_SHARED_UPLINK): PacerMetrics {
  const registry = new Registry();
  // Every row the datapath enforces something for: a limit on all traffic, outside the cluster, or budgets only.
  const enforced = () => rows().filter((row) => row.counters !== null);
  const labelsOf = (row: PodStatusRow) => ({ namespace: row.namespace, pod: row.name, direction: row.direction });

  new Gauge({
    name: "pacer_pod_limit_bits_per_second",
    help: "Bandwidth limit enforced for the Pod in this direction, in bits per second on the wire.",
    labelNames: POD_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of enforced()) if (row.enforcedBitsPerSecond !== null) this.set(labelsOf(row), row.enforcedBitsPerSecond);
    },
  });
  new Gauge({
    name: "pacer_pod_external_limit_bits_per_second",
    help: "Limit on the Pod's traffic to or from outside the cluster (pacer.dev/external-*-bandwidth), bits per second on the wire.",
    labelNames: POD_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of enforced()) if (row.enforcedExternalBitsPerSecond !== null) this.set(labelsOf(row), row.enforcedExternalBitsPerSecond);
    },
  });
  const counterFromRows = (name: string, help: string, pick: (row: PodStatusRow) => number) =>
    new Counter({
      name,
      help,
      labelNames: POD_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const row of enforced()) this.inc(labelsOf(row), pick(row));
      },
    });
  counterFromRows("pacer_pod_bytes_total", "Bytes that went through the Pod's shaper.", (row) => row.counters?.bytes ?? 0);
  counterFromRows("pacer_pod_packets_total", "Packets that went through the Pod's shaper.", (row) => row.counters?.packets ?? 0);
  counterFromRows("pacer_pod_delayed_packets_total", "Packets given a departure time in the future (paced).", (row) => row.counters?.delayedPackets ?? 0);
  counterFromRows("pacer_pod_drops_total", "Packets dropped because their departure time was beyond the horizon.", (row) => row.counters?.horizonDrops ?? 0);
  counterFromRows("pacer_pod_bypassed_packets_total", "Packets of a light flow that left at once instead of behind the Pod's bulk flows (flow isolation; still charged).", (row) => row.counters?.bypassedPackets ?? 0);
  counterFromRows("pacer_pod_ecn_marks_total", "Packets CE-marked because their departure was beyond the ECN threshold (ingress).", (row) => row.counters?.ecnMarks ?? 0);
  budgetMetrics(registry, shared);

  new Gauge({
    name: "pacer_edt_available",
    help: "1 when EDT pacing is available and enabled on this node, 0 when the bandwidth manager is disabled.",
    registers: [registry],
    collect() {
      this.set(manager.enabled ? 1 : 0);
    },
  });

  return {
    registry,
    invalidAnnotations: new Counter({
      name: "pacer_invalid_annotations_total",
      help: "Bandwidth annotations found invalid (the last good limit stays enforced).",
      labelNames: POD_LABELS,
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: "pacer_reconcile_errors_total",
      help: "Datapath operations that failed during reconcile (retried with backoff).",
      registers: [registry],
    }),
  };
}
