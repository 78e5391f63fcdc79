/** The demo's verdict, results table, JSON contract and chart series, from measurements (no kernel). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderThroughputChart } from "./chart.js";
import { demoChartSeries, demoJson, formatResultsTable, judgeDemo, type DemoContext, type DemoMeasurements, type StreamMeasurement } from "./report.js";

const stream = (bitsPerSec: number, fqThrottled: number | null): StreamMeasurement => ({
  goodputBitsPerSec: bitsPerSec,
  intervals: [0, 0.5, 1, 1.5].map((start) => ({ start, seconds: 0.5, bitsPerSec })),
  retransmits: 0, fqThrottled, horizonDrops: 0,
});

const measured = (limited: number, unlimited: number, overrides: Partial<DemoMeasurements> = {}): DemoMeasurements => ({
  kernelRelease: "6.1.176", limit: "10M", limitBitsPerSec: 10e6, statusText: "BandwidthManager: EDT with BPF [CUBIC] [eth0]\nNode: n",
  listText: "IDENTITY ...", limitAppliedMs: 900, limitRemovedMs: 1000, samePodAfterEdit: true,
  limited: stream(limited, 2500), unlimited: stream(unlimited, null),
  latencyUnderLoad: { sent: 20, received: 20, p50Ms: 3.2, p99Ms: 3.5 }, seconds: 2, ...overrides,
});

const context: DemoContext = { hostKernelRelease: "6.18", testKernelReason: "fq qdisc missing", bootMs: 2000, wallMs: 21000, chartPath: "/w/pacer-demo.svg" };

describe("judgeDemo", () => {
  it("passes 9.56 Mbit/s at 10M, paced, with the unlimited run far above", () => {
    assert.deepEqual(judgeDemo(measured(9.56e6, 3e9)), { pass: true, problems: [] });
  });

  it("fails with what went wrong: outside 9.0-10.0, not paced, limit not removed, Pod recreated", () => {
    assert.match(judgeDemo(measured(8.9e6, 3e9)).problems.join(), /8\.90 Mbit\/s, outside 9\.00-10\.00 for 10M/);
    assert.match(judgeDemo(measured(10.2e6, 3e9)).problems.join(), /outside/);
    assert.match(judgeDemo(measured(9.5e6, 3e9, { limited: stream(9.5e6, 0) })).problems.join(), /not paced/);
    assert.match(judgeDemo(measured(9.5e6, 40e6)).problems.join(), /not above 5× the limit/);
    const all = judgeDemo(measured(20e6, 20e6, { samePodAfterEdit: false }));
    assert.equal(all.pass, false);
    assert.equal(all.problems.length, 3);
  });
});

describe("demo output", () => {
  it("tabulates limit, goodput, ratio, throttling and latency under load", () => {
    const table = formatResultsTable(measured(9.56e6, 3.13e9)).split("\n");
    assert.match(table[0] ?? "", /^RUN\s+LIMIT\s+GOODPUT \(Mbit\/s\)\s+OF LIMIT/);
    assert.match(table[1] ?? "", /annotated\s+10M\s+9\.56\s+0\.956\s+2500\s+0\s+3\.2 \/ 3\.5$/);
    assert.match(table[2] ?? "", /removed\s+none\s+3130\.00\s+313\.0×/);
  });

  it("keeps the JSON contract scripts read", () => {
    const json = demoJson(measured(9.56e6, 3e9), context, judgeDemo(measured(9.56e6, 3e9)));
    assert.equal(json.limitBitsPerSec, 10e6);
    assert.equal(json.limitedGoodputBitsPerSec, 9.56e6);
    assert.equal(json.unlimitedGoodputBitsPerSec, 3e9);
    assert.deepEqual(json.ping, { sent: 20, received: 20, p50Ms: 3.2, p99Ms: 3.5 });
    assert.equal(json.chart, "/w/pacer-demo.svg");
    assert.deepEqual(json.kernel, { host: "6.18", node: "6.1.176", testKernel: true, reason: "fq qdisc missing" });
    assert.equal(json.bootMs, 2000);
    assert.equal(json.status, "BandwidthManager: EDT with BPF [CUBIC] [eth0]");
    assert.equal(json.pass, true);
  });

  it("charts both runs, the limited one with its limit, points at the end of each interval", () => {
    const series = demoChartSeries(measured(9.56e6, 3e9));
    assert.deepEqual(series.map((s) => [s.label, s.limitBitsPerSec]), [["annotated 10M", 10e6], ["annotation removed", null]]);
    assert.deepEqual(series[0]?.points.map((p) => p.seconds), [0.5, 1, 1.5, 2]);
    const svg = renderThroughputChart(series, { title: "t" });
    assert.equal(svg.match(/<polyline class="run"/g)?.length, 2);
  });
});
