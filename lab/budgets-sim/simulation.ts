/**
 * One run of the cluster-wide budget simulator: N simulated agents (sim-agent.ts: the real protocol code)
 * on a virtual clock, the workload's demand over time, the API and datapath models, and a fault plan —
 * an API outage, leader crashes, agent crashes (short and past the expiry), nodes joining — with lost
 * writes and watch delays throughout. Returns the raw measurements; summary.ts turns them into numbers.
 */
import { DEFAULT_COORDINATOR, type Coordinator, type CoordinatorTuning } from "../../src/budgets/coordinator.js";
import { DEFAULT_ELECTION, type ElectionTuning } from "../../src/budgets/leader-election.js";
import { DEFAULT_TIMINGS, type BudgetKey, type BudgetTerms, type ProtocolTimings } from "../../src/budgets/protocol.js";
import { DatapathModel, type Pair } from "./datapath-model.js";
import { DEFAULT_API_MODEL, FakeApi, type ApiModelOptions } from "./fake-api.js";
import { CHECK_MS, Measurements } from "./measure.js";
import { Random } from "./random.js";
import { SimAgent, type AgentEnvironment } from "./sim-agent.js";
import { VirtualClock } from "./virtual-clock.js";
import { Workload, type PairWorkload, type Sender } from "./workload.js";

export interface FaultPlan {
  outage: { atMs: number; durationMs: number } | null;
  leaderCrashes: Array<{ atMs: number; downMs: number }>;
  agentCrashes: Array<{ atMs: number; fraction: number; downMs: number }>;
  joins: Array<{ atMs: number; count: number; budgetsEach: number }>;
}

export interface SimulationOptions {
  nodes: number;
  budgets: number;
  durationMs: number;
  warmupMs: number;
  seed: number;
  /** Agents that stand for the allocator's Lease. */
  candidates: number;
  api: Partial<ApiModelOptions>;
  faults: FaultPlan;
  /** Demand shifts and bursts on (false: only the diurnal drift, for the API's baseline load). */
  shifts: boolean;
  /** The diurnal drift's period (default 600 s: a day squeezed into the run). */
  diurnalPeriodMs: number;
  coordinator: CoordinatorTuning;
  timings: ProtocolTimings;
  election: ElectionTuning;
}

/** The standard fault plan of a 600 s run (docs/cluster-budgets.md lists it). */
export const standardFaults = (nodes: number): FaultPlan => ({
  outage: { atMs: 200_000, durationMs: 45_000 },
  leaderCrashes: [{ atMs: 300_000, downMs: 20_000 }],
  agentCrashes: [
    { atMs: 360_000, fraction: 0.01, downMs: 10_000 },
    { atMs: 360_000, fraction: 0.01, downMs: 150_000 },
  ],
  joins: [{ atMs: 430_000, count: Math.max(3, Math.round(nodes * 0.005)), budgetsEach: 3 }],
});

export const simulationDefaults = (nodes: number): SimulationOptions => ({
  nodes, budgets: 100, durationMs: 600_000, warmupMs: 60_000, seed: 11, candidates: 3, api: {},
  faults: standardFaults(nodes), shifts: true, diurnalPeriodMs: 600_000, coordinator: DEFAULT_COORDINATOR, timings: DEFAULT_TIMINGS, election: DEFAULT_ELECTION,
});

export interface OutageCheck {
  pairs: number;
  /**
   * Pairs whose enforced share at the end of the outage is below both what it enforced when the outage
   * began and the last allocation the allocator wrote for it before (decreases in flight are not drops).
   */
  dropped: number;
  zeroOrUnshaped: number;
  /**
   * Pairs whose senders had all stopped by the end (members 0) with their share below it: a node with no
   * sender releases its share (node-shares.ts), which no Pod can notice; not counted as dropped.
   */
  releasedIdle: number;
  /**
   * Pairs whose senders stopped within 5 s before the outage or during it, and started again during it, at
   * their floor: the node released its share, and its release report may have reached the allocator (a
   * write whose response was lost) and been handed to other nodes, so until the API answers it keeps the
   * floor, never zero (docs/cluster-budgets.md, "The API server away"). Not dropped; below the floor would be.
   */
  releasedThenRestarted: number;
  /** The dropped and zero-or-unshaped pairs, for the report (the first few). */
  examples: Array<{ node: string; key: BudgetKey; beforeBitsPerSecond: number; nowBitsPerSecond: number; toldBitsPerSecond: number; members: number }>;
}

export interface SimulationRun {
  options: SimulationOptions;
  measurements: Measurements;
  api: FakeApi;
  datapath: DatapathModel;
  terms: ReadonlyMap<BudgetKey, BudgetTerms>;
  takeovers: Array<{ node: string; atMs: number }>;
  leaderCrashes: Array<{ node: string; atMs: number }>;
  longCrashes: Array<{ node: string; atMs: number }>;
  expiredAtMs: Map<string, number>;
  /** Max over budgets and checks of Σ claims (the allocator's books) / budget. */
  maxClaimRatio: number;
  outage: OutageCheck | null;
  joined: string[];
  wallMs: number;
  events: number;
  reportReasons: Map<string, number>;
}

export function runSimulation(options: SimulationOptions): SimulationRun {
  const started = performance.now();
  const clock = new VirtualClock();
  const random = new Random(options.seed);
  const names = Array.from({ length: options.nodes }, (_, index) => `node-${index}`);
  const workload = new Workload(random, names, options.budgets, options.diurnalPeriodMs);
  const terms = new Map<BudgetKey, BudgetTerms>(workload.budgets.map((budget) => [budget.key, { bitsPerSecond: budget.bitsPerSecond, floorBitsPerSecond: budget.floorBitsPerSecond }]));
  const datapath = new DatapathModel(clock);
  for (const budget of workload.budgets) datapath.addBudget(budget.key, budget.bitsPerSecond);
  const measurements = new Measurements(datapath, terms, options.coordinator.reserveFraction);
  const pairOf = (pair: PairWorkload): Pair => datapath.pair(pair.node, pair.key);
  const lastIdleAtMs = new Map<Pair, number>();
  const applyDemand = (pair: PairWorkload): void => {
    const demand = workload.demandOf(pair, clock.nowMs);
    if (demand.members === 0) lastIdleAtMs.set(pairOf(pair), clock.nowMs);
    datapath.setDemand(pairOf(pair), demand.demandBitsPerSecond, demand.members, demand.selectedPods);
    measurements.demandChanged(pair.key);
  };
  for (const pair of workload.pairs.values()) applyDemand(pair);

  let alive = 0;
  const outages = options.faults.outage ? [{ fromMs: options.faults.outage.atMs, toMs: options.faults.outage.atMs + options.faults.outage.durationMs }] : [];
  const api = new FakeApi(clock, random, { ...DEFAULT_API_MODEL, ...options.api, outages }, () => alive);
  const run: SimulationRun = {
    options, measurements, api, datapath, terms, takeovers: [], leaderCrashes: [], longCrashes: [], expiredAtMs: new Map(), maxClaimRatio: 0, outage: null, joined: [], wallMs: 0, events: 0, reportReasons: new Map(),
  };
  let lastClaimCheck = -Infinity;
  const env: AgentEnvironment = {
    clock, api, datapath, random, budgets: terms, timings: options.timings, coordinator: options.coordinator, election: options.election, reportReasons: run.reportReasons,
    onTakeover: (node, atMs) => run.takeovers.push({ node, atMs }),
    onAllocatorTick: (coordinator: Coordinator, atMs) => {
      for (const node of coordinator.expiredNodes()) if (!run.expiredAtMs.has(node)) run.expiredAtMs.set(node, atMs);
      if (atMs - lastClaimCheck < 10_000) return;
      lastClaimCheck = atMs;
      for (const [key, budget] of terms) run.maxClaimRatio = Math.max(run.maxClaimRatio, coordinator.claimedBitsPerSecond(key) / budget.bitsPerSecond);
    },
  };
  const candidates = new Set(random.sample(names, options.candidates));
  const agents = new Map(names.map((name) => [name, new SimAgent(name, env, candidates.has(name))]));
  const start = (agent: SimAgent): void => (agent.start(), void alive++);
  const crash = (agent: SimAgent, downMs: number): void => {
    if (!agent.alive) return;
    agent.crash();
    alive--;
    clock.after(downMs, () => start(agent));
  };
  for (const agent of agents.values()) clock.at(random.uniform(0, 2000), () => start(agent));

  // The workload over time.
  const activate = (key: BudgetKey, kind: string, starting: Array<{ pair: PairWorkload; sender: Sender }>): void => {
    const gaining = starting.filter(({ pair }) => pair.senders.every((sender) => !sender.active));
    for (const { sender } of starting) sender.active = true;
    for (const { pair } of starting) applyDemand(pair);
    for (const { pair } of gaining) {
      // The floors the node may know: its allocation's, the budget status's, and the one before (a status
      // written in the last half second may not have reached its agent yet).
      const floors = [
        api.peek(pair.node)?.allocations?.allocations.get(pair.key)?.floorBitsPerSecond ?? 0,
        api.budgetSummaries.get(pair.key)?.floorBitsPerSecond ?? 0,
        api.previousBudgetSummaries.get(pair.key)?.floorBitsPerSecond ?? 0,
      ].filter((floor) => floor > 0);
      measurements.senderStarted(pairOf(pair), clock.nowMs, floors.length > 0 ? Math.min(...floors) : 0);
    }
    measurements.shift(key, clock.nowMs, kind);
  };
  clock.every(10_000, 10_000, () => {
    for (const pair of workload.pairs.values()) if (pair.senders.some((sender) => sender.active && sender.kind === "app")) applyDemand(pair);
  });
  for (const budget of options.shifts ? workload.budgets : []) {
    for (let at = options.warmupMs + random.uniform(0, 40_000); at < options.durationMs - 30_000; at += random.uniform(30_000, 50_000)) {
      clock.at(at, () => {
        const { kind, changed, activateLater } = workload.shift(budget.key);
        if (kind !== "start") {
          for (const pair of changed) applyDemand(pair);
          return measurements.shift(budget.key, clock.nowMs, kind);
        }
        for (const { pair } of activateLater) applyDemand(pair); // selected now, sending in 2 s
        clock.after(2000, () => activate(budget.key, kind, activateLater));
      });
    }
    for (let at = options.warmupMs + random.uniform(0, 120_000); at < options.durationMs - 10_000; at += random.uniform(60_000, 180_000)) {
      clock.at(at, () => {
        const burst = workload.burstCandidate(budget.key);
        if (burst === null) return;
        burst.sender.burst = 5;
        applyDemand(burst.pair);
        measurements.shift(budget.key, clock.nowMs, "burst");
        clock.after(3000, () => ((burst.sender.burst = 1), applyDemand(burst.pair), measurements.shift(budget.key, clock.nowMs, "burst-end")));
      });
    }
  }

  // Faults.
  const { faults } = options;
  const budgetsOn = (nodes: readonly string[]): Set<BudgetKey> => new Set(nodes.flatMap((node) => (datapath.pairsByNode.get(node) ?? []).map((pair) => pair.key)));
  if (faults.outage) {
    const { atMs, durationMs } = faults.outage;
    measurements.faults.push({ name: "api-outage", fromMs: atMs, toMs: atMs + durationMs + 30_000, budgets: null });
    const before = new Map<Pair, number>();
    clock.at(atMs - 1, () => {
      for (const pairs of datapath.pairsByNode.values()) for (const pair of pairs) if (pair.selectedPods > 0) before.set(pair, datapath.enforcedBitsPerSecond(pair, clock.nowMs));
    });
    clock.at(atMs + durationMs - 1, () => {
      const check: OutageCheck = { pairs: before.size, dropped: 0, zeroOrUnshaped: 0, releasedIdle: 0, releasedThenRestarted: 0, examples: [] };
      const example = (pair: Pair, share: number, now: number, told: number): void => void (check.examples.length < 5 && check.examples.push({ node: pair.node, key: pair.key, beforeBitsPerSecond: share, nowBitsPerSecond: now, toldBitsPerSecond: told, members: pair.members }));
      for (const [pair, share] of before) {
        const now = datapath.enforcedBitsPerSecond(pair, clock.nowMs);
        const allocation = api.peek(pair.node)?.allocations?.allocations.get(pair.key);
        const told = allocation?.bitsPerSecond ?? 0;
        const last = told > 0 ? told : terms.get(pair.key)!.floorBitsPerSecond;
        if (!Number.isFinite(now) || now <= 0) (check.zeroOrUnshaped++, example(pair, share, now, told));
        else if (now < Math.min(share, last) * 0.999) {
          const atFloor = now >= Math.min(terms.get(pair.key)!.floorBitsPerSecond, allocation?.floorBitsPerSecond ?? Infinity) * 0.999;
          if (pair.members === 0) check.releasedIdle++;
          else if (atFloor && (lastIdleAtMs.get(pair) ?? -Infinity) >= atMs - 5000) check.releasedThenRestarted++;
          else (check.dropped++, example(pair, share, now, told));
        }
      }
      run.outage = check;
    });
  }
  for (const { atMs, downMs } of faults.leaderCrashes) {
    measurements.faults.push({ name: "leader-crash", fromMs: atMs, toMs: atMs + 30_000, budgets: null });
    clock.at(atMs, () => {
      const leader = [...agents.values()].find((agent) => agent.isLeading);
      if (!leader) return;
      run.leaderCrashes.push({ node: leader.node, atMs });
      crash(leader, downMs);
    });
  }
  for (const { atMs, fraction, downMs } of faults.agentCrashes) {
    const victims = random.sample(names.filter((name) => !candidates.has(name)), Math.max(1, Math.round(fraction * names.length)));
    measurements.faults.push({ name: `agent-crash-${downMs / 1000}s`, fromMs: atMs, toMs: atMs + downMs + 30_000, budgets: budgetsOn(victims) });
    clock.at(atMs, () => {
      for (const name of victims) {
        if (downMs > options.timings.expiryMs) run.longCrashes.push({ node: name, atMs });
        crash(agents.get(name)!, downMs);
      }
    });
  }
  for (const { atMs, count, budgetsEach } of faults.joins) {
    clock.at(atMs, () => {
      // The joined nodes' Pods are selected now and send 2 s later: one shift per budget they join.
      const starting = new Map<BudgetKey, Array<{ pair: PairWorkload; sender: Sender }>>();
      for (let index = 0; index < count; index++) {
        const name = `joined-${atMs / 1000}-${index}`;
        run.joined.push(name);
        for (const pair of workload.join(name, budgetsEach)) {
          for (const sender of pair.senders) sender.active = false;
          applyDemand(pair);
          starting.set(pair.key, [...(starting.get(pair.key) ?? []), ...pair.senders.map((sender) => ({ pair, sender }))]);
        }
        const agent = new SimAgent(name, env, false);
        agents.set(name, agent);
        start(agent);
      }
      clock.after(2000, () => starting.forEach((senders, key) => activate(key, "join", senders)));
    });
  }

  clock.every(CHECK_MS, CHECK_MS, () => measurements.check(clock.nowMs, clock.nowMs >= options.warmupMs));
  clock.every(1000, 1000, () => datapath.meters.forEach((meter) => meter.closeWindow(clock.nowMs)));
  clock.runUntil(options.durationMs);
  measurements.finish(options.durationMs);
  run.wallMs = performance.now() - started;
  run.events = clock.executed;
  return run;
}
