/** The latency plan: every mode, load and direction the issue names, idle first in each group. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeLatency, type LatencyRow } from "../rows.js";
import { latencyPlan, latencyScenarioName } from "./plan.js";

describe("latency plan", () => {
  it("covers 1, 8 and 128 CUBIC and BBR streams and UDP at twice the limit, at 10M and 100M, for pacer's two modes", () => {
    const runs = latencyPlan({ reduced: false });
    for (const mode of ["per-flow", "single-timeline"] as const) {
      for (const limit of [10e6, 100e6]) {
        const group = runs.filter((run) => run.mode === mode && run.direction === "egress" && run.limitBitsPerSec === limit);
        assert.equal(group[0]?.bulk, null, "idle first");
        assert.deepEqual(group.slice(1).map((run) => latencyScenarioName(run).split(", ")[1]).sort(), [
          "1 bbr stream", "1 cubic stream", "128 bbr streams", "128 cubic streams", "8 bbr streams", "8 cubic streams", `UDP at ${(2 * limit) / 1e6}M`,
        ]);
      }
    }
    assert.ok(runs.some((run) => run.mode === "reference-cni" && run.bulk?.flows === 8));
    assert.ok(runs.some((run) => run.direction === "ingress" && run.mode === "per-flow" && run.bulk !== null));
  });

  it("the reduced plan still puts flow isolation beside one timeline under load", () => {
    const runs = latencyPlan({ reduced: true });
    assert.deepEqual(runs.map(latencyScenarioName), [
      "latency per-flow egress 10M, idle", "latency per-flow egress 10M, 8 cubic streams",
      "latency single-timeline egress 10M, idle", "latency single-timeline egress 10M, 8 cubic streams",
    ]);
  });

  it("judges only flow isolation's loaded rows, against the issue's goals", () => {
    const row = (overrides: Partial<LatencyRow>): LatencyRow => ({
      scenario: "s", mode: "per-flow", direction: "egress", limitBitsPerSec: 10e6, bulkFlows: 8, bulkProtocol: "tcp", cc: "cubic", probe: "ping",
      p50Ms: 0.1, p99Ms: 0.4, idleP99Ms: 0.2, rrTransactionsPerSec: null, wireRatio: 1.001, jainIndex: 0.99, goodputBitsPerSec: 9.5e6, retransmits: 0, flowLimitDrops: 0,
      offeredBitsPerSec: null, probeOutlastedLoad: false,
      ...overrides,
    });
    assert.ok(judgeLatency([row({})]).every((verdict) => verdict.pass));
    const failed = judgeLatency([row({ p99Ms: 4, wireRatio: 0.98, jainIndex: 0.9, flowLimitDrops: 3 })]).filter((verdict) => !verdict.pass).map((verdict) => verdict.check);
    assert.deepEqual(failed.sort(), [
      "0 fq flow-limit drops", "Jain's index >= 0.95 among 8 CUBIC streams", "light-flow p99 <= 3 ms at 10M", "light-flow p99 <= idle p99 + 2 ms", "wire rate 0.995-1.005 of the limit",
    ]);
    assert.deepEqual(judgeLatency([row({ mode: "single-timeline", p99Ms: 80 }), row({ bulkFlows: 0, bulkProtocol: null })]), []);
    // Targets are reported, behaviour is what the test suite asserts: the limit roughly held, isolation far ahead of one timeline.
    const verdicts = judgeLatency([row({ wireRatio: 0.98, p50Ms: 0.2 }), row({ mode: "single-timeline", p50Ms: 20 })]);
    assert.deepEqual(verdicts.filter((verdict) => verdict.kind === "behaviour" && verdict.scenario.endsWith("(ping)")).map((verdict) => [verdict.check, verdict.pass]), [
      ["light-flow p50 under a quarter of one timeline's (same load, same run)", true], ["the limit holds (0.85-1.05 on the wire)", true], ["0 fq flow-limit drops", true],
    ]);
    assert.equal(verdicts.find((verdict) => verdict.check.startsWith("wire rate 0.995"))?.kind, "target");
    const late = judgeLatency([row({ probe: "tcp_rr", probeOutlastedLoad: true })]).find((verdict) => verdict.check === "the probe ran inside the load");
    assert.deepEqual([late?.kind, late?.pass], ["behaviour", false]);
    const anchorLate = judgeLatency([row({ mode: "reference-cni", probe: "tcp_rr", probeOutlastedLoad: true, p50Ms: null, p99Ms: null })]);
    assert.deepEqual(anchorLate, [], "an anchor that answers nothing within its own queue is its result, not a flawed run");
    const udp = judgeLatency([row({ bulkProtocol: "udp", cc: null, bulkFlows: 1, wireRatio: 0.41, offeredBitsPerSec: 41e5 })]);
    assert.ok(!udp.some((verdict) => verdict.check.startsWith("wire rate 0.995")), "a sender below the limit has no rate target");
    assert.equal(udp.find((verdict) => verdict.check === "the limit holds (not above it)")?.pass, true);
    const behind = judgeLatency([row({ p50Ms: 10 }), row({ mode: "single-timeline", p50Ms: 20 })]);
    assert.equal(behind.find((verdict) => verdict.check.startsWith("light-flow p50 under"))?.pass, false);
    assert.equal(judgeLatency([row({ limitBitsPerSec: 100e6, p99Ms: 0.8 })]).find((verdict) => verdict.check.startsWith("light-flow p99 <= idle"))?.pass, false, "+0.5 ms at 100M");
  });
});
