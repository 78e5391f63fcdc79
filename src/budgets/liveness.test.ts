/** The allocator's expiry rule: a silent node expires only after the API was reachable for the whole expiry. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiHealth, isExpired } from "./liveness.js";

const EXPIRY = 105_000;

/** Healthy from `fromMs` to `toMs` (a success every 2 s, like the Lease renewals). */
function healthyBetween(health: ApiHealth, fromMs: number, toMs: number): void {
  for (let at = fromMs; at <= toMs; at += 2000) health.succeeded(at);
}

describe("liveness", () => {
  it("expires a node silent for the expiry while the API was reachable all along", () => {
    const health = new ApiHealth();
    healthyBetween(health, 0, 200_000);
    assert.equal(isExpired(104_000, 0, health, EXPIRY), false);
    assert.equal(isExpired(106_000, 0, health, EXPIRY), true);
  });

  it("does not expire anyone during an outage, nor until the API has been back for a whole expiry", () => {
    const health = new ApiHealth();
    healthyBetween(health, 0, 50_000);
    health.failed(); // the outage starts at 50 s and lasts 60 s: no success until 110 s
    assert.equal(isExpired(110_000, 0, health, EXPIRY), false);
    healthyBetween(health, 110_000, 300_000);
    assert.equal(isExpired(214_000, 0, health, EXPIRY), false, "back for 104 s only");
    assert.equal(isExpired(216_000, 0, health, EXPIRY), true);
  });

  it("a lost request among successes is no break", () => {
    const health = new ApiHealth(5000);
    healthyBetween(health, 0, 20_000);
    health.failed();
    healthyBetween(health, 22_000, 30_000);
    assert.equal(health.healthyForMs(30_000), 30_000);
  });

  it("counts a gap without any success as a break", () => {
    const health = new ApiHealth(5000);
    health.succeeded(0);
    health.succeeded(10_000);
    assert.equal(health.healthyForMs(10_000), 0);
    health.succeeded(12_000);
    assert.equal(health.healthyForMs(12_000), 2000);
    assert.equal(health.healthyForMs(20_000), 0, "silent for 8 s");
  });
});
