/** Quantity parsing: exact values, Kubernetes' range messages, formatting round trip. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatBitsPerSecond, parseBandwidth, parseQuantityCeil, QuantityError } from "./quantity.js";

describe("parseBandwidth", () => {
  const exact: Array<[string, number]> = [
    ["10M", 10_000_000],
    ["10Mi", 10_485_760],
    ["1.5M", 1_500_000],
    ["1e6", 1_000_000],
    ["1E6", 1_000_000],
    ["100k", 100_000],
    ["1k", 1_000],
    ["1P", 1e15],
    ["+2G", 2_000_000_000],
    ["1.5Ki", 1_536],
    ["1000", 1_000],
    ["1.0000001k", 1_001],
    ["2.5e3", 2_500],
    [".5M", 500_000],
    ["5.M", 5_000_000],
  ];
  for (const [text, value] of exact) {
    it(`"${text}" is ${value} bit/s`, () => assert.equal(parseBandwidth(text), value));
  }

  for (const text of ["1m", "999", "0", "-10M", "1n", "0.5k"]) {
    it(`"${text}" is unreasonably small`, () =>
      assert.throws(() => parseBandwidth(text), { code: "BANDWIDTH_TOO_SMALL", message: "resource is unreasonably small (< 1kbit)" }));
  }
  for (const text of ["2P", "1E", "1.000000000000001P", "1e16", "1e999999999", "1Ei"]) {
    it(`"${text}" is unreasonably large`, () =>
      assert.throws(() => parseBandwidth(text), { code: "BANDWIDTH_TOO_LARGE", message: "resource is unreasonably large (> 1Pbit)" }));
  }
  for (const text of ["", "abc", "10 M", "10MB", "M", "1.2.3", "10mi", "0x10", "1e", "--1", "10Kb"]) {
    it(`"${text}" is a syntax error`, () => assert.throws(() => parseBandwidth(text), { code: "QUANTITY_SYNTAX" }));
  }

  it("never throws anything but QuantityError, and in-range results are exact integers", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const value = parseBandwidth(text);
          return Number.isSafeInteger(value) && value >= 1_000 && value <= 1e15;
        } catch (error) {
          return error instanceof QuantityError;
        }
      }),
    );
  });

  it("integer bits with a decimal suffix parse back to themselves", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 999_999n }), fc.constantFrom(["k", 3], ["M", 6], ["G", 9]), (n, [suffix, power]) => {
        const expected = n * 10n ** BigInt(power as number);
        return parseQuantityCeil(`${n}${suffix as string}`) === expected;
      }),
    );
  });
});

describe("formatBitsPerSecond", () => {
  it("uses the largest exact decimal suffix", () => {
    assert.equal(formatBitsPerSecond(10_000_000), "10M");
    assert.equal(formatBitsPerSecond(1_500_000), "1500k");
    assert.equal(formatBitsPerSecond(10_485_760), "10485760");
    assert.equal(formatBitsPerSecond(1e15), "1P");
  });
  it("round-trips through parseBandwidth", () => {
    fc.assert(fc.property(fc.integer({ min: 1000, max: 1e15 }), (bits) => parseBandwidth(formatBitsPerSecond(bits)) === bits));
  });
});
