/**
 * The simulator's workload: budgets, the nodes their Pods run on, and the Pods' demand over time.
 *
 * - Budgets: rates log-uniform in 100M–10G; each spans a log-uniform 3 to 30% of the nodes; its floor is
 *   1% of the budget (the default minPerNode).
 * - Senders (selected Pods) per node and budget: 1–3, each "bulk" (a backlogged transfer: the NIC's
 *   10 Gbit/s, i.e. whatever it is given) with probability 0.3, else an "app" with a base rate such that the
 *   budget's apps together ask for 0.3–1.5× the budget (some budgets contended, some not); 70% start active.
 * - Shifts (what convergence is measured on): senders start (half of them new Pods, selected 2 s before
 *   they send) or stop on 1 to 20% of a budget's nodes, or apps surge ×3 or calm ÷3 there.
 * - Diurnal drift: every app's rate × (1 + 0.25·sin(2πt/period + the budget's phase)); the period is 600 s
 *   by default — a day squeezed 144× into a 10-minute run.
 * - Bursts: one app ×5 for 3 s.
 */
import { budgetKey, defaultFloor, type BudgetKey } from "../../src/budgets/protocol.js";
import type { Random } from "./random.js";

export const NIC_BITS_PER_SECOND = 10e9;

export interface Sender {
  kind: "bulk" | "app";
  baseBitsPerSecond: number;
  active: boolean;
  burst: number;
}

export interface WorkloadBudget {
  key: BudgetKey;
  bitsPerSecond: number;
  floorBitsPerSecond: number;
  nodes: string[];
  phase: number;
  appBaseBitsPerSecond: number;
}

export interface PairWorkload {
  node: string;
  key: BudgetKey;
  senders: Sender[];
}

export type ShiftKind = "start" | "stop" | "surge" | "calm";

export class Workload {
  readonly budgets: WorkloadBudget[] = [];
  readonly pairs = new Map<string, PairWorkload>();
  readonly pairsOfBudget = new Map<BudgetKey, PairWorkload[]>();
  private readonly byKey = new Map<BudgetKey, WorkloadBudget>();

  /** `diurnalPeriodMs`: the drift's period; 600 s squeezes a day into a 10-minute run (a busy trace). */
  constructor(private readonly random: Random, nodes: readonly string[], budgetCount: number, private readonly diurnalPeriodMs = 600_000) {
    for (let index = 0; index < budgetCount; index++) {
      const bitsPerSecond = Math.round(random.logUniform(100e6, 10e9));
      const span = Math.max(3, Math.min(nodes.length, Math.round(random.logUniform(3, Math.max(4, 0.3 * nodes.length)))));
      const budget: WorkloadBudget = {
        key: budgetKey(`tenant-${index % 17}`, `app-${index}`, `uid-${index}`, "Egress"),
        bitsPerSecond,
        floorBitsPerSecond: defaultFloor(bitsPerSecond),
        nodes: random.sample(nodes, span),
        phase: random.uniform(0, 2 * Math.PI),
        appBaseBitsPerSecond: 0,
      };
      this.budgets.push(budget);
      this.byKey.set(budget.key, budget);
      this.pairsOfBudget.set(budget.key, []);
      for (const node of budget.nodes) this.addPair(budget, node);
      const apps = this.pairsOfBudget.get(budget.key)!.flatMap((pair) => pair.senders.filter((sender) => sender.kind === "app"));
      budget.appBaseBitsPerSecond = (bitsPerSecond * random.uniform(0.3, 1.5)) / Math.max(1, apps.length);
      for (const sender of apps) sender.baseBitsPerSecond = budget.appBaseBitsPerSecond * random.uniform(0.3, 1.7);
    }
  }

  /** A node joining the cluster with senders of `count` budgets. */
  join(node: string, count: number): PairWorkload[] {
    return this.random.sample(this.budgets, count).map((budget) => {
      budget.nodes.push(node);
      return this.addPair(budget, node);
    });
  }

  /** Demand, active members and selected Pods of a pair at `nowMs`. */
  demandOf(pair: PairWorkload, nowMs: number): { demandBitsPerSecond: number; members: number; selectedPods: number } {
    const budget = this.budgetOf(pair.key);
    const diurnal = 1 + 0.25 * Math.sin((2 * Math.PI * nowMs) / this.diurnalPeriodMs + budget.phase);
    let demand = 0;
    let members = 0;
    for (const sender of pair.senders) {
      if (!sender.active) continue;
      members++;
      demand += sender.kind === "bulk" ? NIC_BITS_PER_SECOND : sender.baseBitsPerSecond * diurnal * sender.burst;
    }
    return { demandBitsPerSecond: Math.min(NIC_BITS_PER_SECOND, demand), members, selectedPods: pair.senders.length };
  }

  budgetOf(key: BudgetKey): WorkloadBudget {
    const budget = this.byKey.get(key);
    if (!budget) throw new Error(`no budget ${key} in the workload`);
    return budget;
  }

  /**
   * A demand shift on a random 1–20% of the budget's nodes. A "start" selects its Pods now (new ones are
   * added) and returns them in `activateLater`: the caller makes them send 2 s later, as a Pod starts;
   * every other change is in effect at once.
   */
  shift(key: BudgetKey): { kind: ShiftKind; changed: PairWorkload[]; activateLater: Array<{ pair: PairWorkload; sender: Sender }> } {
    const pairs = this.pairsOfBudget.get(key)!;
    const count = Math.max(1, Math.round(this.random.uniform(0, 0.2) * pairs.length));
    const chosen = this.random.sample(pairs, count);
    const kind = this.random.pick<ShiftKind>(["start", "start", "stop", "surge", "calm"]);
    const budget = this.budgetOf(key);
    const activateLater: Array<{ pair: PairWorkload; sender: Sender }> = [];
    for (const pair of chosen) {
      if (kind === "start") {
        let sender = pair.senders.find((candidate) => !candidate.active);
        if (sender === undefined || this.random.chance(0.5)) {
          sender = { kind: this.random.chance(0.3) ? "bulk" : "app", baseBitsPerSecond: budget.appBaseBitsPerSecond * this.random.uniform(0.3, 1.7), active: false, burst: 1 };
          pair.senders.push(sender);
        }
        activateLater.push({ pair, sender });
      } else if (kind === "stop") {
        const active = pair.senders.filter((sender) => sender.active);
        if (active.length > 0) this.random.pick(active).active = false;
      } else {
        for (const sender of pair.senders) if (sender.kind === "app") sender.baseBitsPerSecond *= kind === "surge" ? 3 : 1 / 3;
      }
    }
    return { kind, changed: chosen, activateLater };
  }

  /** A random active app of the budget, for a burst (null when it has none). */
  burstCandidate(key: BudgetKey): { pair: PairWorkload; sender: Sender } | null {
    const candidates = this.pairsOfBudget.get(key)!.flatMap((pair) => pair.senders.filter((sender) => sender.active && sender.kind === "app" && sender.burst === 1).map((sender) => ({ pair, sender })));
    return candidates.length > 0 ? this.random.pick(candidates) : null;
  }

  private addPair(budget: WorkloadBudget, node: string): PairWorkload {
    const senders: Sender[] = Array.from({ length: this.random.integer(1, 3) }, () => ({
      kind: this.random.chance(0.3) ? ("bulk" as const) : ("app" as const),
      baseBitsPerSecond: budget.appBaseBitsPerSecond * this.random.uniform(0.3, 1.7),
      active: this.random.chance(0.7),
      burst: 1,
    }));
    const pair: PairWorkload = { node, key: budget.key, senders };
    this.pairs.set(`${node} ${budget.key}`, pair);
    this.pairsOfBudget.get(budget.key)!.push(pair);
    return pair;
  }
}
