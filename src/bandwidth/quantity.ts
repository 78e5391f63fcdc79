/**
 * Kubernetes Quantity → exact integer bits per second, with the range check Kubernetes applies to the
 * bandwidth annotations (k8s.io/kubernetes pkg/util/bandwidth/utils.go: validateBandwidthIsReasonable,
 * 1k..1P inclusive, compared on Quantity.Value(), which rounds up to an integer).
 *
 * Grammar (k8s.io/apimachinery pkg/api/resource/quantity.go):
 *   quantity ::= <signedNumber><suffix>;  suffix ::= Ki|Mi|Gi|Ti|Pi|Ei | n|u|m|""|k|M|G|T|P|E | (e|E)<signedNumber>
 * The arithmetic is exact (BigInt numerator/denominator), so "1.5M" is 1500000, never 1499999.99.
 */

export class QuantityError extends Error {
  constructor(
    readonly code: "QUANTITY_SYNTAX" | "BANDWIDTH_TOO_SMALL" | "BANDWIDTH_TOO_LARGE",
    message: string,
  ) {
    super(message);
    this.name = "QuantityError";
  }
}

export const MIN_BITS_PER_SECOND = 1_000;
export const MAX_BITS_PER_SECOND = 1_000_000_000_000_000;

const BINARY_SUFFIX_POWERS: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY_PATTERN = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
/** Beyond this many decimal orders of magnitude the value is out of range either way; keeps BigInt small. */
const EXPONENT_CLAMP = 40;

/** The quantity rounded up to an integer, like Quantity.Value(). Throws QuantityError on bad syntax. */
export function parseQuantityCeil(text: string): bigint {
  const match = QUANTITY_PATTERN.exec(text);
  const [, sign = "", whole = "", fraction = "", suffix = ""] = match ?? [];
  if (!match || (whole === "" && fraction === "")) {
    throw new QuantityError("QUANTITY_SYNTAX", `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  }
  let decimalExponent = -fraction.length;
  let binaryPower = 0;
  if (suffix in BINARY_SUFFIX_POWERS) binaryPower = BINARY_SUFFIX_POWERS[suffix] ?? 0;
  else if (suffix in DECIMAL_SUFFIX_EXPONENTS) decimalExponent += DECIMAL_SUFFIX_EXPONENTS[suffix] ?? 0;
  else decimalExponent += Math.max(-1000, Math.min(1000, Number(suffix.slice(1))));
  const digits = BigInt(`${whole}${fraction}` || "0");
  if (digits === 0n) return 0n;
  const negative = sign === "-";
  const clamped = Math.max(-EXPONENT_CLAMP, Math.min(EXPONENT_CLAMP, decimalExponent));
  let numerator = digits << BigInt(binaryPower);
  let denominator = 1n;
  if (clamped >= 0) numerator *= 10n ** BigInt(clamped);
  else denominator = 10n ** BigInt(-clamped);
  const quotient = numerator / denominator;
  const exact = quotient * denominator === numerator;
  // Value() rounds away from zero for positives (ceil) and toward larger for negatives (ceil as well).
  if (negative) return -quotient;
  return exact ? quotient : quotient + 1n;
}

/**
 * A bandwidth annotation's value → exact bits per second, or a QuantityError whose message is the one
 * Kubernetes gives ("resource is unreasonably small (< 1kbit)" / "... large (> 1Pbit)").
 */
export function parseBandwidth(text: string): number {
  const value = parseQuantityCeil(text);
  if (value < BigInt(MIN_BITS_PER_SECOND)) {
    throw new QuantityError("BANDWIDTH_TOO_SMALL", "resource is unreasonably small (< 1kbit)");
  }
  if (value > BigInt(MAX_BITS_PER_SECOND)) {
    throw new QuantityError("BANDWIDTH_TOO_LARGE", "resource is unreasonably large (> 1Pbit)");
  }
  return Number(value);
}

const DISPLAY_SUFFIXES: Array<[bigint, string]> = [
  [1_000_000_000_000_000n, "P"],
  [1_000_000_000_000n, "T"],
  [1_000_000_000n, "G"],
  [1_000_000n, "M"],
  [1_000n, "k"],
];

/** bits/s as a canonical decimal Quantity: the largest suffix that divides exactly (10000000 → "10M"). */
export function formatBitsPerSecond(bitsPerSecond: number): string {
  const value = BigInt(Math.round(bitsPerSecond));
  for (const [factor, suffix] of DISPLAY_SUFFIXES) {
    if (value !== 0n && value % factor === 0n) return `${value / factor}${suffix}`;
  }
  return value.toString();
}
