import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RangeBook } from "./range-book.js";

describe("RangeBook", () => {
  it("every inside prefix once, with every source that gave it; addresses become host prefixes; a source can be replaced or emptied", () => {
    const book = new RangeBook();
    book.set("configured (--internal-cidrs)", ["10.42.0.0/16", "192.168.10.0/24"]);
    book.set("node podCIDRs", ["10.42.0.0/16", "fd00:42::/64"]);
    book.set("node InternalIPs", ["192.168.10.5", "fd00::5"]);
    assert.deepEqual(book.ranges(), [
      { prefix: "10.42.0.0/16", sources: ["configured (--internal-cidrs)", "node podCIDRs"] },
      { prefix: "192.168.10.0/24", sources: ["configured (--internal-cidrs)"] },
      { prefix: "192.168.10.5/32", sources: ["node InternalIPs"] },
      { prefix: "fd00::5/128", sources: ["node InternalIPs"] },
      { prefix: "fd00:42::/64", sources: ["node podCIDRs"] },
    ]);
    book.set("node InternalIPs", []);
    book.set("node podCIDRs", ["10.43.0.0/16"]);
    assert.deepEqual(book.prefixes(), ["10.42.0.0/16", "10.43.0.0/16", "192.168.10.0/24"]);
  });
});
