/**
 * The allocator's write of a ClusterWide budget's summary into its BandwidthBudget status (budgets/
 * summary-wire.ts says what, budgets/budget-summary.ts when): a JSON merge patch of `status.egress` or
 * `status.ingress` only, so it never touches the Accepted condition every agent writes (budget-status-
 * writer.ts) nor needs its resourceVersion. The `patch bandwidthbudgets/status` verb is the one that
 * writer already has.
 */
import type { ApiAccess } from "./api/access.js";
import type { ApiConnection } from "./api/connection.js";
import { describeApiError, kubeRequest } from "./api/request.js";
import { BUDGET_API_GROUP, BUDGET_API_VERSION } from "./budget-informer.js";
import type { BudgetSummary } from "../budgets/budget-summary.js";
import { parseBudgetKey, type BudgetKey } from "../budgets/protocol.js";
import { summaryEntry, summaryField } from "../budgets/summary-wire.js";

export async function writeBudgetSummary(api: ApiConnection, key: BudgetKey, summary: BudgetSummary, access?: ApiAccess, now = new Date()): Promise<void> {
  const { namespace, name, direction } = parseBudgetKey(key);
  try {
    await kubeRequest(api, {
      method: "PATCH",
      path: `/apis/${BUDGET_API_VERSION}/namespaces/${encodeURIComponent(namespace)}/bandwidthbudgets/${encodeURIComponent(name)}/status`,
      // No uid precondition: a CRD's status strategy keeps the stored metadata, so a uid in the patch is not
      // checked (a real kube-apiserver takes it silently). A budget recreated under its name may show its
      // predecessor's summary until the next one (≤ 90 s); agents take from it only the floor, min'ed with
      // spec.minPerNode.
      body: { status: { [summaryField(direction)]: summaryEntry(summary, now) } },
      contentType: "application/merge-patch+json",
      timeoutMilliseconds: 10_000,
    });
    access?.succeeded("patch", "bandwidthbudgets/status");
  } catch (error) {
    access?.failed("patch", "bandwidthbudgets/status", error, describeApiError(error), { apiGroup: BUDGET_API_GROUP });
    throw error;
  }
}
