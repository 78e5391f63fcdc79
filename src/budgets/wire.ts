/**
 * BandwidthNode (pacer.dev/v1alpha1, cluster-scoped, deploy/helm/pacer/crds/bandwidthnodes.pacer.dev.yaml)
 * as JSON on the wire ↔ the protocol's types (protocol.ts), pure. Reading is strict about what the
 * protocol depends on and says what is wrong and where, so a hand-edited or corrupted object is reported
 * instead of being half-understood; wire.test.ts checks what this writes against the CRD's schema.
 */
import { budgetKey, parseBudgetKey, type Allocation, type BudgetKey, type BudgetReport, type NodeAllocations, type NodeReport } from "./protocol.js";

export const BANDWIDTH_NODE_API_VERSION = "pacer.dev/v1alpha1";
export const BANDWIDTH_NODE_KIND = "BandwidthNode";

interface BudgetRef {
  namespace: string;
  name: string;
  /** The BandwidthBudget's metadata.uid: a budget deleted and created again under its name is another. */
  uid: string;
  direction: "Egress" | "Ingress";
}

export interface BandwidthNodeSpec {
  reportSeq: number;
  resyncFromSeq: number;
  reportedAt: string;
  budgets: Array<BudgetRef & BudgetReport>;
}

export interface BandwidthNodeStatus {
  seenReportSeq: number;
  allocations: Array<BudgetRef & Allocation>;
}

export interface BandwidthNodeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; resourceVersion?: string; ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string }> };
  spec?: BandwidthNodeSpec;
  status?: BandwidthNodeStatus;
}

export class BandwidthNodeFormatError extends Error {
  constructor(node: string, where: string, what: string) {
    super(`BandwidthNode ${node}: ${where} ${what}; delete the object and the node's agent writes a new one`);
  }
}

const byKey = <T>(entries: Map<BudgetKey, T>): Array<[BudgetRef, T]> =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => [parseBudgetKey(key), value]);

export function specOf(report: NodeReport, reportedAt: Date): BandwidthNodeSpec {
  return {
    reportSeq: report.reportSeq,
    resyncFromSeq: report.resyncFromSeq,
    reportedAt: reportedAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
    budgets: byKey(report.budgets).map(([ref, entry]) => ({ ...ref, ...entry, demandBitsPerSecond: Math.round(entry.demandBitsPerSecond) })),
  };
}

export function statusOf(allocations: NodeAllocations): BandwidthNodeStatus {
  return { seenReportSeq: allocations.seenReportSeq, allocations: byKey(allocations.allocations).map(([ref, entry]) => ({ ...ref, ...entry })) };
}

/** The report in a BandwidthNode's spec, or null when it has none yet. */
export function reportOf(object: BandwidthNodeObject): NodeReport | null {
  const spec = object.spec;
  if (spec === undefined) return null;
  const node = object.metadata.name;
  const budgets = new Map<BudgetKey, BudgetReport>();
  (Array.isArray(spec.budgets) ? spec.budgets : fail(node, "spec.budgets", "is not a list")).forEach((entry, index) => {
    const where = `spec.budgets[${index}]`;
    budgets.set(keyOf(node, where, entry), {
      demandBitsPerSecond: count(node, `${where}.demandBitsPerSecond`, entry.demandBitsPerSecond),
      members: count(node, `${where}.members`, entry.members),
      heldBack: entry.heldBack === true,
      unbounded: entry.unbounded === true,
      appliedGeneration: count(node, `${where}.appliedGeneration`, entry.appliedGeneration),
      ...(entry.released === true ? { released: true } : {}),
    });
  });
  return { reportSeq: count(node, "spec.reportSeq", spec.reportSeq), resyncFromSeq: count(node, "spec.resyncFromSeq", spec.resyncFromSeq ?? 0), budgets };
}

/** The allocations in a BandwidthNode's status, or null when the allocator has not written any. */
export function allocationsOf(object: BandwidthNodeObject): NodeAllocations | null {
  const status = object.status;
  if (status === undefined || status.seenReportSeq === undefined) return null;
  const node = object.metadata.name;
  const allocations = new Map<BudgetKey, Allocation>();
  (Array.isArray(status.allocations) ? status.allocations : []).forEach((entry, index) => {
    const where = `status.allocations[${index}]`;
    const bitsPerSecond = count(node, `${where}.bitsPerSecond`, entry.bitsPerSecond);
    allocations.set(keyOf(node, where, entry), {
      bitsPerSecond,
      generation: count(node, `${where}.generation`, entry.generation),
      claimBitsPerSecond: Math.max(bitsPerSecond, count(node, `${where}.claimBitsPerSecond`, entry.claimBitsPerSecond ?? bitsPerSecond)),
      acknowledge: entry.acknowledge === true,
      floorBitsPerSecond: count(node, `${where}.floorBitsPerSecond`, entry.floorBitsPerSecond ?? 0),
    });
  });
  return { seenReportSeq: count(node, "status.seenReportSeq", status.seenReportSeq), allocations };
}

function keyOf(node: string, where: string, entry: Partial<BudgetRef>): BudgetKey {
  if (typeof entry.namespace !== "string" || typeof entry.name !== "string" || typeof entry.uid !== "string" || (entry.direction !== "Egress" && entry.direction !== "Ingress")) {
    fail(node, where, "needs namespace, name, uid and direction (Egress or Ingress)");
  }
  return budgetKey(entry.namespace, entry.name, entry.uid, entry.direction);
}

function count(node: string, where: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) fail(node, where, `is ${JSON.stringify(value)}, not a whole number ≥ 0`);
  return value;
}

function fail(node: string, where: string, what: string): never {
  throw new BandwidthNodeFormatError(node, where, what);
}
