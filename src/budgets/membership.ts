/**
 * Which budgets a Pod's traffic is charged to, per direction (pure): the budgets of its namespace whose
 * selector matches its labels and that give that direction a rate, in a stable order (by key). A Pod is
 * charged to at most BUDGETS_PER_POD budgets per direction; more are reported, not silently dropped.
 */
import type { Direction } from "../datapath/datapath.js";
import type { PodInfo } from "../kube/pod.js";
import { BUDGETS_PER_POD } from "../datapath/validate.js";
import type { Budget } from "./budget.js";
import { selectorMatches } from "./selector.js";

/** The datapath's slots per Pod and direction (bpf/edt.h). */
export { BUDGETS_PER_POD };

export interface Membership {
  budgets: Budget[];
  /** Budgets that select the Pod beyond the first BUDGETS_PER_POD (not charged; say so). */
  overflow: Budget[];
}

export function budgetsOfPod(pod: Pick<PodInfo, "namespace" | "labels" | "hostNetwork">, direction: Direction, budgets: readonly Budget[]): Membership {
  if (pod.hostNetwork) return { budgets: [], overflow: [] };
  const selecting = budgets
    .filter((budget) => budget.namespace === pod.namespace && budget.rates[direction] !== null && selectorMatches(budget.selector, pod.labels))
    .sort((a, b) => a.key.localeCompare(b.key));
  return { budgets: selecting.slice(0, BUDGETS_PER_POD), overflow: selecting.slice(BUDGETS_PER_POD) };
}
