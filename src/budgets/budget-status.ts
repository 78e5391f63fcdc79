/**
 * A BandwidthBudget's status as every agent computes it (pure): `observedGeneration` and one condition
 * `Accepted` (metav1.Condition: True/Valid, or False/Invalid with the problems), and whether what the API
 * server holds already says so. The content depends only on the spec and on what the server holds, never on
 * one agent's memory or clock (lastTransitionTime is kept unless the status flips), so many agents reach the
 * same patch, and once one of them wrote it the others find nothing to write.
 *
 * "Its last valid version stays in force" is read from the server too: `status.acceptedSpec` holds the spec
 * of the last generation found valid, written with the condition, so an agent that starts after a bad edit
 * (and never saw the valid version) enforces the same version as every other node. Per-node membership is
 * not status: N nodes would fight over it; `pacer budgets` shows it per node.
 */
import { parseBudget, type BudgetObject } from "./budget.js";

export const ACCEPTED = "Accepted";
export const KEPT_LAST_VALID = "its last valid version stays in force";
export const VALID_MESSAGE = "the spec is valid: the selected Pods share its rate";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface BudgetStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** The spec of the last generation found valid: what stays in force while the spec is invalid. */
  acceptedSpec?: Record<string, unknown>;
}

export type BudgetObjectWithStatus = BudgetObject & { status?: BudgetStatus };

/** The merge patch for the /status subresource; resourceVersion makes a stale writer fail with 409. */
export interface StatusPatch {
  metadata: { resourceVersion: string };
  status: Required<Pick<BudgetStatus, "observedGeneration" | "conditions">> & Pick<BudgetStatus, "acceptedSpec">;
}

/** metav1.Time: RFC 3339, whole seconds. */
const rfc3339 = (time: Date): string => time.toISOString().replace(/\.\d{3}Z$/, "Z");

const acceptedOf = (status: BudgetStatus | undefined): Condition | undefined => status?.conditions?.find((condition) => condition.type === ACCEPTED);

/** Whether the budget was valid in some version the server has seen: its spec is then in status.acceptedSpec. */
function wasAccepted(object: BudgetObjectWithStatus): boolean {
  return lastValidBudgetObject(object) !== null;
}

/**
 * The object as it was when last valid (its metadata, status.acceptedSpec as the spec), or null when the
 * server holds no valid version. What an agent enforces while the spec itself is invalid.
 */
export function lastValidBudgetObject(object: BudgetObjectWithStatus): BudgetObject | null {
  const spec = object.status?.acceptedSpec;
  if (spec === undefined || spec === null || typeof spec !== "object") return null;
  const candidate: BudgetObject = { ...(object.metadata === undefined ? {} : { metadata: object.metadata }), spec };
  return parseBudget(candidate).problems.length === 0 ? candidate : null;
}

/** The Accepted condition for this object's spec, given what the server holds now (without the time). */
export function acceptedCondition(object: BudgetObjectWithStatus): Omit<Condition, "lastTransitionTime"> {
  const observedGeneration = object.metadata?.generation ?? 0;
  const { problems } = parseBudget(object);
  if (problems.length === 0) return { type: ACCEPTED, status: "True", observedGeneration, reason: "Valid", message: VALID_MESSAGE };
  const kept = wasAccepted(object) ? `; ${KEPT_LAST_VALID}` : "";
  return { type: ACCEPTED, status: "False", observedGeneration, reason: "Invalid", message: `${problems.join("; ")}${kept}` };
}

const sameCondition = (a: Omit<Condition, "lastTransitionTime"> | undefined, b: Omit<Condition, "lastTransitionTime">): boolean =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;

/** The status patch this agent would write, or null when the server already holds exactly that. */
export function statusPatchFor(object: BudgetObjectWithStatus, now: Date): StatusPatch | null {
  const wanted = acceptedCondition(object);
  const current = acceptedOf(object.status);
  const generation = object.metadata?.generation ?? 0;
  // Valid: this spec becomes the accepted one. Invalid: the accepted one stays as the server holds it.
  const acceptedSpec = wanted.status === "True" ? object.spec : object.status?.acceptedSpec;
  const sameAccepted = JSON.stringify(acceptedSpec ?? null) === JSON.stringify(object.status?.acceptedSpec ?? null);
  if (sameCondition(current, wanted) && object.status?.observedGeneration === generation && sameAccepted) return null;
  const lastTransitionTime = current?.status === wanted.status && current.lastTransitionTime ? current.lastTransitionTime : rfc3339(now);
  const others = (object.status?.conditions ?? []).filter((condition) => condition.type !== ACCEPTED);
  return {
    metadata: { resourceVersion: object.metadata?.resourceVersion ?? "" },
    status: { observedGeneration: generation, conditions: [...others, { ...wanted, lastTransitionTime }], ...(acceptedSpec === undefined ? {} : { acceptedSpec }) },
  };
}
