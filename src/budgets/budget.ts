/**
 * A BandwidthBudget (pacer.dev/v1alpha1, namespaced; the CRD is deploy/helm/pacer/crds/) as the agent
 * reads it: the Pods it selects (by label, in its namespace) share one rate per direction, for all their
 * traffic or only what crosses the cluster's edge; PerNode (each node's selected Pods share the whole
 * rate) or ClusterWide (the rate is split among nodes). Pure: parse and validate, with the problems an
 * operator can act on.
 */
import { parseBandwidth, QuantityError } from "../bandwidth/quantity.js";
import type { Direction, Scope } from "../datapath/datapath.js";
import { selectorProblems, type LabelSelector } from "./selector.js";

export type BudgetMode = "PerNode" | "ClusterWide";

export interface Budget {
  /** `<namespace>/<name>/<uid>`: a recreated budget is another budget. */
  key: string;
  namespace: string;
  name: string;
  uid: string;
  generation: number;
  selector: LabelSelector;
  rates: Record<Direction, number | null>;
  scope: Scope;
  mode: BudgetMode;
  /** ClusterWide: the least a node with selected Pods gets at once; null for PerNode. */
  minPerNodeBitsPerSecond: number | null;
}

export interface BudgetObject {
  metadata?: { name?: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string };
  spec?: Record<string, unknown>;
}

export type ParsedBudget = { budget: Budget; problems: [] } | { budget: null; problems: string[] };

const SCOPES: Record<string, Scope> = { All: "all", OutsideCluster: "outside-cluster" };
const MODES = new Set<BudgetMode>(["PerNode", "ClusterWide"]);
/** A ClusterWide budget's floor when none is given: 1% of the budget, at least 1 kbit/s. */
const defaultFloor = (rate: number): number => Math.max(1000, Math.floor(rate / 100));

function rateOf(spec: Record<string, unknown>, field: string, problems: string[]): number | null {
  const value = spec[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" && typeof value !== "number") {
    problems.push(`spec.${field} must be a Quantity in bits per second, e.g. "100M"`);
    return null;
  }
  try {
    return parseBandwidth(String(value).trim());
  } catch (error) {
    problems.push(`spec.${field} "${String(value)}" is invalid: ${error instanceof QuantityError ? error.message : String(error)} (e.g. "100M")`);
    return null;
  }
}

export function parseBudget(object: BudgetObject): ParsedBudget {
  const { name = "", namespace = "", uid = "", generation = 0 } = object.metadata ?? {};
  const spec = object.spec ?? {};
  const problems = selectorProblems(spec.podSelector);
  const egress = rateOf(spec, "egress", problems);
  const ingress = rateOf(spec, "ingress", problems);
  if (spec.egress == null && spec.ingress == null) problems.push("give spec.egress and/or spec.ingress (bits per second, e.g. \"100M\")");
  const scopeText = spec.scope ?? "OutsideCluster";
  const scope = typeof scopeText === "string" ? SCOPES[scopeText] : undefined;
  if (scope === undefined) problems.push(`spec.scope "${String(scopeText)}" must be All or OutsideCluster`);
  const modeText = spec.mode ?? "PerNode";
  if (typeof modeText !== "string" || !MODES.has(modeText as BudgetMode)) problems.push(`spec.mode "${String(modeText)}" must be PerNode or ClusterWide`);
  const mode = modeText as BudgetMode;
  const floor = rateOf(spec, "minPerNode", problems);
  if (floor !== null && mode !== "ClusterWide") problems.push("spec.minPerNode applies to ClusterWide budgets only");
  for (const [direction, rate] of [["egress", egress], ["ingress", ingress]] as const) {
    if (floor !== null && rate !== null && floor > rate) problems.push(`spec.minPerNode is above spec.${direction}`);
  }
  if (problems.length > 0 || scope === undefined) return { budget: null, problems };
  const smallest = Math.min(...[egress, ingress].filter((rate): rate is number => rate !== null));
  return {
    budget: {
      key: `${namespace}/${name}/${uid}`, namespace, name, uid, generation,
      selector: spec.podSelector as LabelSelector,
      rates: { egress, ingress }, scope, mode,
      minPerNodeBitsPerSecond: mode === "ClusterWide" ? (floor ?? defaultFloor(smallest)) : null,
    },
    problems: [],
  };
}
