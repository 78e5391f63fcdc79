/** The demo's steps and progress lines: numbering, the boot step only in the test kernel, the countdown. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demoSteps, progressLine, secondsLeft } from "./plan.js";

describe("demo plan", () => {
  it("has seven steps in the test kernel (boot first) and six on a host with fq", () => {
    assert.deepEqual(demoSteps({ seconds: 10, inTestKernel: true, limit: "10M" }).map((step) => step.id), ["boot", "node", "agent", "status", "limited", "unlimit", "unlimited"]);
    assert.equal(demoSteps({ seconds: 10, inTestKernel: false, limit: "10M" })[0]?.id, "node");
  });

  it("counts down: each step's estimate and every later one's; the streams scale with --seconds", () => {
    const steps = demoSteps({ seconds: 10, inTestKernel: true, limit: "10M" });
    const total = steps.reduce((sum, step) => sum + step.estimateSeconds, 0);
    assert.equal(secondsLeft(steps, "boot"), total);
    assert.equal(secondsLeft(steps, "unlimited"), 12);
    assert.ok(total < 120, `the whole demo is planned under two minutes (${total} s)`);
    const short = demoSteps({ seconds: 3, inTestKernel: true, limit: "10M" });
    assert.equal(secondsLeft(steps, "boot") - secondsLeft(short, "boot"), 14);
  });

  it("prints the step number, what runs and how long is left", () => {
    const steps = demoSteps({ seconds: 10, inTestKernel: true, limit: "10M" });
    assert.equal(progressLine(steps, "limited"), "[5/7] limited run: 10 s stream from netperf-server (10M) to netperf-client, ping under load … ~25 s left");
    assert.equal(progressLine(demoSteps({ seconds: 10, inTestKernel: false, limit: "10M" }), "boot"), "[?/6] boot");
  });
});
