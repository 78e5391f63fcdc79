/**
 * The simulator's datapath: per node and budget, the rate the node's selected Pods send in scope is
 *     min(their demand, the share the kernel enforces)
 * exactly, integrated over virtual time into the cumulative counters the agent samples (bytes, delayed
 * packets) — the EDT timeline's behaviour at the one-second scale, with no TCP dynamics. The kernel's share
 * is the agent's KernelBudgetShare, which falls back to its floor at expiresAtMs by itself (a dead agent
 * stops renewing it). A budget with selected Pods but no config yet (the agent has not sampled it) is not
 * shaped at all. The timeline holds packets back ("delayed") when demand is above `heldBackUtilization` of
 * the share: real traffic is bursty, so a share barely above the mean still delays some packets.
 * Per budget, Σ rates is integrated too, for the 1-second windows the measurements use.
 */
import type { BudgetKey, KernelBudgetShare } from "../../src/budgets/protocol.js";
import type { VirtualClock } from "./virtual-clock.js";

export class BudgetMeter {
  totalRate = 0;
  private integralBits = 0;
  private lastMs = 0;
  private windowStartBits = 0;
  /** Σ bits sent in each whole second of the run, over the budget: index = second. */
  readonly windows: number[] = [];

  constructor(readonly key: BudgetKey, readonly bitsPerSecond: number) {}

  advance(nowMs: number): void {
    this.integralBits += (this.totalRate * (nowMs - this.lastMs)) / 1000;
    this.lastMs = nowMs;
  }

  closeWindow(nowMs: number): void {
    this.advance(nowMs);
    this.windows.push((this.integralBits - this.windowStartBits) / this.bitsPerSecond);
    this.windowStartBits = this.integralBits;
  }
}

export class Pair {
  demandBitsPerSecond = 0;
  members = 0;
  selectedPods = 0;
  kernel: KernelBudgetShare | null = null;
  rate = 0;
  heldBack = false;
  bytes = 0;
  delayedPackets = 0;
  lastMs = 0;
  expiryCheckAtMs = Infinity;

  constructor(readonly node: string, readonly key: BudgetKey, readonly meter: BudgetMeter) {}
}

export class DatapathModel {
  private readonly pairs = new Map<string, Pair>();
  readonly meters = new Map<BudgetKey, BudgetMeter>();
  readonly pairsByNode = new Map<string, Pair[]>();
  readonly pairsByBudget = new Map<BudgetKey, Pair[]>();

  constructor(private readonly clock: VirtualClock, private readonly heldBackUtilization = 0.98) {}

  addBudget(key: BudgetKey, bitsPerSecond: number): BudgetMeter {
    const meter = new BudgetMeter(key, bitsPerSecond);
    this.meters.set(key, meter);
    this.pairsByBudget.set(key, []);
    return meter;
  }

  pair(node: string, key: BudgetKey): Pair {
    const id = `${node} ${key}`;
    let pair = this.pairs.get(id);
    if (pair === undefined) {
      const meter = this.meters.get(key);
      if (!meter) throw new Error(`budget ${key} was not added to the datapath model`);
      pair = new Pair(node, key, meter);
      pair.lastMs = this.clock.nowMs;
      this.pairs.set(id, pair);
      this.pairsByNode.set(node, [...(this.pairsByNode.get(node) ?? []), pair]);
      this.pairsByBudget.get(key)!.push(pair);
    }
    return pair;
  }

  enforcedBitsPerSecond(pair: Pair, nowMs: number): number {
    if (pair.kernel === null) return Infinity;
    return nowMs < pair.kernel.expiresAtMs ? pair.kernel.bitsPerSecond : pair.kernel.fallbackBitsPerSecond;
  }

  setDemand(pair: Pair, demandBitsPerSecond: number, members: number, selectedPods: number): void {
    this.advance(pair);
    pair.demandBitsPerSecond = demandBitsPerSecond;
    pair.members = members;
    pair.selectedPods = selectedPods;
    this.recompute(pair);
  }

  setKernel(pair: Pair, share: KernelBudgetShare | null): void {
    this.advance(pair);
    pair.kernel = share;
    this.recompute(pair);
    if (share && Number.isFinite(share.expiresAtMs) && share.expiresAtMs < pair.expiryCheckAtMs && share.expiresAtMs > this.clock.nowMs) this.scheduleExpiryCheck(pair, share.expiresAtMs);
  }

  /** The counters as the agent reads them (brought up to now first). */
  read(pair: Pair): { bytes: number; delayedPackets: number } {
    this.advance(pair);
    return { bytes: pair.bytes, delayedPackets: pair.delayedPackets };
  }

  private scheduleExpiryCheck(pair: Pair, atMs: number): void {
    pair.expiryCheckAtMs = atMs;
    this.clock.at(atMs, () => {
      if (pair.expiryCheckAtMs !== atMs) return;
      pair.expiryCheckAtMs = Infinity;
      this.advance(pair);
      this.recompute(pair);
      const expiresAt = pair.kernel?.expiresAtMs ?? Infinity;
      if (Number.isFinite(expiresAt) && expiresAt > this.clock.nowMs) this.scheduleExpiryCheck(pair, expiresAt);
    });
  }

  private advance(pair: Pair): void {
    const now = this.clock.nowMs;
    const elapsed = now - pair.lastMs;
    if (elapsed > 0) {
      pair.bytes += (pair.rate * elapsed) / 8000;
      if (pair.heldBack) pair.delayedPackets += Math.max(1, Math.round((pair.rate * elapsed) / 8000 / 1500 / 10));
    }
    pair.lastMs = now;
  }

  private recompute(pair: Pair): void {
    const now = this.clock.nowMs;
    const share = this.enforcedBitsPerSecond(pair, now);
    const rate = pair.selectedPods === 0 ? 0 : Math.min(pair.demandBitsPerSecond, share);
    pair.heldBack = pair.selectedPods > 0 && Number.isFinite(share) && pair.demandBitsPerSecond > this.heldBackUtilization * share;
    if (rate !== pair.rate) {
      pair.meter.advance(now);
      pair.meter.totalRate += rate - pair.rate;
      pair.rate = rate;
    }
  }
}
