/**
 * Pod annotations → what the Pod asks for, per direction (docs/design.md, "Annotations"). Pure: no kernel, no clock.
 * A direction without its annotation asks for nothing; a bad value is reported with the message Kubernetes
 * would give, and the caller decides what stays enforced (the last good limit).
 */
import type { Direction } from "../datapath/datapath.js";
import type { PodInfo } from "../kube/pod.js";
import { formatBitsPerSecond, MAX_BITS_PER_SECOND, MIN_BITS_PER_SECOND, parseBandwidth, QuantityError } from "./quantity.js";

export const BANDWIDTH_ANNOTATIONS: Record<Direction, string> = {
  egress: "kubernetes.io/egress-bandwidth",
  ingress: "kubernetes.io/ingress-bandwidth",
};

export const DIRECTIONS: readonly Direction[] = ["egress", "ingress"];

export type RequestedLimit =
  | { direction: Direction; requested: string; bitsPerSecond: number; problem: null }
  | { direction: Direction; requested: string; bitsPerSecond: null; problem: string };

/** The valid range, as an operator reads it in an Event. */
export const VALID_RANGE_TEXT = `valid range ${formatBitsPerSecond(MIN_BITS_PER_SECOND)}..${formatBitsPerSecond(MAX_BITS_PER_SECOND)} bits per second, e.g. "10M"`;

/** One entry per direction whose annotation is present (valid or not). */
export function requestedLimitsOf(pod: Pick<PodInfo, "annotations">): RequestedLimit[] {
  const requested: RequestedLimit[] = [];
  for (const direction of DIRECTIONS) {
    const text = pod.annotations[BANDWIDTH_ANNOTATIONS[direction]];
    if (text === undefined) continue;
    try {
      requested.push({ direction, requested: text, bitsPerSecond: parseBandwidth(text.trim()), problem: null });
    } catch (error) {
      const detail = error instanceof QuantityError ? error.message : String(error);
      requested.push({ direction, requested: text, bitsPerSecond: null, problem: detail });
    }
  }
  return requested;
}

/** The message of an InvalidBandwidth Event: the annotation, its value, why, the valid range, what stays. */
export function invalidBandwidthMessage(direction: Direction, value: string, problem: string, keptBitsPerSecond: number | null): string {
  const kept =
    keptBitsPerSecond === null
      ? "no limit is enforced until it is fixed"
      : `the last good limit ${formatBitsPerSecond(keptBitsPerSecond)} stays enforced`;
  return `${BANDWIDTH_ANNOTATIONS[direction]} "${value}" is invalid: ${problem} (${VALID_RANGE_TEXT}); ${kept}`;
}
