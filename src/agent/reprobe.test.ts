/** The re-probe interval: never under 30 s (the probe forks ip/tc), never under the resync interval. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { MIN_REPROBE_INTERVAL_MS, reprobeIntervalMs } from "./reprobe.js";

it("re-probes every max(resyncInterval, 30 s)", () => {
  assert.equal(reprobeIntervalMs(10_000), MIN_REPROBE_INTERVAL_MS);
  assert.equal(reprobeIntervalMs(30_000), 30_000);
  assert.equal(reprobeIntervalMs(120_000), 120_000);
});
