/**
 * One simulated pacer agent: the REAL protocol code (src/budgets/: NodeProtocol on every node, and on the
 * Lease holder the Coordinator) driven by the virtual clock against the API model and the datapath model.
 * This file only does the I/O the real agent would do: sample counters every 500 ms, write the kernel's
 * budget configs, write reports, watch its own BandwidthNode, and — as a Lease candidate — elect, take over
 * from the published objects, watch all BandwidthNodes, tick the allocator and write what it says.
 * A crash stops all of it at once; the kernel (the datapath model) keeps what was written last.
 */
import { Coordinator, type CoordinatorTuning, type ObservedNode } from "../../src/budgets/coordinator.js";
import { LeaderElector, type ElectionTuning } from "../../src/budgets/leader-election.js";
import { NodeProtocol, type LocalBudgetSample, type SampleResult } from "../../src/budgets/node-protocol.js";
import type { BudgetKey, BudgetTerms, KernelBudgetShare, ProtocolTimings } from "../../src/budgets/protocol.js";
import type { DatapathModel } from "./datapath-model.js";
import type { FakeApi } from "./fake-api.js";
import type { Random } from "./random.js";
import type { Scheduled, VirtualClock } from "./virtual-clock.js";

export interface AgentEnvironment {
  clock: VirtualClock;
  api: FakeApi;
  datapath: DatapathModel;
  random: Random;
  budgets: ReadonlyMap<BudgetKey, BudgetTerms>;
  timings: ProtocolTimings;
  coordinator: CoordinatorTuning;
  election: ElectionTuning;
  /** Called when this agent's allocator ticks for the first time after taking over. */
  onTakeover(node: string, atMs: number): void;
  onAllocatorTick(coordinator: Coordinator, atMs: number): void;
  /** Counts of why reports were written (ReportReason → count), when given. */
  reportReasons?: Map<string, number>;
}

const sameShare = (a: KernelBudgetShare | null, b: KernelBudgetShare | null): boolean =>
  a === b || (a !== null && b !== null && a.bitsPerSecond === b.bitsPerSecond && a.expiresAtMs === b.expiresAtMs && a.fallbackBitsPerSecond === b.fallbackBitsPerSecond);

export class SimAgent {
  alive = false;
  private incarnation = 0;
  private protocol: NodeProtocol | null = null;
  private timers: Scheduled[] = [];
  private unwatch: Array<() => void> = [];
  private elector: LeaderElector | null = null;
  private coordinator: Coordinator | null = null;
  private allocatorEvents = 0;
  private lastAllocatorTickMs = -Infinity;

  constructor(readonly node: string, private readonly env: AgentEnvironment, readonly candidate: boolean) {}

  get isLeading(): boolean {
    return this.coordinator !== null;
  }

  start(): void {
    this.alive = true;
    const incarnation = ++this.incarnation;
    const { clock, api } = this.env;
    const getOwn = (): void =>
      api.getNode(this.node, (own) => {
        if (incarnation !== this.incarnation) return;
        if (own === "unreachable") return void this.timers.push(clock.after(1000, getOwn));
        const kernel = new Map<BudgetKey, KernelBudgetShare>();
        for (const pair of this.env.datapath.pairsByNode.get(this.node) ?? []) if (pair.kernel) kernel.set(pair.key, pair.kernel);
        this.protocol = new NodeProtocol({ previousReport: own?.report ?? null, kernel }, this.env.timings);
        this.unwatch.push(api.watchNode(this.node, (node) => {
          if (incarnation === this.incarnation && node.allocations && this.protocol) this.act(incarnation, this.protocol, this.protocol.statusObserved(clock.nowMs, node.allocations));
        }));
        if (own?.allocations) this.act(incarnation, this.protocol, this.protocol.statusObserved(clock.nowMs, own.allocations));
        this.timers.push(clock.every(clock.nowMs + this.env.random.uniform(0, this.env.timings.sampleMs), this.env.timings.sampleMs, () => this.sample(incarnation)));
      });
    getOwn();
    if (this.candidate) {
      this.elector = new LeaderElector(this.node, this.env.election);
      const period = this.env.election.retryPeriodMs;
      this.timers.push(clock.every(clock.nowMs + this.env.random.uniform(0, period), period, () => this.electionStep(incarnation)));
    }
  }

  crash(): void {
    this.alive = false;
    this.incarnation++;
    for (const timer of this.timers) timer.cancelled = true;
    for (const unwatch of this.unwatch) unwatch();
    this.timers = [];
    this.unwatch = [];
    this.protocol = null;
    this.elector = null;
    this.coordinator = null;
  }

  private sample(incarnation: number): void {
    const protocol = this.protocol;
    if (protocol === null || incarnation !== this.incarnation) return;
    const { clock, datapath, budgets } = this.env;
    const now = clock.nowMs;
    const pairs = datapath.pairsByNode.get(this.node) ?? [];
    const samples: LocalBudgetSample[] = [];
    for (const pair of pairs) {
      if (pair.selectedPods === 0) continue;
      const counters = datapath.read(pair);
      const published = this.env.api.budgetSummaries.get(pair.key)?.floorBitsPerSecond ?? Infinity; // from the BandwidthBudget every agent watches
      samples.push({ key: pair.key, floorBitsPerSecond: Math.min(budgets.get(pair.key)!.floorBitsPerSecond, published), atMs: now, bytes: counters.bytes, delayedPackets: counters.delayedPackets, activeMembers: pair.rate > 0 ? pair.members : 0 });
    }
    this.act(incarnation, protocol, protocol.sample(now, samples));
  }

  /** Write what the protocol says into the kernel, and the report if one is due. */
  private act(incarnation: number, protocol: NodeProtocol, result: SampleResult): void {
    const { clock, datapath, api } = this.env;
    const now = clock.nowMs;
    for (const pair of datapath.pairsByNode.get(this.node) ?? []) {
      const share = result.kernel.get(pair.key) ?? null;
      if (!sameShare(pair.kernel, share)) datapath.setKernel(pair, share);
    }
    if (result.report === null) return;
    const reasons = this.env.reportReasons;
    if (reasons && result.reason) reasons.set(result.reason, (reasons.get(result.reason) ?? 0) + 1);
    const sentAt = now;
    api.writeSpec(this.node, result.report, (ok) => {
      if (incarnation !== this.incarnation) return;
      if (ok) protocol.reportSucceeded(sentAt, clock.nowMs);
      else protocol.reportFailed(clock.nowMs, this.env.random.next());
    });
  }

  private electionStep(incarnation: number): void {
    const { clock, api } = this.env;
    api.getLease((lease) => {
      const elector = this.elector;
      if (elector === null || incarnation !== this.incarnation) return;
      if (lease === "unreachable") this.coordinator?.apiFailed();
      else this.coordinator?.apiSucceeded(clock.nowMs);
      const step = elector.observe(clock.nowMs, lease);
      if (step.kind === "wait") return void this.checkLeadership(incarnation);
      const sentAt = clock.nowMs;
      api.writeLease(step, (result) => {
        if (incarnation !== this.incarnation) return;
        elector.written(sentAt, clock.nowMs, result);
        if (result.ok) this.coordinator?.apiSucceeded(clock.nowMs);
        this.checkLeadership(incarnation);
      });
    });
  }

  private checkLeadership(incarnation: number): void {
    const now = this.env.clock.nowMs;
    const leading = this.elector?.isLeader(now) ?? false;
    if (leading && this.coordinator === null) this.takeOver(incarnation);
    if (!leading && this.coordinator !== null) this.stepDown();
  }

  private takeOver(incarnation: number): void {
    const { api, clock } = this.env;
    api.listNodes((nodes) => {
      if (incarnation !== this.incarnation || nodes === "unreachable" || this.coordinator !== null || !this.elector?.isLeader(clock.nowMs)) return;
      const coordinator = new Coordinator(this.env.coordinator, clock.nowMs, nodes, this.env.budgets);
      for (const [key, summary] of api.budgetSummaries) coordinator.adoptSummary(key, summary, clock.nowMs);
      this.coordinator = coordinator;
      const observe = (node: ObservedNode): void => {
        if (this.coordinator !== coordinator) return;
        coordinator.nodeObserved(clock.nowMs, node);
        this.allocatorEvents++;
      };
      const unwatch = api.watchAllNodes(observe, (all) => all.forEach(observe));
      this.unwatch.push(unwatch);
      let first = true;
      const loop = clock.every(clock.nowMs, 100, () => {
        if (this.coordinator !== coordinator) return void ((loop.cancelled = true), unwatch());
        if (!this.elector?.isLeader(clock.nowMs)) return this.stepDown();
        if (this.allocatorEvents === 0 && clock.nowMs - this.lastAllocatorTickMs < this.env.timings.allocateMs && clock.nowMs < coordinator.dueAtMs) return;
        this.allocatorEvents = 0;
        this.lastAllocatorTickMs = clock.nowMs;
        this.allocatorTick(coordinator, incarnation);
        if (first) (this.env.onTakeover(this.node, clock.nowMs), (first = false));
      });
      this.timers.push(loop);
    });
  }

  private stepDown(): void {
    this.coordinator = null;
  }

  private allocatorTick(coordinator: Coordinator, incarnation: number): void {
    const { api, clock } = this.env;
    const { statusWrites, summaryWrites } = coordinator.tick(clock.nowMs);
    this.env.onAllocatorTick(coordinator, clock.nowMs);
    for (const write of statusWrites) {
      api.writeStatus(write.node, write.allocations, (ok) => {
        if (incarnation !== this.incarnation || this.coordinator !== coordinator) return;
        if (ok) coordinator.apiSucceeded(clock.nowMs);
        else (coordinator.apiFailed(), coordinator.statusWriteFailed(write.node));
      });
    }
    for (const { key, summary } of summaryWrites) {
      api.writeBudgetStatus(key, summary, (ok) => {
        if (!ok && this.coordinator === coordinator) coordinator.summaryWriteFailed(key, clock.nowMs);
      });
    }
  }
}
