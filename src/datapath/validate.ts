/**
 * The argument checks both datapaths make (the EDT one and the in-memory fake), so both reject the same
 * inputs with the same words.
 */
import { BpfError, rangeKeyOf, rangeTextOf } from "../bpf/index.js";
import { DatapathError, type BudgetShare, type LimitSpec } from "./datapath.js";

export const BUDGETS_PER_POD = 4;

function checkRate(what: string, bitsPerSecond: number | null | undefined, required: boolean): void {
  if (bitsPerSecond === null || bitsPerSecond === undefined) {
    if (required) throw new DatapathError("INVALID_ARGUMENT", `${what}: a rate is required`);
    return;
  }
  if (!Number.isSafeInteger(bitsPerSecond) || bitsPerSecond < 1_000 || bitsPerSecond > 1e15) {
    throw new DatapathError("INVALID_ARGUMENT", `${what} ${bitsPerSecond} bit/s is outside 1k..1P: pass an integer number of bits per second`);
  }
}

function checkDirection(direction: string): void {
  if (direction !== "egress" && direction !== "ingress") {
    throw new DatapathError("INVALID_ARGUMENT", `direction ${String(direction)} is not egress or ingress`);
  }
}

export function validateSpec(spec: LimitSpec): void {
  const { direction, attachment } = spec;
  checkRate("limit", spec.bitsPerSecond, false);
  checkRate("outside-cluster limit", spec.externalBitsPerSecond, false);
  checkDirection(direction);
  const budgets = spec.budgets ?? [];
  if (budgets.length > BUDGETS_PER_POD) {
    throw new DatapathError("INVALID_ARGUMENT", `${attachment.podKey} ${direction}: charged to ${budgets.length} budgets, at most ${BUDGETS_PER_POD} are possible`);
  }
  if (spec.bitsPerSecond === null && (spec.externalBitsPerSecond ?? null) === null && budgets.length === 0) {
    throw new DatapathError("INVALID_ARGUMENT", `${attachment.podKey} ${direction}: nothing to enforce (no limit and no budget): remove the limit instead`);
  }
  if (!attachment.podKey) throw new DatapathError("INVALID_ARGUMENT", "podKey is empty");
  if (direction === "ingress" && !attachment.hostInterface) {
    // Not the caller's mistake: the veth may not be visible yet (retry), as a missing namespace is.
    throw new DatapathError("NOT_FOUND", `ingress limit for ${attachment.podKey}: its host-side veth is not known yet`);
  }
}

export function validateBudgetShare(share: BudgetShare): void {
  if (!share.key) throw new DatapathError("INVALID_ARGUMENT", "budget key is empty");
  checkDirection(share.direction);
  checkRate(`budget ${share.key} ${share.direction}`, share.bitsPerSecond, true);
  if (share.scope !== "all" && share.scope !== "outside-cluster") {
    throw new DatapathError("INVALID_ARGUMENT", `budget ${share.key}: scope ${String(share.scope)} is not all or outside-cluster`);
  }
  if (share.expiresInMs !== undefined) {
    if (!Number.isFinite(share.expiresInMs) || share.expiresInMs <= 0) throw new DatapathError("INVALID_ARGUMENT", `budget ${share.key}: expiresInMs must be positive`);
    checkRate(`budget ${share.key} fallback`, share.fallbackBitsPerSecond, true);
  }
}

/** Prefixes as the datapath keeps them: networks without host bits, sorted, without duplicates. */
export function normalizePrefixes(prefixes: readonly string[]): string[] {
  try {
    return [...new Set(prefixes.map((prefix) => rangeTextOf(rangeKeyOf(prefix))))].sort();
  } catch (error) {
    if (error instanceof BpfError) throw new DatapathError("INVALID_ARGUMENT", error.message, { cause: error });
    throw error;
  }
}
