/** iperf3 JSON at the receiver and ping percentiles. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseIperf3 } from "./iperf3.js";
import { parsePingRttsMs, percentile, summarizePing } from "./ping.js";

const interval = (seconds: number, bits: number) => ({ sum: { seconds, bits_per_second: bits } });

describe("parseIperf3", () => {
  it("takes per-second rates from the server (receiver) when the client sent, dropping a short tail", () => {
    const summary = parseIperf3(JSON.stringify({
      start: { test_start: { reverse: 0 } },
      intervals: [interval(1, 99e6)],
      end: {
        sum_sent: { retransmits: 3, bits_per_second: 9.8e6 }, sum_received: { bits_per_second: 9.5e6, seconds: 10 }, sender_tcp_congestion: "cubic",
        streams: [{ receiver: { bytes: 6_000_000 } }, { receiver: { bytes: 5_875_000 } }],
      },
      server_output_json: { intervals: [interval(1, 9e6), interval(1, 10e6), interval(0.1, 50e6)] },
    }));
    assert.deepEqual(summary, { goodputBitsPerSec: 9.5e6, intervalBitsPerSec: [9e6, 10e6], maxOneSecondBitsPerSec: 10e6,
      receiverIntervals: [{ start: 0, seconds: 1, bitsPerSec: 9e6 }, { start: 0, seconds: 1, bitsPerSec: 10e6 }, { start: 0, seconds: 0.1, bitsPerSec: 50e6 }], retransmits: 3, congestionControl: "cubic", seconds: 10,
      streamReceivedBytes: [6_000_000, 5_875_000], sentBitsPerSec: 9.8e6 });
  });

  it("uses the client's intervals with -R, and reports iperf3's own error", () => {
    const summary = parseIperf3(JSON.stringify({ start: { test_start: { reverse: 1 } }, intervals: [interval(1, 5)], end: { sum_received: { bits_per_second: 5 } } }));
    assert.deepEqual(summary.intervalBitsPerSec, [5]);
    assert.equal(summary.retransmits, null);
    assert.throws(() => parseIperf3(JSON.stringify({ error: "unable to connect to server" })), /unable to connect/);
    assert.throws(() => parseIperf3("{"), /parse iperf3 JSON/);
  });
});

describe("ping", () => {
  it("reads reply times and nearest-rank percentiles", () => {
    const output = "64 bytes from 1.2.3.4: icmp_seq=1 ttl=63 time=0.5 ms\n64 bytes from 1.2.3.4: icmp_seq=2 ttl=63 time=82 ms\n" +
      "64 bytes from 1.2.3.4: icmp_seq=3 ttl=63 time=110 ms\n\n--- 1.2.3.4 ping statistics ---\n4 packets transmitted, 3 received, 25% packet loss\n";
    assert.deepEqual(parsePingRttsMs(output), [0.5, 82, 110]);
    assert.equal(percentile([3, 1, 2], 0.5), 2);
    assert.ok(Number.isNaN(percentile([], 0.5)));
    assert.deepEqual(summarizePing(output), { sent: 4, received: 3, p50Ms: 82, p99Ms: 110, maxMs: 110 });
  });
});
