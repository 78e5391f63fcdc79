/** gso_max_size sizing for the latency cap. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cappedGsoMaxSize } from "./gso-cap.js";

describe("gso cap sizing", () => {
  it("is ~1 ms of the limit, at least two MTUs, never above the original", () => {
    assert.equal(cappedGsoMaxSize(10_000_000, 1500, 65536), 3000, "10M: 1250 B/ms, floored to 2 MTUs");
    assert.equal(cappedGsoMaxSize(100_000_000, 1500, 65536), 12500);
    assert.equal(cappedGsoMaxSize(1_000_000_000, 1500, 65536), 65536, "1G: 125 KB/ms, kept at the original");
    assert.equal(cappedGsoMaxSize(1_000, 9000, 65536), 18000);
  });
});
