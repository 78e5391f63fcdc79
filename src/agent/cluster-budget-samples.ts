/**
 * Between the agent's world and the ClusterWide protocol's, pure: a reconciler budget timeline
 * (`<namespace>/<name>/<uid>` + egress|ingress) ↔ a protocol budget key (`.../Egress`), the budget terms the
 * allocator splits, and the per-budget samples taken from the datapath's counters — in-scope bytes and
 * held-back packets of the budget's timeline, and how many of its member Pods sent since the last sample.
 */
import type { Budget } from "../budgets/budget.js";
import { parseBudgetKey, type BudgetDirection, type BudgetKey, type BudgetTerms, type KernelBudgetShare } from "../budgets/protocol.js";
import type { LocalBudgetSample } from "../budgets/node-protocol.js";
import type { AppliedBudget, AppliedLimit, BudgetShare, Direction } from "../datapath/datapath.js";

export const protocolDirection = (direction: Direction): BudgetDirection => (direction === "egress" ? "Egress" : "Ingress");

export const protocolKey = (budgetKey: string, direction: Direction): BudgetKey => `${budgetKey}/${protocolDirection(direction)}`;

/** The reconciler's budget key and direction of a protocol key. */
export function timelineOf(key: BudgetKey): { budgetKey: string; direction: Direction } {
  const { namespace, name, uid, direction } = parseBudgetKey(key);
  return { budgetKey: `${namespace}/${name}/${uid}`, direction: direction === "Egress" ? "egress" : "ingress" };
}

/** Every ClusterWide budget's terms per direction (the allocator splits all of them, wherever their Pods are). */
export function termsOf(budgets: readonly Budget[]): Map<BudgetKey, BudgetTerms> {
  const terms = new Map<BudgetKey, BudgetTerms>();
  for (const budget of budgets) {
    if (budget.mode !== "ClusterWide") continue;
    for (const direction of ["egress", "ingress"] as const) {
      const rate = budget.rates[direction];
      if (rate === null) continue;
      terms.set(protocolKey(budget.key, direction), { bitsPerSecond: rate, floorBitsPerSecond: Math.min(rate, budget.minPerNodeBitsPerSecond ?? rate) });
    }
  }
  return terms;
}

/** Cumulative bytes per Pod and direction, to tell which members sent since the last sample. */
export type PodBytes = Map<string, number>;

export const podBytesOf = (limits: readonly AppliedLimit[]): PodBytes => new Map(limits.map((limit) => [`${limit.podKey}\u0000${limit.direction}`, limit.counters.bytes]));

export interface TimelineMembers {
  budget: Budget;
  direction: Direction;
  /** Pod keys charged to the timeline on this node. */
  members: readonly string[];
}

/**
 * The protocol's samples: one per ClusterWide timeline on this node that the datapath holds. A member is
 * active when its bytes grew since the last sample (its row's counters count all its traffic; the budget's
 * own bytes are the in-scope ones); when the budget's bytes grew but no member's did (counters read a moment
 * apart), one member is counted so a sending node never reports zero members.
 */
export function samplesOf(input: {
  atMs: number;
  timelines: readonly TimelineMembers[];
  applied: readonly AppliedBudget[];
  before: PodBytes;
  now: PodBytes;
  previousBudgetBytes: ReadonlyMap<BudgetKey, number>;
  floorOf(key: BudgetKey, budget: Budget): number;
}): LocalBudgetSample[] {
  const samples: LocalBudgetSample[] = [];
  for (const { budget, direction, members } of input.timelines) {
    if (budget.mode !== "ClusterWide") continue;
    const applied = input.applied.find((entry) => entry.key === budget.key && entry.direction === direction);
    if (applied === undefined) continue;
    const key = protocolKey(budget.key, direction);
    let active = 0;
    for (const pod of members) {
      const id = `${pod}\u0000${direction}`;
      const now = input.now.get(id);
      const before = input.before.get(id);
      if (now !== undefined && before !== undefined && now > before) active += 1;
    }
    const previous = input.previousBudgetBytes.get(key);
    if (active === 0 && previous !== undefined && applied.counters.bytes > previous) active = 1;
    samples.push({ key, floorBitsPerSecond: input.floorOf(key, budget), atMs: input.atMs, bytes: applied.counters.bytes, delayedPackets: applied.counters.delayedPackets, activeMembers: active });
  }
  return samples;
}

/**
 * The datapath share for a protocol kernel config, at `nowMs` of the same clock; never below the datapath's
 * 1k. A config already past its expiry is its fallback, still expiring (in a second), so the datapath, which
 * takes only a future expiry, enforces what the kernel would have fallen back to.
 */
export function datapathShareOf(share: KernelBudgetShare, nowMs: number): Omit<BudgetShare, "key" | "direction" | "scope"> {
  const atLeast = (bits: number) => Math.max(1000, Math.round(bits));
  // The floor a node holds before (or after) the allocator's contact never expires (node-shares.ts: Infinity);
  // the datapath takes it as a plain rate rather than an expiry it cannot represent.
  if (share.expiresAtMs === Infinity) return { bitsPerSecond: atLeast(share.bitsPerSecond) };
  const remaining = Math.round(share.expiresAtMs - nowMs);
  if (remaining < 1) return { bitsPerSecond: atLeast(share.fallbackBitsPerSecond), expiresInMs: 1000, fallbackBitsPerSecond: atLeast(share.fallbackBitsPerSecond) };
  return { bitsPerSecond: atLeast(share.bitsPerSecond), expiresInMs: remaining, fallbackBitsPerSecond: atLeast(share.fallbackBitsPerSecond) };
}

/**
 * What a restarted agent finds in the kernel, as the protocol's kernel config (NodeShares honours it until
 * its own expiry, then the floor). An expiring share the kernel already fell back on is its fallback (the
 * previous agent set it to min(floor, share)): taking the rate it fell back from would enforce a share the
 * allocator reclaimed once its owner went silent — the 1.26× over-budget seconds after an agent restarted
 * in bench:budgets' real run. A share without expiry (the floor before the allocator answers, or not a
 * ClusterWide budget) holds until the protocol decides.
 */
export function adoptedShare(applied: AppliedBudget, nowMs: number): KernelBudgetShare {
  if (applied.expiresInMs === undefined) return { bitsPerSecond: applied.bitsPerSecond, expiresAtMs: nowMs, fallbackBitsPerSecond: applied.bitsPerSecond };
  const fallback = applied.fallbackBitsPerSecond ?? applied.bitsPerSecond;
  if (applied.expiresInMs <= 0) return { bitsPerSecond: fallback, expiresAtMs: nowMs, fallbackBitsPerSecond: fallback };
  return { bitsPerSecond: applied.bitsPerSecond, expiresAtMs: nowMs + applied.expiresInMs, fallbackBitsPerSecond: fallback };
}
