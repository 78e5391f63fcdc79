/**
 * The agent's side of ClusterWide budgets (docs/cluster-budgets.md), the I/O around the pure protocol:
 * - every 500 ms: the datapath's counters of this node's ClusterWide timelines (cluster-budget-samples.ts) →
 *   NodeProtocol → the kernel shares the reconciler enforces (`shareOf`, each with its expiry and fallback,
 *   so the kernel falls back to the floor by itself if this agent dies or stops reaching the API) and, when
 *   due, a report into this node's BandwidthNode spec;
 * - a watch on this node's own BandwidthNode: the allocations, enforced at once;
 * - as an allocator candidate: the Lease every retry period; while leading, a watch on every BandwidthNode,
 *   the Coordinator ticked every second (and 100 ms after a report), its status writes and the budget
 *   summaries.
 * Nothing here blocks the agent: with the API away the protocol holds its shares, then its floors.
 */
import type { Budget } from "../budgets/budget.js";
import type { BudgetObjectWithStatus } from "../budgets/budget-status.js";
import { Coordinator, DEFAULT_COORDINATOR, type ObservedNode } from "../budgets/coordinator.js";
import { DEFAULT_ELECTION, LeaderElector } from "../budgets/leader-election.js";
import { NodeProtocol, type SampleResult } from "../budgets/node-protocol.js";
import { DEFAULT_TIMINGS, type BudgetKey, type BudgetTerms, type KernelBudgetShare } from "../budgets/protocol.js";
import { summaryOf } from "../budgets/summary-wire.js";
import { allocationsOf, reportOf, specOf, statusOf, type BandwidthNodeObject } from "../budgets/wire.js";
import type { ShareOf, BudgetStatusRow } from "../bandwidth/budget-timelines.js";
import type { Datapath } from "../datapath/datapath.js";
import type { ApiAccess } from "../kube/api/access.js";
import type { ApiConnection } from "../kube/api/connection.js";
import { BandwidthNodeClient, createBandwidthNodeSource } from "../kube/bandwidth-nodes.js";
import { writeBudgetSummary } from "../kube/budget-summary-writer.js";
import { LeaseClient } from "../kube/lease-client.js";
import type { ObjectEvent } from "../kube/pod.js";
import type { ObjectInformer } from "../kube/object-informer.js";
import type { StatusReport } from "../status/api.js";
import { adoptedShare, datapathShareOf, podBytesOf, protocolDirection, protocolKey, samplesOf, termsOf, type PodBytes } from "./cluster-budget-samples.js";

export interface ClusterBudgetsOptions {
  connection: ApiConnection;
  nodeName: string;
  candidate: boolean;
  leaseNamespace: string;
  datapath: () => Datapath | null;
  /** Every budget in force in the cluster (the BudgetBook). */
  budgets: () => readonly Budget[];
  /** This node's budget timelines with their members (the reconciler's rows). */
  timelines: () => readonly BudgetStatusRow[];
  /** The shares changed: run a reconcile pass. */
  sharesChanged: () => void;
  access?: ApiAccess;
  log: (line: string) => void;
}

/** What `pacer status` shows of ClusterWide budgets on this node (the status API owns the shape). */
export type ClusterBudgetsReport = NonNullable<StatusReport["clusterBudgets"]>;

const clock = (): number => performance.now();

export class ClusterBudgets {
  private protocol: NodeProtocol | null = null;
  private kernel = new Map<BudgetKey, KernelBudgetShare>();
  private readonly client: BandwidthNodeClient;
  private ownSource: ObjectInformer<BandwidthNodeObject> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private podBytes: PodBytes = new Map();
  private budgetBytes = new Map<BudgetKey, number>();
  private readonly budgetStatus = new Map<string, BudgetObjectWithStatus["status"]>();
  private writing: Promise<void> = Promise.resolve();
  private reportsWritten = 0;
  private reportsFailed = 0;
  // the allocator
  private elector: LeaderElector | null = null;
  private readonly leases: LeaseClient;
  private coordinator: Coordinator | null = null;
  private allSource: ObjectInformer<BandwidthNodeObject> | null = null;
  private allocatorEvents = 0;
  private lastTickMs = -Infinity;
  private termsJson = "";

  constructor(private readonly options: ClusterBudgetsOptions) {
    this.client = new BandwidthNodeClient(options.connection, options.access);
    this.leases = new LeaseClient(options.connection, options.leaseNamespace, undefined, options.access);
  }

  /** The reconciler's share of a budget on this node: the protocol's, or the floor until it has one. */
  readonly shareOf: ShareOf = (budget, direction) => {
    const rate = budget.rates[direction] ?? 0;
    if (budget.mode !== "ClusterWide") return { bitsPerSecond: rate };
    const floor = Math.max(1000, Math.min(rate, this.floorOf(protocolKey(budget.key, direction), budget)));
    const share = this.kernel.get(protocolKey(budget.key, direction));
    if (share === undefined) return { bitsPerSecond: floor, expiresInMs: DEFAULT_TIMINGS.holdMs, fallbackBitsPerSecond: floor };
    return datapathShareOf(share, clock());
  };

  /** BandwidthBudget events (the same source the BudgetBook reads): their status carries the floor in use. */
  observeBudgets(event: ObjectEvent<BudgetObjectWithStatus>): void {
    const id = (object: BudgetObjectWithStatus) => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
    if (event.type === "sync") {
      this.budgetStatus.clear();
      for (const object of event.objects) this.budgetStatus.set(id(object), object.status);
    } else if (event.type === "upsert") this.budgetStatus.set(id(event.object), event.object.status);
    else this.budgetStatus.delete(id(event.object));
  }

  async start(): Promise<void> {
    void this.openProtocol();
    if (this.options.candidate) {
      this.elector = new LeaderElector(this.options.nodeName, DEFAULT_ELECTION);
      this.every(DEFAULT_ELECTION.retryPeriodMs, () => this.electionStep());
      this.every(100, () => (this.coordinator === null ? undefined : this.allocatorTick(this.coordinator)));
    }
  }

  report(): ClusterBudgetsReport {
    const now = clock();
    return {
      allocator: this.coordinator !== null ? "leader" : this.options.candidate ? "candidate" : "not a candidate",
      shares: [...this.kernel].map(([key, share]) => ({ key, bitsPerSecond: share.bitsPerSecond, fallbackBitsPerSecond: share.fallbackBitsPerSecond, expiresInMs: share.expiresAtMs === Infinity ? null : Math.max(0, Math.round(share.expiresAtMs - now)) })),
      reportsWritten: this.reportsWritten,
      reportsFailed: this.reportsFailed,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.stepDown();
    await this.ownSource?.stop();
    await this.writing;
  }

  private every(ms: number, run: () => void | Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.stopped) return;
      busy = true;
      Promise.resolve().then(run).catch((error: unknown) => this.options.log(`cluster budgets: ${(error as Error).message}`)).finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private floorOf(key: BudgetKey, budget: Budget): number {
    const own = budget.minPerNodeBitsPerSecond ?? 1000;
    const published = summaryOf(this.budgetStatus.get(`${budget.namespace}/${budget.name}`), protocolDirection(key.endsWith("/Egress") ? "egress" : "ingress"))?.floorBitsPerSecond;
    return published !== undefined && published > 0 ? Math.min(own, published) : own;
  }

  /** Reads this node's BandwidthNode (report sequence, allocations), then samples and watches. */
  private async openProtocol(): Promise<void> {
    let own: BandwidthNodeObject | null = null;
    for (;;) {
      if (this.stopped) return;
      try {
        own = await this.client.get(this.options.nodeName);
        break;
      } catch (error) {
        this.options.log(`cluster budgets: read BandwidthNode ${this.options.nodeName}: ${(error as Error).message}; retrying (shares stay at their floors)`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    let previousReport = null;
    try {
      previousReport = own === null ? null : reportOf(own);
    } catch (error) {
      this.options.log(`cluster budgets: ${(error as Error).message}`);
    }
    // What the kernel holds from a previous agent, with its expiry and fallback as the kernel enforces them.
    const now = clock();
    const kernel = new Map<BudgetKey, KernelBudgetShare>();
    for (const applied of (await this.options.datapath()?.listBudgets().catch(() => [])) ?? []) {
      kernel.set(protocolKey(applied.key, applied.direction), adoptedShare(applied, now));
    }
    const protocol = new NodeProtocol({ previousReport, kernel }, DEFAULT_TIMINGS);
    this.protocol = protocol;
    const source = createBandwidthNodeSource({ connection: this.options.connection, nodeName: this.options.nodeName, access: this.options.access, log: this.options.log });
    this.ownSource = source;
    const observe = (object: BandwidthNodeObject) => {
      try {
        const allocations = allocationsOf(object);
        if (allocations !== null && !this.stopped) this.act(protocol.statusObserved(clock(), allocations));
      } catch (error) {
        this.options.log(`cluster budgets: ${(error as Error).message}`);
      }
    };
    if (own !== null) observe(own);
    void source.start((event) => {
      if (event.type === "sync") event.objects.forEach(observe);
      else if (event.type === "upsert") observe(event.object);
    });
    this.every(DEFAULT_TIMINGS.sampleMs, () => this.sample());
  }

  private async sample(): Promise<void> {
    const protocol = this.protocol;
    const datapath = this.options.datapath();
    if (protocol === null || datapath === null) return;
    const budgets = new Map(this.options.budgets().map((budget) => [budget.key, budget]));
    const timelines = this.options.timelines().flatMap((row) => {
      const budget = budgets.get(row.key);
      return budget && budget.mode === "ClusterWide" ? [{ budget, direction: row.direction, members: row.members }] : [];
    });
    const [applied, limits] = await Promise.all([datapath.listBudgets(), timelines.length > 0 ? datapath.listLimits() : Promise.resolve([])]);
    const now = podBytesOf(limits);
    const atMs = clock();
    const samples = samplesOf({ atMs, timelines, applied, before: this.podBytes, now, previousBudgetBytes: this.budgetBytes, floorOf: (key, budget) => this.floorOf(key, budget) });
    this.podBytes = now;
    this.budgetBytes = new Map(samples.map((sample) => [sample.key, sample.bytes]));
    this.act(protocol.sample(atMs, samples));
  }

  /** Enforce what the protocol says, write the report it asks for. */
  private act(result: SampleResult): void {
    const before = this.kernel;
    this.kernel = new Map(result.kernel);
    const same = (a: KernelBudgetShare | undefined, b: KernelBudgetShare | undefined) =>
      a !== undefined && b !== undefined && a.bitsPerSecond === b.bitsPerSecond && a.fallbackBitsPerSecond === b.fallbackBitsPerSecond && a.expiresAtMs === b.expiresAtMs;
    const changed = before.size !== this.kernel.size || [...this.kernel].some(([key, share]) => !same(before.get(key), share));
    if (changed) this.options.sharesChanged();
    const report = result.report;
    const protocol = this.protocol;
    if (report === null || protocol === null) return;
    const sentAt = clock();
    this.writing = this.writing.then(async () => {
      try {
        await this.client.writeSpec(this.options.nodeName, specOf(report, new Date()));
        this.reportsWritten += 1;
        protocol.reportSucceeded(sentAt, clock());
      } catch (error) {
        this.reportsFailed += 1;
        protocol.reportFailed(clock(), Math.random());
        this.options.log(`cluster budgets: write the report of ${this.options.nodeName}: ${(error as Error).message}`);
      }
    });
  }

  // --- the allocator -------------------------------------------------------------------------------------

  private async electionStep(): Promise<void> {
    const elector = this.elector;
    if (elector === null) return;
    const got = await this.leases.get();
    if (got === "unreachable") this.coordinator?.apiFailed();
    else this.coordinator?.apiSucceeded(clock());
    const now = Date.now(); // the election compares only its own readings; Lease times are wall-clock
    const step = elector.observe(now, got);
    if (step.kind !== "wait") {
      const result = await this.leases.write(step.record, step.kind === "update" ? step.resourceVersion : undefined);
      elector.written(now, Date.now(), result);
    }
    const leading = elector.isLeader(Date.now());
    if (leading && this.allSource === null && !this.stopped) this.takeOver();
    if (!leading && this.allSource !== null) {
      this.options.log("cluster budgets: no longer the allocator (the Lease was not renewed in time)");
      await this.stepDown();
    }
  }

  private terms(): Map<BudgetKey, BudgetTerms> {
    return termsOf(this.options.budgets());
  }

  private takeOver(): void {
    this.options.log(`cluster budgets: ${this.options.nodeName} is the allocator now (Lease pacer-allocator in ${this.options.leaseNamespace})`);
    const source = createBandwidthNodeSource({ connection: this.options.connection, access: this.options.access, log: this.options.log });
    this.allSource = source;
    const known = new Set<string>();
    const observed = (object: BandwidthNodeObject): ObservedNode | null => {
      try {
        return { name: object.metadata.name, report: reportOf(object), allocations: allocationsOf(object) };
      } catch (error) {
        this.options.log(`cluster budgets: ${(error as Error).message}`);
        return null;
      }
    };
    void source.start((event) => {
      if (this.allSource !== source) return;
      const now = clock();
      if (event.type === "sync") {
        const nodes = event.objects.map(observed).filter((node): node is ObservedNode => node !== null);
        if (this.coordinator === null) {
          const terms = this.terms();
          this.termsJson = JSON.stringify([...terms]);
          const coordinator = new Coordinator(DEFAULT_COORDINATOR, now, nodes, terms);
          for (const budget of this.options.budgets()) {
            for (const direction of ["egress", "ingress"] as const) {
              const summary = summaryOf(this.budgetStatus.get(`${budget.namespace}/${budget.name}`), protocolDirection(direction));
              if (summary !== null) coordinator.adoptSummary(protocolKey(budget.key, direction), summary, now);
            }
          }
          this.coordinator = coordinator;
        } else {
          for (const name of known) if (!nodes.some((node) => node.name === name)) this.coordinator.nodeDeleted(name);
          for (const node of nodes) this.coordinator.nodeObserved(now, node);
        }
        known.clear();
        for (const node of nodes) known.add(node.name);
      } else if (event.type === "upsert") {
        const node = observed(event.object);
        if (node !== null && this.coordinator !== null) {
          known.add(node.name);
          this.coordinator.nodeObserved(now, node);
          this.allocatorEvents += 1;
        }
      } else {
        known.delete(event.object.metadata.name);
        this.coordinator?.nodeDeleted(event.object.metadata.name);
      }
    });
  }

  private async allocatorTick(coordinator: Coordinator): Promise<void> {
    if (this.coordinator !== coordinator) return;
    const now = clock();
    if (this.allocatorEvents === 0 && now - this.lastTickMs < DEFAULT_TIMINGS.allocateMs && now < coordinator.dueAtMs) return;
    this.allocatorEvents = 0;
    this.lastTickMs = now;
    const terms = this.terms();
    const json = JSON.stringify([...terms]);
    if (json !== this.termsJson) {
      this.termsJson = json;
      coordinator.budgetsChanged(terms);
    }
    const { statusWrites, summaryWrites } = coordinator.tick(now);
    await Promise.all([
      ...statusWrites.map(async (write) => {
        try {
          await this.client.writeStatus(write.node, statusOf(write.allocations));
          coordinator.apiSucceeded(clock());
        } catch (error) {
          coordinator.apiFailed();
          coordinator.statusWriteFailed(write.node);
          this.options.log(`cluster budgets: write the allocations of ${write.node}: ${(error as Error).message}`);
        }
      }),
      ...summaryWrites.map(async ({ key, summary }) => {
        try {
          await writeBudgetSummary(this.options.connection, key, summary, this.options.access);
        } catch {
          coordinator.summaryWriteFailed(key, clock());
        }
      }),
    ]);
  }

  private async stepDown(): Promise<void> {
    const source = this.allSource;
    this.allSource = null;
    this.coordinator = null;
    await source?.stop();
  }
}
