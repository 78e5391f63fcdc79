/**
 * A BandwidthBudget's status as every agent computes it (pure): `observedGeneration` and one condition
 * `Accepted` (metav1.Condition: True/Valid, or False/Invalid with the problems), and whether what the API
 * server holds already says so. The content depends only on the spec and on what the server holds, never on
 * one agent's memory or clock (lastTransitionTime is kept unless the status flips), so many agents reach the
 * same patch, and once one of them wrote it the others find nothing to write.
 *
 * "Its last valid version stays in force" is read from the server too: it was Accepted before (any earlier
 * generation), or the condition already says so. Per-node membership is not status: N nodes would fight
 * over it; `pacer budgets` shows it per node.
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
}

export type BudgetObjectWithStatus = BudgetObject & { status?: BudgetStatus };

/** The merge patch for the /status subresource; resourceVersion makes a stale writer fail with 409. */
export interface StatusPatch {
  metadata: { resourceVersion: string };
  status: Required<BudgetStatus>;
}

/** metav1.Time: RFC 3339, whole seconds. */
const rfc3339 = (time: Date): string => time.toISOString().replace(/\.\d{3}Z$/, "Z");

const acceptedOf = (status: BudgetStatus | undefined): Condition | undefined => status?.conditions?.find((condition) => condition.type === ACCEPTED);

/** Whether the budget was valid in some version the server has seen (so agents that saw it keep it). */
function wasAccepted(status: BudgetStatus | undefined): boolean {
  const accepted = acceptedOf(status);
  return accepted?.status === "True" || (accepted?.status === "False" && accepted.message.endsWith(KEPT_LAST_VALID));
}

/** The Accepted condition for this object's spec, given what the server holds now (without the time). */
export function acceptedCondition(object: BudgetObjectWithStatus): Omit<Condition, "lastTransitionTime"> {
  const observedGeneration = object.metadata?.generation ?? 0;
  const { problems } = parseBudget(object);
  if (problems.length === 0) return { type: ACCEPTED, status: "True", observedGeneration, reason: "Valid", message: VALID_MESSAGE };
  const kept = wasAccepted(object.status) ? `; ${KEPT_LAST_VALID}` : "";
  return { type: ACCEPTED, status: "False", observedGeneration, reason: "Invalid", message: `${problems.join("; ")}${kept}` };
}

const sameCondition = (a: Omit<Condition, "lastTransitionTime"> | undefined, b: Omit<Condition, "lastTransitionTime">): boolean =>
  a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message && a.observedGeneration === b.observedGeneration;

/** The status patch this agent would write, or null when the server already holds exactly that. */
export function statusPatchFor(object: BudgetObjectWithStatus, now: Date): StatusPatch | null {
  const wanted = acceptedCondition(object);
  const current = acceptedOf(object.status);
  const generation = object.metadata?.generation ?? 0;
  if (sameCondition(current, wanted) && object.status?.observedGeneration === generation) return null;
  const lastTransitionTime = current?.status === wanted.status && current.lastTransitionTime ? current.lastTransitionTime : rfc3339(now);
  const others = (object.status?.conditions ?? []).filter((condition) => condition.type !== ACCEPTED);
  return {
    metadata: { resourceVersion: object.metadata?.resourceVersion ?? "" },
    status: { observedGeneration: generation, conditions: [...others, { ...wanted, lastTransitionTime }] },
  };
}
