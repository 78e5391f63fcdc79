/** Metric names and values from rows, served over real HTTP on loopback with /healthz and /readyz. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BudgetStatusRow } from "../bandwidth/budget-timelines.js";
import type { PodStatusRow } from "../bandwidth/status-row.js";
import { createMetrics } from "./metrics.js";
import { parseListenAddress, startMetricsServer } from "./server.js";

const row: PodStatusRow = {
  podKey: "lab/web/u1", namespace: "lab", name: "web", direction: "egress", requested: "10M", externalRequested: null, enforcedBitsPerSecond: 10_000_000, enforcedExternalBitsPerSecond: null, budgets: [],
  identity: 1, state: "enforced", reason: null, since: "2026-01-01T00:00:00.000Z",
  counters: { packets: 5, bytes: 7000, delayedPackets: 2, horizonDrops: 1, ecnMarks: 0, bypassedPackets: 0 },
};

describe("metrics", () => {
  it("parses listen addresses", () => {
    assert.deepEqual(parseListenAddress("127.0.0.1:9090"), { host: "127.0.0.1", port: 9090 });
    assert.deepEqual(parseListenAddress(":9090"), { host: "", port: 9090 });
    assert.deepEqual(parseListenAddress("[::1]:0"), { host: "::1", port: 0 });
    assert.throws(() => parseListenAddress("9090"), { code: "INVALID_METRICS_ADDRESS" });
  });

  it("serves the shared uplink's series: outside-cluster limits, budget timelines, invalid budgets, ranges", async () => {
    const external: PodStatusRow = { ...row, podKey: "lab/crawler/u2", name: "crawler", enforcedBitsPerSecond: null, requested: null, enforcedExternalBitsPerSecond: 5_000_000, externalRequested: "5M", budgets: ["lab/uplink"] };
    let budgets: BudgetStatusRow[] = [{
      key: "lab/uplink/u9", namespace: "lab", name: "uplink", direction: "egress", scope: "outside-cluster", mode: "PerNode",
      budgetBitsPerSecond: 100_000_000, shareBitsPerSecond: 100_000_000, members: ["lab/crawler/u2", "lab/web/u1"], state: "enforced", reason: null,
      counters: { packets: 9, bytes: 9000, delayedPackets: 4, horizonDrops: 0 },
    }];
    const metrics = createMetrics(() => [external], { enabled: true }, { budgets: () => budgets, invalidBudgets: () => 2, internalRanges: () => 3 });
    const text = await metrics.registry.metrics();
    const budgetLabels = '{namespace="lab",budget="uplink",direction="egress",scope="OutsideCluster",mode="PerNode"}';
    for (const line of [
      'pacer_pod_external_limit_bits_per_second{namespace="lab",pod="crawler",direction="egress"} 5000000',
      'pacer_pod_bytes_total{namespace="lab",pod="crawler",direction="egress"} 7000',
      `pacer_budget_bits_per_second${budgetLabels} 100000000`,
      `pacer_budget_node_share_bits_per_second${budgetLabels} 100000000`,
      `pacer_budget_pods${budgetLabels} 2`,
      `pacer_budget_bytes_total${budgetLabels} 9000`,
      `pacer_budget_delayed_packets_total${budgetLabels} 4`,
      "pacer_invalid_budgets 2",
      "pacer_internal_ranges 3",
    ]) assert.ok(text.includes(line), `metrics include ${line}\n${text}`);
    assert.ok(!text.includes('pacer_pod_limit_bits_per_second{namespace="lab",pod="crawler"'), "no limit on all traffic: no such series");
    budgets = [];
    assert.ok(!(await metrics.registry.metrics()).includes("pacer_budget_bytes_total{"), "a removed budget's series disappear");
  });

  it("serves every contract metric, /healthz and /readyz", async () => {
    let rows = [row];
    let ready = false;
    const metrics = createMetrics(() => rows, { enabled: true });
    metrics.invalidAnnotations.inc({ namespace: "lab", pod: "web", direction: "egress" });
    metrics.reconcileErrors.inc();
    const server = await startMetricsServer({ address: "127.0.0.1:0", registry: metrics.registry, ready: () => ready });
    const base = `http://127.0.0.1:${server.port}`;
    try {
      const text = await (await fetch(`${base}/metrics`)).text();
      const labels = '{namespace="lab",pod="web",direction="egress"}';
      for (const line of [
        `pacer_pod_limit_bits_per_second${labels} 10000000`,
        `pacer_pod_bytes_total${labels} 7000`,
        `pacer_pod_packets_total${labels} 5`,
        `pacer_pod_delayed_packets_total${labels} 2`,
        `pacer_pod_drops_total${labels} 1`,
        `pacer_invalid_annotations_total${labels} 1`,
        "pacer_reconcile_errors_total 1",
        "pacer_edt_available 1",
      ]) assert.ok(text.includes(line), `metrics include ${line}\n${text}`);
      rows = [];
      assert.ok(!(await (await fetch(`${base}/metrics`)).text()).includes("pacer_pod_bytes_total{"), "series of a gone Pod disappear");
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 503);
      ready = true;
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
