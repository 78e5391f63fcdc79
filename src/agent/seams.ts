/**
 * The agent's seams to the heavy parts: the kernel probe, the EDT datapath, the Kubernetes sources (Pods,
 * BandwidthBudgets and their status, Nodes and ServiceCIDRs as ranges) and Event sink. Each is imported when first needed (literal dynamic imports, so the compiler checks their
 * types): a node that reads Pods from a directory never loads @kubernetes/client-node, and tests and the
 * benchmark inject their own parts instead.
 */
import type { Datapath } from "../datapath/datapath.js";
import type { EdtDatapathOptions } from "../datapath/edt/index.js";
import type { ApiAccess } from "../kube/api/access.js";
import type { EventSink } from "../kube/events.js";
import type { ObjectSource, PodSource } from "../kube/pod.js";
import type { BudgetObjectWithStatus } from "../budgets/budget-status.js";
import type { BudgetStatusWriter } from "../kube/budget-status-writer.js";
import type { RangeSource } from "../scope/range-source.js";
import type { ClusterBudgets, ClusterBudgetsOptions } from "./cluster-budgets.js";

export interface EdtVerdict {
  edt: { available: boolean; reason: string | null };
}
export type EdtProbe = () => Promise<EdtVerdict>;

export interface KubeOptions {
  kubeconfig: string;
  nodeName: string;
  log(line: string): void;
  /** What the API requests met, for `pacer status`. */
  access: ApiAccess;
}

/** The kernel probe (src/probe): can this kernel do EDT with fq? A probe that fails is a reason, not a crash. */
export const defaultProbe: EdtProbe = async () => {
  try {
    const { probeEdt } = await import("../probe/index.js");
    return await probeEdt();
  } catch (error) {
    return { edt: { available: false, reason: `kernel probe failed: ${(error as Error).message}` } };
  }
};

export async function openEdt(options: EdtDatapathOptions): Promise<Datapath> {
  const { openEdtDatapath } = await import("../datapath/edt/index.js");
  return openEdtDatapath(options);
}

export async function openInformer(options: KubeOptions): Promise<PodSource> {
  const { createInformerPodSource } = await import("../kube/informer.js");
  return createInformerPodSource(options);
}

export async function openKubernetesEvents(options: KubeOptions): Promise<EventSink> {
  const { createKubernetesEventSink } = await import("../kube/kubernetes-events.js");
  return createKubernetesEventSink(options);
}

export async function openBudgetSource(options: KubeOptions): Promise<ObjectSource<BudgetObjectWithStatus>> {
  const { createBudgetSource } = await import("../kube/budget-informer.js");
  return createBudgetSource(options);
}

export async function openBudgetStatusWriter(options: KubeOptions & { events: EventSink }): Promise<BudgetStatusWriter> {
  const { BudgetStatusWriter } = await import("../kube/budget-status-writer.js");
  return new BudgetStatusWriter(options);
}

export async function openRangeSources(options: KubeOptions): Promise<RangeSource[]> {
  const { createClusterRangeSources } = await import("../kube/range-informers.js");
  return createClusterRangeSources(options);
}

/** ClusterWide budgets' protocol (cluster-budgets.ts) on its own API connection. */
export async function openClusterBudgets(options: KubeOptions & Omit<ClusterBudgetsOptions, "connection" | "nodeName" | "access" | "log">): Promise<ClusterBudgets> {
  const [{ ClusterBudgets }, { loadApiConnection }] = await Promise.all([import("./cluster-budgets.js"), import("../kube/api/load.js")]);
  const connection = await loadApiConnection(options.kubeconfig, { log: options.log });
  return new ClusterBudgets({ ...options, connection });
}
