/**
 * A simulator run's numbers: convergence after demand shifts (clean ones, and those during faults), the
 * 1-second windows after convergence and in transients, the floor at once, each fault's check, and the
 * API load (writes, watch events, reads per second; writes per node per minute). `simulated` is the shape
 * bench/results/budgets.json takes: {nodes, budgets, convergenceSecondsP99, maxOneSecondRatio,
 * apiWritesPerSecond}.
 */
import { CENSOR_MS, percentile, type ShiftRecord } from "./measure.js";
import type { SimulationRun } from "./simulation.js";

const round = (value: number | null, digits = 2): number | null => (value === null || !Number.isFinite(value) ? value : Math.round(value * 10 ** digits) / 10 ** digits);
const seconds = (ms: number): number => ms / 1000;

export interface ConvergenceStats {
  shifts: number;
  settled: number;
  unsettled: number;
  /** Settled shifts, and unsettled ones at their (lower-bound) gap to the next shift. */
  p50Seconds: number | null;
  p90Seconds: number | null;
  p99Seconds: number | null;
  maxSeconds: number | null;
  within5Seconds: number;
}

function convergence(records: readonly ShiftRecord[]): ConvergenceStats {
  const times = records.map((record) => seconds(record.settleMs ?? record.nextAtMs - record.atMs));
  return {
    shifts: records.length,
    settled: records.filter((record) => record.settleMs !== null).length,
    unsettled: records.filter((record) => record.settleMs === null).length,
    p50Seconds: round(percentile(times, 50)),
    p90Seconds: round(percentile(times, 90)),
    p99Seconds: round(percentile(times, 99)),
    maxSeconds: round(times.length ? Math.max(...times) : null),
    within5Seconds: records.filter((record) => record.settleMs !== null && record.settleMs <= 5000).length,
  };
}

export function summarize(run: SimulationRun) {
  const { options, measurements, api, datapath } = run;
  const measured = measurements.shifts.filter((record) => record.kind !== "burst" && record.nextAtMs - record.atMs >= CENSOR_MS);
  const censored = measurements.shifts.filter((record) => record.kind !== "burst" && record.nextAtMs - record.atMs < CENSOR_MS).length;
  const clean = measured.filter((record) => measurements.clean(record));
  const duringFaults = measured.filter((record) => !measurements.clean(record));
  const byKind = Object.fromEntries([...new Set(clean.map((record) => record.kind))].sort().map((kind) => [kind, convergence(clean.filter((record) => record.kind === kind))]));

  // Windows: after convergence (clean, settled spans), in clean transitions, and during faults.
  let maxAfter = 0;
  let after = 0;
  let afterAbove = 0;
  let maxTransition = 0;
  for (const record of clean) {
    const windows = datapath.meters.get(record.key)!.windows;
    const settledAt = record.settleMs === null ? Infinity : record.atMs + record.settleMs;
    for (let second = Math.floor(record.atMs / 1000); (second + 1) * 1000 <= Math.min(record.nextAtMs, windows.length * 1000); second++) {
      const ratio = windows[second] ?? 0;
      if (second * 1000 >= settledAt) {
        after++;
        maxAfter = Math.max(maxAfter, ratio);
        if (ratio > 1.05) afterAbove++;
      } else maxTransition = Math.max(maxTransition, ratio);
    }
  }
  let maxAny = 0;
  let windowsTotal = 0;
  let windowsAbove = 0;
  for (const meter of datapath.meters.values()) {
    meter.windows.forEach((ratio, second) => {
      if (second * 1000 < options.warmupMs) return;
      windowsTotal++;
      maxAny = Math.max(maxAny, ratio);
      if (ratio > 1.05) windowsAbove++;
    });
  }
  const maxIn = (fromMs: number, toMs: number, budgets: ReadonlySet<string> | null): number => {
    let max = 0;
    for (const meter of datapath.meters.values()) {
      if (budgets !== null && !budgets.has(meter.key)) continue;
      for (let second = Math.floor(fromMs / 1000); second < Math.min(meter.windows.length, Math.ceil(toMs / 1000)); second++) max = Math.max(max, meter.windows[second] ?? 0);
    }
    return round(max, 3) ?? 0;
  };

  const faults: Array<Record<string, unknown> & { name: string; pass: boolean }> = [];
  for (const fault of measurements.faults) {
    const maxOneSecondRatio = maxIn(fault.fromMs, fault.toMs, fault.budgets);
    if (fault.name === "api-outage") {
      const outage = run.outage ?? { pairs: 0, dropped: 0, zeroOrUnshaped: 0, releasedIdle: 0, releasedThenRestarted: 0, examples: [] };
      faults.push({ name: fault.name, pass: outage.dropped === 0 && outage.zeroOrUnshaped === 0 && maxOneSecondRatio <= 1.05, seconds: seconds(options.faults.outage!.durationMs), sharesKept: outage.pairs - outage.dropped - outage.zeroOrUnshaped - outage.releasedIdle - outage.releasedThenRestarted, sharesDropped: outage.dropped, releasedWithoutSenders: outage.releasedIdle, releasedThenRestartedAtFloor: outage.releasedThenRestarted, zeroOrUnlimited: outage.zeroOrUnshaped, maxOneSecondRatio, ...(outage.examples.length > 0 ? { examples: outage.examples } : {}) });
    } else if (fault.name === "leader-crash") {
      const crash = run.leaderCrashes.find((entry) => entry.atMs === fault.fromMs);
      const takeover = crash ? run.takeovers.find((entry) => entry.atMs > crash.atMs) : undefined;
      const failoverSeconds = crash && takeover ? round(seconds(takeover.atMs - crash.atMs)) : null;
      const bound = seconds(options.election.leaseDurationMs + options.election.retryPeriodMs) + 1;
      faults.push({ name: fault.name, pass: failoverSeconds !== null && failoverSeconds <= bound && maxOneSecondRatio <= 1.05, failoverSeconds, boundSeconds: bound, newLeaderWasOld: takeover?.node === crash?.node, maxOneSecondRatio });
    } else {
      const long = fault.toMs - fault.fromMs - 30_000 > options.timings.expiryMs;
      const entry: Record<string, unknown> & { name: string; pass: boolean } = { name: fault.name, pass: maxOneSecondRatio <= 1.05, budgetsTouched: fault.budgets?.size ?? null, maxOneSecondRatio };
      if (long) {
        const reclaimed = run.longCrashes.map((crash) => (run.expiredAtMs.has(crash.node) ? seconds(run.expiredAtMs.get(crash.node)! - crash.atMs) : null));
        const values = reclaimed.filter((value): value is number => value !== null);
        entry.nodes = run.longCrashes.length;
        entry.reclaimedAfterSecondsMax = round(values.length ? Math.max(...values) : null);
        entry.reclaimedAfterSecondsMin = round(values.length ? Math.min(...values) : null);
        entry.expiryBoundSeconds = seconds(options.timings.expiryMs) + 2;
        entry.pass = entry.pass && values.length === run.longCrashes.length && values.every((value) => value <= seconds(options.timings.expiryMs) + 2);
      }
      faults.push(entry);
    }
  }
  const join = byKind.join ?? convergence(duringFaults.filter((record) => record.kind === "join"));
  // A joining node's senders get their floor at once (floorAtOnce counts them); here: its budgets settle, within 10 s.
  faults.push({ name: "node-join", pass: join.shifts > 0 && join.unsettled === 0 && (join.maxSeconds ?? Infinity) <= 10, nodes: run.joined.length, shifts: join.shifts, convergenceSecondsP50: join.p50Seconds, convergenceSecondsMax: join.maxSeconds });

  // API load after the warm-up.
  const from = Math.floor(options.warmupMs / 1000);
  const to = Math.floor(options.durationMs / 1000);
  const span = to - from;
  const perSecond = (series: number[]): number[] => Array.from({ length: span }, (_, index) => series[from + index] ?? 0);
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  const writes = perSecond(api.counters.writesPerSecond);
  const events = perSecond(api.counters.eventsPerSecond);
  const faultSeconds = new Set(measurements.faults.filter((fault) => fault.budgets === null).flatMap((fault) => Array.from({ length: Math.ceil((fault.toMs - fault.fromMs) / 1000) }, (_, index) => Math.floor(fault.fromMs / 1000) + index - from)));
  const steady = writes.filter((_, index) => !faultSeconds.has(index));
  const total = (counts: Record<string, number>): number => Object.values(counts).reduce((sum, value) => sum + value, 0);
  const rates = (counts: Record<string, number>): Record<string, number | null> => Object.fromEntries(Object.entries(counts).map(([kind, count]) => [kind, round(count / options.durationMs * 1000)]));
  const nodes = options.nodes + run.joined.length;
  const apiWritesPerSecond = round(mean(writes), 1) ?? 0;
  const convergenceClean = convergence(clean);

  return {
    nodes: options.nodes,
    budgets: options.budgets,
    pairs: [...datapath.pairsByBudget.values()].reduce((sum, pairs) => sum + pairs.length, 0),
    durationSeconds: seconds(options.durationMs),
    diurnalPeriodSeconds: seconds(options.diurnalPeriodMs),
    wallSeconds: round(run.wallMs / 1000, 1),
    virtualEvents: run.events,
    convergence: convergenceClean,
    censoredShifts: censored,
    convergenceByKind: byKind,
    convergenceDuringFaults: convergence(duringFaults),
    maxOneSecondRatio: round(maxAfter, 3),
    windowsAfterConvergence: after,
    windowsAfterConvergenceAbove105: afterAbove,
    overshoot: { maxAnyWindow: round(maxAny, 3), maxInCleanTransitions: round(maxTransition, 3), windows: windowsTotal, windowsAbove105: windowsAbove },
    /** Σ of the shares the kernels enforce / budget, max over the run after the warm-up (not the rates). */
    enforcedShareRatio: { activeNodes: round(measurements.enforced.activeMax, 3), includingIdleFloors: round(measurements.enforced.selectedMax, 3) },
    /** The allocator's books (conservative: a new leader counts published claims that acks may have cleared). */
    maxClaimRatio: round(run.maxClaimRatio, 4),
    floorAtOnce: measurements.floorChecks,
    faults,
    api: {
      writesPerSecond: apiWritesPerSecond,
      writesPerSecondByKind: rates(api.counters.writes),
      writesPerSecondSteady: round(mean(steady), 1),
      writesPerSecondPeak: Math.max(0, ...writes),
      reportWritesPerNodePerMinute: round((api.counters.writes.agentReport / nodes / options.durationMs) * 60_000),
      watchEventsPerSecond: round(mean(events), 1),
      watchEventsPerSecondByKind: rates(api.counters.events),
      watchEventsPerSecondPeak: Math.max(0, ...events),
      readsPerSecondByKind: rates(api.counters.reads),
      failedRequests: api.counters.failedRequests.count,
      totalWrites: total(api.counters.writes),
    },
    simulated: {
      nodes: options.nodes,
      budgets: options.budgets,
      convergenceSecondsP99: convergenceClean.p99Seconds,
      maxOneSecondRatio: round(maxAfter, 3),
      apiWritesPerSecond,
    },
  };
}

export type SimulationSummary = ReturnType<typeof summarize>;
