/**
 * The Kubernetes API as the budget simulator sees it (a model, not a server): BandwidthNode objects (spec
 * and status written separately, as through the status subresource), one coordination.k8s.io Lease with
 * resourceVersion compare-and-swap, BandwidthBudget status writes, and watches — each agent on its own
 * object, the allocator on all of them — delivered in order per watcher after a random delay.
 *
 * Faults: request latency; writes lost (half rejected, half applied with the response lost, so the client
 * believes it failed); watch stalls; outages during which every request fails after the client's timeout
 * and watches break, re-listing when the server is back. Counts every write, read and watch event, in
 * total and per second of virtual time.
 */
import type { ElectionStep, LeaseRecord, ObservedLease } from "../../src/budgets/leader-election.js";
import type { ObservedNode } from "../../src/budgets/coordinator.js";
import type { BudgetSummary } from "../../src/budgets/budget-summary.js";
import type { BudgetKey, NodeAllocations, NodeReport } from "../../src/budgets/protocol.js";
import type { Random } from "./random.js";
import type { VirtualClock } from "./virtual-clock.js";

export interface ApiModelOptions {
  requestLatencyMedianMs: number;
  watchDelayMedianMs: number;
  /** Log-normal sigma of watch delays (0.9: p99 ≈ 8× the median). */
  watchDelaySigma: number;
  /**
   * Stalls per watch stream per minute of virtual time (Poisson), each watchStallMs long, holding every event
   * of the stream behind it. Per stream and per time, not per event: the allocator's one stream carries every
   * node's events (~300/s at 1,000 nodes), and a per-event chance (0.2% of events, as this model first had)
   * stalled it about every 1.6 s, so its events lagged 0.8 s at the median and 2 s at p90 — a stream that is
   * hardly ever moving, which no API server shows.
   */
  watchStallsPerMinute: number;
  /** The model before: this chance per event of a stall (kept for the comparison in bench/budgets-sim.ts). */
  watchStallPerEvent?: number;
  watchStallMs: number;
  writeLossProbability: number;
  requestTimeoutMs: number;
  relistDelayMs: number;
  outages: ReadonlyArray<{ fromMs: number; toMs: number }>;
}

export const DEFAULT_API_MODEL: ApiModelOptions = {
  requestLatencyMedianMs: 8,
  watchDelayMedianMs: 40,
  watchDelaySigma: 0.9,
  // Once a minute per stream: for an agent's own stream (~0.3 events/s) more often than the 0.2% of events
  // this replaced; for the allocator's, a 2-s hold of all events every minute.
  watchStallsPerMinute: 1,
  watchStallMs: 2000,
  writeLossProbability: 0.01,
  requestTimeoutMs: 1000,
  relistDelayMs: 500,
  outages: [],
};

export type WriteKind = "agentReport" | "allocatorStatus" | "budgetStatus" | "lease";
export type EventKind = "ownNode" | "allocator" | "budget";
export type ReadKind = "leaseGet" | "nodeGet" | "list";

export class ApiCounters {
  readonly writes: Record<WriteKind, number> = { agentReport: 0, allocatorStatus: 0, budgetStatus: 0, lease: 0 };
  readonly failedRequests = { count: 0 };
  readonly events: Record<EventKind, number> = { ownNode: 0, allocator: 0, budget: 0 };
  readonly reads: Record<ReadKind, number> = { leaseGet: 0, nodeGet: 0, list: 0 };
  /** Per second of virtual time: writes (all kinds) and watch events (all kinds). */
  readonly writesPerSecond: number[] = [];
  readonly eventsPerSecond: number[] = [];
  readonly reportsPerSecond: number[] = [];

  bump(series: number[], atMs: number, by = 1): void {
    const second = Math.floor(atMs / 1000);
    while (series.length <= second) series.push(0);
    series[second] = (series[second] ?? 0) + by;
  }
}

interface Stored {
  report: NodeReport | null;
  allocations: NodeAllocations | null;
}

interface Watcher {
  deliverAtLeastMs: number;
  /** When the stream's next stall begins (drawn at its first event, then after each stall). */
  nextStallAtMs: number | null;
  handler: (node: ObservedNode) => void;
  relist: () => void;
  kind: "ownNode" | "allocator";
  closed: boolean;
}

type Outcome = "applied" | "rejected" | "appliedResponseLost" | "down";

export class FakeApi {
  readonly counters = new ApiCounters();
  private readonly nodes = new Map<string, Stored>();
  /** The summaries in the BandwidthBudgets' status (every agent has them: it watches budgets). */
  readonly budgetSummaries = new Map<BudgetKey, BudgetSummary>();
  /** The summary each budget had before its latest write (an agent may not have seen the latest yet). */
  readonly previousBudgetSummaries = new Map<BudgetKey, BudgetSummary>();
  private lease: ObservedLease | null = null;
  private leaseVersion = 0;
  private readonly own = new Map<string, Set<Watcher>>();
  private readonly all = new Set<Watcher>();

  constructor(private readonly clock: VirtualClock, private readonly random: Random, private readonly options: ApiModelOptions, private readonly budgetWatchers: () => number) {
    for (const outage of options.outages) clock.at(outage.toMs, () => this.relistAll());
  }

  /** What is stored for a node now (for the simulator's checks, not a request). */
  peek(name: string): ObservedNode | null {
    const stored = this.nodes.get(name);
    return stored ? { name, ...stored } : null;
  }

  isDown(atMs: number): boolean {
    return this.options.outages.some((outage) => atMs >= outage.fromMs && atMs < outage.toMs);
  }

  writeSpec(name: string, report: NodeReport, done: (ok: boolean) => void): void {
    this.write("agentReport", done, () => {
      const stored = this.stored(name);
      stored.report = report;
      this.counters.bump(this.counters.reportsPerSecond, this.clock.nowMs);
      this.emit(name, stored);
    });
  }

  writeStatus(name: string, allocations: NodeAllocations, done: (ok: boolean) => void): void {
    this.write("allocatorStatus", done, () => {
      const stored = this.nodes.get(name);
      if (!stored) return; // the object is gone (a status write cannot create it)
      stored.allocations = allocations;
      this.emit(name, stored);
    });
  }

  writeBudgetStatus(key: BudgetKey, summary: BudgetSummary, done: (ok: boolean) => void): void {
    this.write("budgetStatus", done, () => {
      const previous = this.budgetSummaries.get(key);
      if (previous) this.previousBudgetSummaries.set(key, previous);
      this.budgetSummaries.set(key, summary);
      const watchers = this.budgetWatchers();
      this.counters.events.budget += watchers;
      this.counters.bump(this.counters.eventsPerSecond, this.clock.nowMs, watchers);
    });
  }

  getNode(name: string, done: (node: ObservedNode | null | "unreachable") => void): void {
    this.read("nodeGet", () => {
      const stored = this.nodes.get(name);
      done(stored ? { name, ...stored } : null);
    }, () => done("unreachable"));
  }

  listNodes(done: (nodes: ObservedNode[] | "unreachable") => void): void {
    this.read("list", () => done([...this.nodes].map(([name, stored]) => ({ name, ...stored }))), () => done("unreachable"));
  }

  getLease(done: (lease: ObservedLease | "absent" | "unreachable") => void): void {
    this.read("leaseGet", () => done(this.lease ?? "absent"), () => done("unreachable"));
  }

  writeLease(step: Exclude<ElectionStep, { kind: "wait" }>, done: (result: { ok: true; lease: ObservedLease } | { ok: false }) => void): void {
    let written: ObservedLease | null = null;
    this.write("lease", (ok) => done(ok && written ? { ok: true, lease: written } : { ok: false }), () => {
      const expected = step.kind === "create" ? null : step.resourceVersion;
      if ((this.lease?.resourceVersion ?? null) !== expected) return false;
      written = { record: { ...step.record } as LeaseRecord, resourceVersion: String(++this.leaseVersion) };
      this.lease = written;
      return true;
    });
  }

  watchNode(name: string, handler: (node: ObservedNode) => void): () => void {
    const watcher: Watcher = { deliverAtLeastMs: 0, nextStallAtMs: null, handler, relist: () => this.getNode(name, (node) => node && node !== "unreachable" && handler(node)), kind: "ownNode", closed: false };
    const set = this.own.get(name) ?? new Set();
    set.add(watcher);
    this.own.set(name, set);
    return () => ((watcher.closed = true), set.delete(watcher));
  }

  watchAllNodes(handler: (node: ObservedNode) => void, relist: (nodes: ObservedNode[]) => void): () => void {
    const watcher: Watcher = { deliverAtLeastMs: 0, nextStallAtMs: null, handler, relist: () => this.listNodes((nodes) => nodes !== "unreachable" && relist(nodes)), kind: "allocator", closed: false };
    this.all.add(watcher);
    return () => ((watcher.closed = true), this.all.delete(watcher));
  }

  private stored(name: string): Stored {
    let stored = this.nodes.get(name);
    if (!stored) this.nodes.set(name, (stored = { report: null, allocations: null }));
    return stored;
  }

  private latency(): number {
    return this.random.logNormal(this.options.requestLatencyMedianMs, 0.6);
  }

  /** A write: `apply` runs at the server (returning false refuses it, e.g. a stale resourceVersion). */
  private write(kind: WriteKind, done: (ok: boolean) => void, apply: () => boolean | void, lossy = true): void {
    const sent = this.clock.nowMs;
    const latency = this.latency();
    const outcome = this.outcome(sent + latency / 2, lossy);
    if (outcome === "down") return void this.clock.at(sent + this.options.requestTimeoutMs, () => (this.counters.failedRequests.count++, done(false)));
    this.clock.at(sent + latency / 2, () => {
      if (outcome === "rejected") return void this.clock.after(latency / 2, () => (this.counters.failedRequests.count++, done(false)));
      const accepted = apply() !== false;
      this.counters.writes[kind]++;
      this.counters.bump(this.counters.writesPerSecond, this.clock.nowMs);
      if (outcome === "appliedResponseLost") this.clock.at(sent + this.options.requestTimeoutMs, () => done(false));
      else this.clock.after(latency / 2, () => done(accepted));
    });
  }

  private read(kind: ReadKind, answer: () => void, unreachable: () => void): void {
    const sent = this.clock.nowMs;
    const latency = this.latency();
    this.counters.reads[kind]++;
    if (this.isDown(sent + latency / 2)) return void this.clock.at(sent + this.options.requestTimeoutMs, unreachable);
    this.clock.at(sent + latency, answer);
  }

  private outcome(arrivalMs: number, lossy: boolean): Outcome {
    if (this.isDown(arrivalMs)) return "down";
    if (lossy && this.random.chance(this.options.writeLossProbability)) return this.random.chance(0.5) ? "rejected" : "appliedResponseLost";
    return "applied";
  }

  private emit(name: string, stored: Stored): void {
    const event: ObservedNode = { name, report: stored.report, allocations: stored.allocations };
    for (const watcher of [...(this.own.get(name) ?? []), ...this.all]) this.deliver(watcher, event);
  }

  private deliver(watcher: Watcher, event: ObservedNode): void {
    const delay = this.random.logNormal(this.options.watchDelayMedianMs, this.options.watchDelaySigma);
    const now = this.clock.nowMs;
    const stallGap = (): number => (this.options.watchStallsPerMinute > 0 ? this.random.exponential(60_000 / this.options.watchStallsPerMinute) : Infinity);
    watcher.nextStallAtMs ??= now + stallGap();
    let stalledUntil = 0;
    while (watcher.nextStallAtMs <= now) {
      // A stall that began before this event and is not over holds it; one that is over is past.
      stalledUntil = watcher.nextStallAtMs + this.options.watchStallMs;
      watcher.nextStallAtMs = stalledUntil + stallGap();
    }
    if (this.options.watchStallPerEvent && this.random.chance(this.options.watchStallPerEvent)) stalledUntil = Math.max(stalledUntil, now + delay + this.options.watchStallMs);
    const at = Math.max(now + delay, watcher.deliverAtLeastMs, stalledUntil);
    watcher.deliverAtLeastMs = at;
    this.clock.at(at, () => {
      if (watcher.closed) return;
      this.counters.events[watcher.kind]++;
      this.counters.bump(this.counters.eventsPerSecond, this.clock.nowMs);
      watcher.handler(event);
    });
  }

  /** After an outage every watch re-lists, spread over relistDelayMs. */
  private relistAll(): void {
    for (const watcher of [...this.all, ...[...this.own.values()].flatMap((set) => [...set])]) {
      this.clock.after(this.random.uniform(0, this.options.relistDelayMs), () => !watcher.closed && watcher.relist());
    }
  }
}
