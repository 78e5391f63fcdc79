/**
 * BandwidthBudgets (pacer.dev/v1alpha1, every namespace) from the Kubernetes API, as an ObjectSource for the
 * agent's BudgetBook. Without the CRD (404 on the list) nothing blocks: start() returns after the first
 * failed attempt, Pod limits work as before, the source retries slowly and `pacer status` says what to
 * install; once the CRD is there the budgets arrive by themselves.
 */
import type { BudgetObjectWithStatus } from "../budgets/budget-status.js";
import { createObjectInformer, type ObjectInformer, type ObjectSourceOptions } from "./object-informer.js";

export const BUDGET_API_GROUP = "pacer.dev";
export const BUDGET_API_VERSION = `${BUDGET_API_GROUP}/v1alpha1`;
export const BUDGETS_PATH = `/apis/${BUDGET_API_VERSION}/bandwidthbudgets`;

/**
 * Helm installs a chart's crds/ on `helm install` only, never on `helm upgrade` (helm.sh/docs/chart_best_practices/
 * custom_resource_definitions), so an upgraded release needs the CRD applied by hand.
 */
export const CRD_NOT_INSTALLED =
  "BandwidthBudget CRD not installed: install the chart's crds/ (helm install does it; after helm upgrade: kubectl apply -f deploy/helm/pacer/crds/)";

/** notServedBackoff: while the CRD is missing (default 10 s doubling to 2 min). */
export type BudgetSourceOptions = ObjectSourceOptions;

export function createBudgetSource(options: BudgetSourceOptions): ObjectInformer<BudgetObjectWithStatus> {
  return createObjectInformer<BudgetObjectWithStatus>({
    kubeconfig: options.kubeconfig,
    path: BUDGETS_PATH,
    resource: "bandwidthbudgets",
    apiGroup: BUDGET_API_GROUP,
    what: "BandwidthBudgets",
    log: options.log,
    access: options.access,
    backoff: options.backoff,
    notServed: {
      log: `pacer informer: ${CRD_NOT_INSTALLED}; Pod limits work without it, and budgets apply once it is there`,
      action: CRD_NOT_INSTALLED,
      backoff: options.notServedBackoff,
    },
    startReturnsOnFailure: true,
  });
}
