/** Annotations → requested limits, and the InvalidBandwidth message. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidBandwidthMessage, requestedLimitsOf } from "./annotations.js";

describe("requestedLimitsOf", () => {
  it("reads both directions", () => {
    const limits = requestedLimitsOf({
      annotations: { "kubernetes.io/egress-bandwidth": "10M", "kubernetes.io/ingress-bandwidth": "1Mi", other: "x" },
    });
    assert.deepEqual(limits, [
      { kind: "all", direction: "egress", requested: "10M", bitsPerSecond: 10_000_000, problem: null },
      { kind: "all", direction: "ingress", requested: "1Mi", bitsPerSecond: 1_048_576, problem: null },
    ]);
  });
  it("reads pacer's outside-cluster annotations beside the standard ones", () => {
    const limits = requestedLimitsOf({
      annotations: { "kubernetes.io/egress-bandwidth": "100M", "pacer.dev/external-egress-bandwidth": "10M", "pacer.dev/external-ingress-bandwidth": "5k" },
    });
    assert.deepEqual(limits.map((limit) => [limit.kind, limit.direction, limit.bitsPerSecond]), [
      ["all", "egress", 100_000_000], ["external", "egress", 10_000_000], ["external", "ingress", 5_000],
    ]);
  });
  it("asks for nothing without annotations", () => assert.deepEqual(requestedLimitsOf({ annotations: {} }), []));
  it("reports a bad value with Kubernetes' message", () => {
    const [limit] = requestedLimitsOf({ annotations: { "kubernetes.io/egress-bandwidth": "1m" } });
    assert.equal(limit?.bitsPerSecond, null);
    assert.equal(limit?.problem, "resource is unreasonably small (< 1kbit)");
  });
});

describe("invalidBandwidthMessage", () => {
  it("names the annotation, the value, the range and what stays enforced", () => {
    const message = invalidBandwidthMessage({ kind: "all", direction: "egress", requested: "5P" }, "resource is unreasonably large (> 1Pbit)", 10_000_000);
    assert.match(message, /kubernetes\.io\/egress-bandwidth "5P" is invalid/);
    assert.match(message, /1k\.\.1P/);
    assert.match(message, /last good limit 10M stays enforced/);
    assert.match(invalidBandwidthMessage({ kind: "all", direction: "ingress", requested: "x" }, "bad", null), /no limit is enforced/);
    assert.match(invalidBandwidthMessage({ kind: "external", direction: "ingress", requested: "10Q" }, "bad", null), /^pacer\.dev\/external-ingress-bandwidth "10Q" is invalid/);
  });
});
