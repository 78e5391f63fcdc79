/**
 * Pod annotations → what the Pod asks for, per direction (docs/design.md, "Annotations"; docs/annotations.md).
 * Pure: no kernel, no clock. Two kinds per direction: the standard Kubernetes annotation (all traffic) and
 * pacer's outside-cluster one (only traffic to or from outside the cluster), same Quantity rules. A
 * direction without an annotation asks for nothing; a bad value is reported with the message Kubernetes
 * would give, and the caller decides what stays enforced (the last good limit).
 */
import type { Direction } from "../datapath/datapath.js";
import type { PodInfo } from "../kube/pod.js";
import { formatBitsPerSecond, MAX_BITS_PER_SECOND, MIN_BITS_PER_SECOND, parseBandwidth, QuantityError } from "./quantity.js";

export type LimitKind = "all" | "external";

export const BANDWIDTH_ANNOTATIONS: Record<LimitKind, Record<Direction, string>> = {
  all: { egress: "kubernetes.io/egress-bandwidth", ingress: "kubernetes.io/ingress-bandwidth" },
  external: { egress: "pacer.dev/external-egress-bandwidth", ingress: "pacer.dev/external-ingress-bandwidth" },
};

export const DIRECTIONS: readonly Direction[] = ["egress", "ingress"];
export const LIMIT_KINDS: readonly LimitKind[] = ["all", "external"];

export type RequestedLimit =
  | { kind: LimitKind; direction: Direction; requested: string; bitsPerSecond: number; problem: null }
  | { kind: LimitKind; direction: Direction; requested: string; bitsPerSecond: null; problem: string };

/** The valid range, as an operator reads it in an Event. */
export const VALID_RANGE_TEXT = `valid range ${formatBitsPerSecond(MIN_BITS_PER_SECOND)}..${formatBitsPerSecond(MAX_BITS_PER_SECOND)} bits per second, e.g. "10M"`;

/** The annotation of `kind` for `direction`, valid or not; null when the Pod has none. */
export function requestedLimitOf(pod: Pick<PodInfo, "annotations">, kind: LimitKind, direction: Direction): RequestedLimit | null {
  const text = pod.annotations[BANDWIDTH_ANNOTATIONS[kind][direction]];
  if (text === undefined) return null;
  try {
    return { kind, direction, requested: text, bitsPerSecond: parseBandwidth(text.trim()), problem: null };
  } catch (error) {
    const detail = error instanceof QuantityError ? error.message : String(error);
    return { kind, direction, requested: text, bitsPerSecond: null, problem: detail };
  }
}

/** One entry per direction and kind whose annotation is present (valid or not). */
export function requestedLimitsOf(pod: Pick<PodInfo, "annotations">): RequestedLimit[] {
  return DIRECTIONS.flatMap((direction) => LIMIT_KINDS.flatMap((kind) => requestedLimitOf(pod, kind, direction) ?? []));
}

/** The message of an InvalidBandwidth Event: the annotation, its value, why, the valid range, what stays. */
export function invalidBandwidthMessage(limit: Pick<RequestedLimit, "kind" | "direction" | "requested">, problem: string, keptBitsPerSecond: number | null): string {
  const kept =
    keptBitsPerSecond === null
      ? "no limit is enforced until it is fixed"
      : `the last good limit ${formatBitsPerSecond(keptBitsPerSecond)} stays enforced`;
  return `${BANDWIDTH_ANNOTATIONS[limit.kind][limit.direction]} "${limit.requested}" is invalid: ${problem} (${VALID_RANGE_TEXT}); ${kept}`;
}
