/**
 * What the budget simulator measures, against an oracle:
 *
 * - The oracle's split of each budget is the same weighted max-min split (src/budgets/allocator.ts) fed the
 *   TRUE demands the way a perfect estimator would report them (1.1× an app's rate; a backlogged node, or
 *   one its share would hold back, as unbounded) — what the protocol converges to if reports, watches and
 *   the allocator were instant. A node's ideal delivered rate is min(its demand, its oracle share).
 * - In tolerance: every node of the budget delivers within 10% of its ideal, or within 1% of the budget
 *   (Tolerance). Checked every 500 ms.
 * - Convergence after a shift: from the shift to the last check out of tolerance before the next shift
 *   (which must leave ≥ 5 s in tolerance, else the shift counts as unsettled, with the gap as its time).
 *   A shift followed by another of the same budget within 10 s is censored: it could not show either way.
 * - Windows: each budget's Σ delivered bits in every whole second, over the budget.
 */
import { splitBudget } from "../../src/budgets/allocator.js";
import type { BudgetKey, BudgetTerms } from "../../src/budgets/protocol.js";
import type { DatapathModel, Pair } from "./datapath-model.js";
import { NIC_BITS_PER_SECOND } from "./workload.js";

export const CHECK_MS = 500;
const STABLE_MS = 5000;
export const CENSOR_MS = 10_000;

/** A node is in tolerance when |delivered − ideal| ≤ max(relative·ideal, ofBudget·budget). */
export interface Tolerance {
  relative: number;
  ofBudget: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { relative: 0.1, ofBudget: 0.01 };

export interface Fault {
  name: string;
  fromMs: number;
  toMs: number;
  /** Budgets it touches; null: all. */
  budgets: ReadonlySet<BudgetKey> | null;
}

export interface ShiftRecord {
  key: BudgetKey;
  atMs: number;
  kind: string;
  nextAtMs: number;
  /** null: never stayed in tolerance for STABLE_MS before the next shift. */
  settleMs: number | null;
  lastOutMs: number;
}

export class Measurements {
  readonly shifts: ShiftRecord[] = [];
  readonly faults: Fault[] = [];
  private readonly open = new Map<BudgetKey, ShiftRecord>();
  private readonly ideal = new Map<BudgetKey, Map<Pair, number>>();
  readonly floorChecks = { gained: 0, atFloorAtOnce: 0, unshaped: 0 };
  /**
   * Max over budgets and checks of Σ shares enforced (the kernel's, not the rates) / budget: over nodes with
   * active senders, and over every node with selected Pods (idle ones hold their floor: what k idle nodes
   * starting at once could send before the allocator hears of them).
   */
  readonly enforced = { activeMax: 0, selectedMax: 0 };

  constructor(
    private readonly datapath: DatapathModel,
    private readonly terms: ReadonlyMap<BudgetKey, BudgetTerms>,
    private readonly reserveFraction: number,
    readonly tolerance: Tolerance = DEFAULT_TOLERANCE,
  ) {}

  demandChanged(key: BudgetKey): void {
    this.ideal.delete(key);
  }

  shift(key: BudgetKey, atMs: number, kind: string): void {
    this.close(key, atMs);
    const record: ShiftRecord = { key, atMs, kind, nextAtMs: Infinity, settleMs: null, lastOutMs: -Infinity };
    this.shifts.push(record);
    this.open.set(key, record);
  }

  /**
   * A sender starts on a node of a budget: is the node enforcing at least min(floor, demand) right now?
   * `publishedFloor`: the floor the allocator last published for the node (it lowers it for budgets on
   * many nodes), 0 when none.
   */
  senderStarted(pair: Pair, nowMs: number, publishedFloor: number): void {
    const specFloor = this.terms.get(pair.key)!.floorBitsPerSecond;
    const floor = publishedFloor > 0 ? Math.min(publishedFloor, specFloor) : specFloor;
    const enforced = this.datapath.enforcedBitsPerSecond(pair, nowMs);
    this.floorChecks.gained++;
    if (!Number.isFinite(enforced)) this.floorChecks.unshaped++;
    else if (enforced >= Math.min(floor, pair.demandBitsPerSecond)) this.floorChecks.atFloorAtOnce++;
  }

  check(nowMs: number, measureEnforced = true): void {
    if (measureEnforced) this.checkEnforced(nowMs);
    for (const [key, record] of this.open) if (!this.inTolerance(key)) record.lastOutMs = nowMs;
  }

  private checkEnforced(nowMs: number): void {
    for (const [key, pairs] of this.datapath.pairsByBudget) {
      let active = 0;
      let selected = 0;
      for (const pair of pairs) {
        if (pair.selectedPods === 0) continue;
        const share = Math.min(this.datapath.enforcedBitsPerSecond(pair, nowMs), pair.kernel === null ? pair.demandBitsPerSecond : Infinity);
        selected += share;
        if (pair.members > 0) active += share;
      }
      const budget = this.terms.get(key)!.bitsPerSecond;
      this.enforced.activeMax = Math.max(this.enforced.activeMax, active / budget);
      this.enforced.selectedMax = Math.max(this.enforced.selectedMax, selected / budget);
    }
  }

  finish(endMs: number): void {
    for (const key of [...this.open.keys()]) this.close(key, endMs);
  }

  inTolerance(key: BudgetKey): boolean {
    const slack = this.tolerance.ofBudget * this.terms.get(key)!.bitsPerSecond;
    for (const [pair, ideal] of this.idealOf(key)) {
      if (Math.abs(pair.rate - ideal) > Math.max(this.tolerance.relative * ideal, slack)) return false;
    }
    return true;
  }

  /** Is the shift's time span free of the faults that touch its budget? */
  clean(record: ShiftRecord): boolean {
    const to = Math.min(record.nextAtMs, record.atMs + 30_000);
    return !this.faults.some((fault) => (fault.budgets === null || fault.budgets.has(record.key)) && fault.fromMs < to && fault.toMs > record.atMs - 5000);
  }

  private close(key: BudgetKey, atMs: number): void {
    const record = this.open.get(key);
    if (!record) return;
    this.open.delete(key);
    record.nextAtMs = atMs;
    const settledAt = record.lastOutMs < record.atMs ? record.atMs : record.lastOutMs + CHECK_MS;
    record.settleMs = atMs - settledAt >= STABLE_MS ? settledAt - record.atMs : null;
  }

  private idealOf(key: BudgetKey): Map<Pair, number> {
    let ideal = this.ideal.get(key);
    if (ideal) return ideal;
    const terms = this.terms.get(key)!;
    const pairs = (this.datapath.pairsByBudget.get(key) ?? []).filter((pair) => pair.selectedPods > 0 && pair.members > 0 && pair.demandBitsPerSecond > 0);
    let heldBack = pairs.map((pair) => pair.demandBitsPerSecond >= NIC_BITS_PER_SECOND * 0.999);
    let shares = new Map<string, number>();
    for (let round = 0; round < 6; round++) {
      const split = splitBudget(
        { budgetBitsPerSecond: terms.bitsPerSecond, reserveFraction: this.reserveFraction, floorBitsPerSecond: terms.floorBitsPerSecond, fixedBitsPerSecond: 0 },
        pairs.map((pair, index) => ({ node: pair.node, demandBitsPerSecond: pair.demandBitsPerSecond * 1.1, members: pair.members, heldBack: heldBack[index]!, unbounded: heldBack[index]! })),
      );
      shares = split.shares;
      const next = pairs.map((pair, index) => heldBack[index]! || (shares.get(pair.node) ?? 0) * 0.98 < pair.demandBitsPerSecond);
      if (next.every((value, index) => value === heldBack[index])) break;
      heldBack = next;
    }
    const sending = new Set(pairs);
    ideal = new Map((this.datapath.pairsByBudget.get(key) ?? []).map((pair) => [pair, sending.has(pair) ? Math.min(pair.demandBitsPerSecond, shares.get(pair.node) ?? 0) : 0]));
    this.ideal.set(key, ideal);
    return ideal;
  }
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}
