/** The pure parts of the lab's measurements: netperf's omni output, Jain's index, wire rates, /proc/stat. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { busySecondsOf } from "./cpu.js";
import { jainIndex } from "./fairness.js";
import { parseRequestResponse } from "./netperf.js";
import { activeSpan, wireBitsPerSecond } from "./wire-rate.js";

describe("lab measurements (pure)", () => {
  it("reads netperf TCP_RR's percentiles (µs → ms) and transaction rate", () => {
    const output = [
      "MIGRATED TCP REQUEST/RESPONSE TEST from 0.0.0.0 (0.0.0.0) port 0 AF_INET to 127.0.0.1 () port 0 AF_INET : demo : first burst 0",
      "50th Percentile Latency Microseconds,99th Percentile Latency Microseconds,Mean Latency Microseconds,Transaction Rate Tran/s",
      "5,13,7.48,133134.931",
    ].join("\n");
    const parsed = parseRequestResponse(output);
    assert.deepEqual({ ...parsed, meanMs: Math.round(parsed.meanMs * 1e8) / 1e8 }, { p50Ms: 0.005, p99Ms: 0.013, meanMs: 0.00748, transactionsPerSec: 133134.931 });
    assert.throws(() => parseRequestResponse("establish_control could not establish the control connection"), /no result line/);
  });

  it("Jain's index: 1 for equal shares, 1/n when one stream has everything", () => {
    assert.equal(jainIndex([5, 5, 5, 5]), 1);
    assert.equal(jainIndex([8, 0, 0, 0]), 0.25);
    assert.ok(Math.abs((jainIndex([1, 2, 3]) ?? 0) - 36 / 42) < 1e-12);
    assert.equal(jainIndex([]), null);
  });

  it("the wire rate between the first and last sample inside a window", () => {
    const samples = [0, 1000, 2000, 3000, 4000].map((atMs, index) => ({ atMs, bytes: index * 1_250_000 }));
    assert.equal(wireBitsPerSecond(samples, 1000, 3500), 10_000_000);
    assert.equal(wireBitsPerSecond(samples, 3900, 4000), null, "less than a second between samples");
  });

  it("the span a stream was sending, from the counters (not the caller's clock)", () => {
    // idle until 1000, 10 Mbit/s from 1000 to 4000, idle after
    const bytes = [0, 0, 1_250_000, 2_500_000, 3_750_000, 3_750_000, 3_750_000];
    const samples = bytes.map((value, index) => ({ atMs: index * 1000 - 1000, bytes: value }));
    assert.deepEqual(activeSpan(samples, 5_000_000), { fromMs: 0, toMs: 3000 });
    assert.equal(activeSpan(samples, 20_000_000), null);
  });

  it("busy seconds from /proc/stat: user, nice, system, irq, softirq", () => {
    assert.equal(busySecondsOf("cpu  100 5 200 9000 40 10 20 0 0 0\ncpu0 1 2 3 4 5 6 7\n"), 3.35);
  });
});
