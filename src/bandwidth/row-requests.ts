/**
 * A Pod's rows (pure): per direction, its two annotations and the budgets that select it. A direction with
 * none of them has no row.
 */
import type { Budget } from "../budgets/budget.js";
import { budgetsOfPod } from "../budgets/membership.js";
import type { PodInfo } from "../kube/pod.js";
import { DIRECTIONS, requestedLimitOf } from "./annotations.js";
import type { RowRequest } from "./decide.js";

export function rowRequestsOf(pod: PodInfo, budgets: readonly Budget[]): RowRequest[] {
  return DIRECTIONS.flatMap((direction) => {
    const limits = { all: requestedLimitOf(pod, "all", direction), external: requestedLimitOf(pod, "external", direction) };
    const selecting = budgetsOfPod(pod, direction, budgets).budgets.map((budget) => budget.key);
    if (limits.all === null && limits.external === null && selecting.length === 0) return [];
    return [{ direction, limits, budgets: selecting }];
  });
}
