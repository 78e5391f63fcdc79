/** The status the lab kubelet writes: podIP and podIPs[0] agree (the API server keeps podIP), Running, Ready. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runningStatus } from "./kubelet.js";

describe("the lab kubelet's Pod status", () => {
  it("reports the sandbox's IP as podIP and podIPs[0], the node's as hostIP, phase Running and Ready", () => {
    const { status } = runningStatus("10.244.0.5", "198.18.0.1", new Date("2026-01-01T00:00:00.123Z")) as {
      status: { phase: string; podIP: string; podIPs: Array<{ ip: string }>; hostIP: string; startTime: string; conditions: Array<{ type: string; status: string }> };
    };
    assert.equal(status.phase, "Running");
    assert.equal(status.podIP, "10.244.0.5");
    assert.deepEqual(status.podIPs, [{ ip: "10.244.0.5" }]);
    assert.equal(status.hostIP, "198.18.0.1");
    assert.equal(status.startTime, "2026-01-01T00:00:00Z");
    assert.ok(status.conditions.some((condition) => condition.type === "Ready" && condition.status === "True"));
  });
});
