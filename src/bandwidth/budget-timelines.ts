/**
 * The reconciler's budget timelines: the budgets this node's Pods are selected by, each held in the
 * datapath as one timeline per direction at this node's share (a PerNode budget's whole rate; a
 * ClusterWide budget's share from the allocator, or its floor until it has one), and one status row each
 * for `pacer budgets`. Timelines are ensured before the Pods are charged to them and removed once no Pod is.
 */
import type { Budget } from "../budgets/budget.js";
import type { AppliedBudget, BudgetShare, Datapath, Direction } from "../datapath/datapath.js";
import type { RowRequest } from "./decide.js";
import { formatBitsPerSecond } from "./quantity.js";

/** This node's share of a budget for one direction. */
export type ShareOf = (budget: Budget, direction: Direction) => Omit<BudgetShare, "key" | "direction" | "scope">;

/** PerNode: each node's selected Pods share the whole rate. ClusterWide without an allocator: the floor. */
export const perNodeShare: ShareOf = (budget, direction) => {
  const rate = budget.rates[direction] ?? 0;
  return { bitsPerSecond: budget.mode === "ClusterWide" ? Math.min(rate, budget.minPerNodeBitsPerSecond ?? rate) : rate };
};

export interface BudgetStatusRow {
  key: string;
  namespace: string;
  name: string;
  direction: Direction;
  scope: Budget["scope"];
  mode: Budget["mode"];
  /** The budget's rate for this direction (all nodes together for ClusterWide). */
  budgetBitsPerSecond: number;
  /** This node's share, enforced. */
  shareBitsPerSecond: number;
  /** This node's Pods charged to it (Pod keys). */
  members: string[];
  state: "enforced" | "error";
  reason: string | null;
  counters: AppliedBudget["counters"] | null;
}

interface Needed {
  budget: Budget;
  direction: Direction;
  members: string[];
}

export const timelineKey = (key: string, direction: Direction): string => `${key}\u0000${direction}`;

/** The budget timelines the rows of these Pods ask for, with their members (Pod keys); pure. */
export function neededTimelines(requests: ReadonlyMap<string, readonly RowRequest[]>, budgets: readonly Budget[]): Needed[] {
  const needed = new Map<string, Needed>();
  for (const [podKey, podRequests] of requests) {
    for (const request of podRequests) {
      for (const key of request.budgets) {
        const budget = budgets.find((candidate) => candidate.key === key);
        if (!budget) continue;
        const entry = needed.get(timelineKey(key, request.direction)) ?? { budget, direction: request.direction, members: [] };
        entry.members.push(podKey);
        needed.set(timelineKey(key, request.direction), entry);
      }
    }
  }
  for (const entry of needed.values()) entry.members.sort();
  return [...needed.values()];
}

/** An edit's needed timelines with every other Pod's membership from the rows; pure. */
export function mergeMembers(needed: readonly Needed[], rows: ReadonlyMap<string, BudgetStatusRow>, onlyPods: ReadonlySet<string>): Needed[] {
  return needed.map((entry) => {
    const others = (rows.get(timelineKey(entry.budget.key, entry.direction))?.members ?? []).filter((pod) => !onlyPods.has(pod));
    return { ...entry, members: [...others, ...entry.members].sort() };
  });
}

export class BudgetTimelines {
  /** What this reconciler last wrote or listed: timeline key → share. */
  private readonly known = new Map<string, BudgetShare>();
  private readonly statusRows = new Map<string, BudgetStatusRow>();
  private listedOnce = false;

  constructor(private readonly options: { datapath: Datapath | null; shareOf?: ShareOf; log(line: string): void }) {}

  rows(): BudgetStatusRow[] {
    return [...this.statusRows.values()].sort((a, b) => a.key.localeCompare(b.key) || a.direction.localeCompare(b.direction));
  }

  /**
   * Ensures every needed timeline at this node's share; `verifyAll` rewrites unchanged ones too.
   * `onlyPods`: `needed` was worked out from these Pods alone (an edit's pass), so every other Pod's
   * membership stays as the last full pass found it; without it a row would list only the edited Pod until
   * then, and the ClusterWide samples, which count a budget's active members from these rows, with it.
   */
  async ensure(needed: readonly Needed[], verifyAll: boolean, onlyPods?: ReadonlySet<string>): Promise<void> {
    const { datapath } = this.options;
    if (!datapath) return;
    if (onlyPods) {
      // A timeline the edited Pods left keeps its row until the next full pass (prune), without them.
      const touched = new Set(needed.map((entry) => timelineKey(entry.budget.key, entry.direction)));
      for (const [key, row] of this.statusRows) if (!touched.has(key)) row.members = row.members.filter((pod) => !onlyPods.has(pod));
      needed = mergeMembers(needed, this.statusRows, onlyPods);
    }
    const applied = verifyAll || !this.listedOnce ? await this.adopt(datapath) : null;
    const shareOf = this.options.shareOf ?? perNodeShare;
    for (const { budget, direction, members } of needed) {
      const key = timelineKey(budget.key, direction);
      const share: BudgetShare = { key: budget.key, direction, scope: budget.scope, ...shareOf(budget, direction) };
      const row: BudgetStatusRow = {
        key: budget.key, namespace: budget.namespace, name: budget.name, direction, scope: budget.scope, mode: budget.mode,
        budgetBitsPerSecond: budget.rates[direction] ?? 0, shareBitsPerSecond: share.bitsPerSecond, members,
        state: "enforced", reason: null, counters: applied?.find((entry) => entry.key === budget.key && entry.direction === direction)?.counters ?? this.statusRows.get(key)?.counters ?? null,
      };
      if (verifyAll || share.expiresInMs !== undefined || JSON.stringify(this.known.get(key)) !== JSON.stringify(share)) {
        try {
          await datapath.ensureBudget(share);
          if (!this.known.has(key)) this.options.log(`budget ${budget.namespace}/${budget.name} ${direction}: ${formatBitsPerSecond(share.bitsPerSecond)} on this node`);
          this.known.set(key, share);
        } catch (error) {
          row.state = "error";
          row.reason = `apply budget ${formatBitsPerSecond(share.bitsPerSecond)}: ${(error as Error).message}`;
          this.options.log(`budget ${budget.namespace}/${budget.name} ${direction}: ${row.reason}`);
        }
      }
      this.statusRows.set(key, row);
    }
  }

  /**
   * Whether prune(…, inUse) could remove or forget anything, whatever the Pods need: only a timeline held
   * but charged to no enforced row, or the status row of one never held (its ensure failed), can go.
   */
  mayPrune(inUse: ReadonlySet<string>): boolean {
    for (const key of this.known.keys()) if (!inUse.has(key)) return true;
    for (const key of this.statusRows.keys()) if (!this.known.has(key)) return true;
    return false;
  }

  /** Removes timelines no Pod needs and no enforced row is charged to any more. */
  async prune(needed: readonly Needed[], inUse: ReadonlySet<string>): Promise<void> {
    const { datapath } = this.options;
    if (!datapath) return;
    const wanted = new Set(needed.map(({ budget, direction }) => timelineKey(budget.key, direction)));
    for (const [key, share] of [...this.known]) {
      if (wanted.has(key) || inUse.has(key)) continue;
      try {
        await datapath.removeBudget(share.key, share.direction);
        this.known.delete(key);
        this.statusRows.delete(key);
        this.options.log(`budget ${share.key} ${share.direction}: removed from this node (no Pod here is selected)`);
      } catch (error) {
        this.options.log(`budget ${share.key} ${share.direction}: remove failed, will retry: ${(error as Error).message}`);
      }
    }
    for (const key of [...this.statusRows.keys()]) if (!wanted.has(key) && !this.known.has(key)) this.statusRows.delete(key);
  }

  /** What the datapath holds (a previous run's timelines are adopted, and pruned when not needed). */
  private async adopt(datapath: Datapath): Promise<AppliedBudget[]> {
    const applied = await datapath.listBudgets();
    this.listedOnce = true;
    for (const budget of applied) {
      const key = timelineKey(budget.key, budget.direction);
      if (!this.known.has(key)) this.known.set(key, { key: budget.key, direction: budget.direction, scope: budget.scope, bitsPerSecond: budget.bitsPerSecond });
    }
    return applied;
  }
}
