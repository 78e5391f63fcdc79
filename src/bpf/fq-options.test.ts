/** fq option encoding (netlink attributes inside TCA_OPTIONS): layout, round trip, range checks. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFqOptions, encodeFqOptions } from "./fq-options.js";

describe("fq options", () => {
  it("encodes 4-byte-aligned attributes in the kernel's layout", () => {
    const bytes = encodeFqOptions({ plimit: 10000, horizonDrop: true });
    // {len 8, TCA_FQ_PLIMIT=1, 10000} {len 5, TCA_FQ_HORIZON_DROP=15, 1, pad x3}
    assert.deepEqual([...bytes], [8, 0, 1, 0, 0x10, 0x27, 0, 0, 5, 0, 15, 0, 1, 0, 0, 0]);
  });

  it("round-trips", () => {
    const options = { plimit: 10000, flowPlimit: 100, horizonNs: 2_000_000_000n, horizonDrop: true, bucketsLog: 10 };
    assert.deepEqual(decodeFqOptions(encodeFqOptions(options)), options);
  });

  it("rejects values the kernel would misread", () => {
    assert.throws(() => encodeFqOptions({ plimit: 0 }), RangeError);
    assert.throws(() => encodeFqOptions({ bucketsLog: 40 }), RangeError);
    assert.throws(() => encodeFqOptions({ horizonNs: 10n }), RangeError);
  });
});
