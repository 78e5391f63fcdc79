/**
 * One agent's side of the cluster-wide budget protocol, pure: every sample (~0.5 s) the caller passes the
 * datapath's per-budget counters for the budgets its node has selected Pods for; it gets back the kernel
 * config to enforce per budget and, when one is due, the report to write into its own BandwidthNode's spec.
 * A new status (the watch on its own object) is enforced at once, without waiting for the next sample, and
 * may make an acknowledgement due.
 * It composes the demand estimator, the report throttle and the node's shares (their files say the rules);
 * the caller does the I/O and reports the outcomes back (`statusObserved`, `reportSucceeded`/`reportFailed`).
 *
 * Interface this needs from the datapath (bpf/edt.bpf.c's budget counters, read by the agent): per budget
 * slot, cumulative `bytes` and `delayedPackets`, and the number of the node's selected Pods that sent in
 * scope since the last sample; and a budget config that takes `bitsPerSecond`, `expiresAtNs` and
 * `fallbackBitsPerSecond` (KernelBudgetShare, in ms of CLOCK_MONOTONIC here).
 */
import { DEFAULT_ESTIMATOR, DemandEstimator, type BudgetCounterSample } from "./demand-estimator.js";
import { NodeShares, type LocalBudget } from "./node-shares.js";
import { DEFAULT_TIMINGS, type BudgetKey, type BudgetReport, type KernelBudgetShare, type NodeAllocations, type NodeReport, type ProtocolTimings } from "./protocol.js";
import { DEFAULT_THROTTLE, ReportThrottle, type ReportReason } from "./report-throttle.js";

export interface LocalBudgetSample extends BudgetCounterSample {
  key: BudgetKey;
  /**
   * The budget's floor as the agent knows it from the BandwidthBudget: min(spec.minPerNode, status floor).
   * The node's own allocation may carry a lower one (Allocation.floorBitsPerSecond), which wins.
   */
  floorBitsPerSecond: number;
}

export interface NodeProtocolStart {
  /** This node's BandwidthNode as the last agent left it (null: none yet). */
  previousReport: NodeReport | null;
  /** The kernel's budget configs as the last agent left them. */
  kernel: ReadonlyMap<BudgetKey, KernelBudgetShare>;
}

export interface SampleResult {
  kernel: Map<BudgetKey, KernelBudgetShare>;
  /** The report to write now, or null. */
  report: NodeReport | null;
  reason: ReportReason | null;
}

export class NodeProtocol {
  private readonly estimators = new Map<BudgetKey, DemandEstimator>();
  private readonly shares: NodeShares;
  private readonly throttle: ReportThrottle;
  private enforced = new Map<BudgetKey, KernelBudgetShare>();
  /**
   * Per budget, the smallest share enforced since the last sample: a status applied mid-interval must
   * not count as the share the interval's held-back packets met (the estimator would think a larger share
   * did not help, and escalate its probe for nothing).
   */
  private intervalShare = new Map<BudgetKey, number>();
  private reported = new Map<BudgetKey, BudgetReport>();
  private local: LocalBudget[] = [];
  private sampled = false;
  private lastSeq: number;
  private lastSucceededSeq = 0;
  private inFlight: NodeReport | null = null;

  constructor(start: NodeProtocolStart, timings: ProtocolTimings = DEFAULT_TIMINGS) {
    this.lastSeq = start.previousReport?.reportSeq ?? 0;
    this.shares = new NodeShares(timings.holdMs, { kernel: start.kernel, firstSeq: this.lastSeq + 1 });
    this.enforced = new Map(start.kernel);
    this.throttle = new ReportThrottle({ ...DEFAULT_THROTTLE, minIntervalMs: timings.reportMinIntervalMs, heartbeatMs: timings.heartbeatMs });
  }

  /**
   * The allocator's answer, from the watch on this node's own object: enforced at once (before the first
   * sample there is nothing to enforce yet). A report in the result must be written, as after a sample.
   */
  statusObserved(nowMs: number, allocations: NodeAllocations): SampleResult {
    this.shares.statusObserved(allocations);
    if (!this.sampled) return { kernel: this.enforced, report: null, reason: null };
    return this.decide(nowMs);
  }

  sample(nowMs: number, samples: readonly LocalBudgetSample[]): SampleResult {
    const budgets = new Map<BudgetKey, BudgetReport>();
    const local: LocalBudget[] = [];
    // A release helps only if the allocator hears of it: not while writes fail (an API outage), when the cap
    // would keep a Pod that pauses at its floor until the API is back, for nobody's gain.
    const canRelease = !this.throttle.failing && !this.shares.cutOff(nowMs);
    for (const sample of samples) {
      const floor = this.shares.floorFor(sample.key, sample.floorBitsPerSecond);
      const before = this.estimators.get(sample.key)?.current.members ?? 0;
      local.push({ key: sample.key, floorBitsPerSecond: floor, gainedSender: before === 0 && sample.activeMembers > 0, idle: canRelease && sample.activeMembers === 0 });
      let estimator = this.estimators.get(sample.key);
      if (estimator === undefined) this.estimators.set(sample.key, (estimator = new DemandEstimator({ ...DEFAULT_ESTIMATOR, floorBitsPerSecond: floor })));
      estimator.setFloor(floor);
      const estimate = estimator.observe(sample, this.intervalShare.get(sample.key) ?? this.enforced.get(sample.key)?.bitsPerSecond ?? floor);
      budgets.set(sample.key, { demandBitsPerSecond: estimate.demandBitsPerSecond, members: estimate.members, heldBack: estimate.heldBack, unbounded: estimate.unbounded, appliedGeneration: 0 });
    }
    for (const key of [...this.estimators.keys()]) if (!budgets.has(key)) this.estimators.delete(key);
    this.reported = budgets;
    this.sampled = true;
    this.intervalShare = new Map();
    this.local = local;
    const next = local.map((budget) => ({ ...budget, gainedSender: false }));
    const result = this.decide(nowMs);
    this.local = next; // a gained sender is news once: later decisions (a status arriving) must not repeat it
    return result;
  }

  private decide(nowMs: number): SampleResult {
    this.enforced = this.shares.enforce(nowMs, this.local);
    for (const [key, share] of this.enforced) this.intervalShare.set(key, Math.min(this.intervalShare.get(key) ?? Infinity, share.bitsPerSecond));
    const budgets = new Map([...this.reported].map(([key, entry]) => [key, { ...entry, appliedGeneration: this.shares.appliedGeneration(key), ...(this.shares.released(key) ? { released: true } : {}) }]));

    const resyncFromSeq = this.shares.resyncFromSeq;
    const urgent = this.shares.acknowledgementDue || (resyncFromSeq > 0 && this.lastSucceededSeq < resyncFromSeq);
    const reason = this.throttle.reasonToWrite(nowMs, budgets, urgent);
    if (reason === null) return { kernel: this.enforced, report: null, reason };
    const report: NodeReport = { reportSeq: ++this.lastSeq, resyncFromSeq, budgets };
    this.throttle.attempted(nowMs, budgets);
    this.shares.reportAttempted(report.reportSeq);
    this.inFlight = report;
    return { kernel: this.enforced, report, reason };
  }

  /** The report sent at `sentAtMs` was written. */
  reportSucceeded(sentAtMs: number, nowMs: number): void {
    const report = this.inFlight;
    this.inFlight = null;
    this.throttle.succeeded(nowMs);
    if (report === null) return;
    this.lastSucceededSeq = Math.max(this.lastSucceededSeq, report.reportSeq);
    this.shares.reportSucceeded(sentAtMs, new Map([...report.budgets].map(([key, entry]) => [key, entry.appliedGeneration])));
  }

  /** The write failed; `jitter` in [0, 1) spreads the retries. */
  reportFailed(nowMs: number, jitter: number): void {
    this.inFlight = null;
    this.throttle.failed(nowMs, jitter);
  }

  cutOff(nowMs: number): boolean {
    return this.shares.cutOff(nowMs);
  }
}
