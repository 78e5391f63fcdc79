/**
 * The reconciler: desired rows (Pods' annotations and the budgets that select them) vs actual
 * (Datapath.listLimits) → idempotent ensure/remove, and one PodStatusRow per Pod and direction saying what
 * is enforced and why. Budget timelines are reconciled around the Pods' rows (budget-timelines.ts): the
 * ones Pods need exist before the Pods are charged to them and go after no Pod lists them.
 *
 * Each row (a Pod and a direction) has one record: what the datapath enforces for it, its last good limits,
 * the invalid values already reported, its retry backoff and the row `pacer list` shows. decide.ts makes
 * every decision from a record and the Pod; this file does what it decides.
 *
 * Rules: nothing is removed before the first Pod sync (a restarted agent adopts what the datapath lists, so
 * there is no window where a limited Pod runs unlimited); an invalid annotation keeps the last good limit;
 * a disabled manager removes every limit. Passes are serialized by the caller (loop.ts).
 *
 * Cost: a pass triggered by Pod events touches only the Pods that changed (and rows whose retry is due); a
 * full pass — datapath.listLimits() against every Pod — runs after each Pod sync, a budget change, the
 * manager going on or off, a failed list, and every verifyAll pass (the periodic resync, which also
 * catches drift made behind the agent's back).
 */
import type { AppliedLimit, Datapath, Direction } from "../datapath/datapath.js";
import type { Budget } from "../budgets/budget.js";
import type { EventSink } from "../kube/events.js";
import { podKeyOf, type PodEvent, type PodInfo } from "../kube/pod.js";
import type { NetnsResolver } from "../netns/resolver.js";
import { DIRECTIONS, LIMIT_KINDS, type LimitKind } from "./annotations.js";
import type { BackoffState } from "./backoff.js";
import { BudgetTimelines, neededTimelines, timelineKey, type ShareOf } from "./budget-timelines.js";
import { InternalRanges } from "./internal-ranges.js";
import { decideRow, describeTarget, viewAfterEnsure, type InvalidReport, type LastGood, type RowRequest, type RowView } from "./decide.js";
import { RowActions } from "./row-actions.js";
import { podKeyOfRow, rowKeyOf, sortRows, statusRow } from "./row-book.js";
import { rowRequestsOf } from "./row-requests.js";
import type { PodStatusRow } from "./status-row.js";

export interface ReconcilerObserver {
  invalidAnnotation(pod: PodInfo, direction: Direction): void;
  reconcileError(podKey: string, direction: Direction, error: unknown): void;
}

/** The bandwidth manager's on/off state, owned by the agent (agent/manager-state.ts); read at every pass. */
export interface ManagerStateReader {
  /** null while enabled. */
  readonly disabledReason: string | null;
}

export interface ReconcilerOptions {
  /** null when no datapath could be opened (only possible while disabled). */
  datapath: Datapath | null;
  manager: ManagerStateReader;
  resolver: NetnsResolver;
  events: EventSink;
  log(line: string): void;
  observer?: ReconcilerObserver;
  /** Cap of the retry backoff, normally the resync interval. */
  maxBackoffMs: number;
  now?: () => number;
  /** This node's share of a budget (default: a PerNode budget's whole rate, a ClusterWide budget's floor). */
  shareOf?: ShareOf;
}

export interface PassOptions {
  /** Call ensureLimit for every enforced row (drift check), not only for rows that differ. Implies a full pass. */
  verifyAll?: boolean;
}

/** Everything the reconciler remembers about one row. */
export interface RowRecord {
  /** What the datapath enforces, as last listed or written by this reconciler. */
  known: AppliedLimit | null;
  /** The last valid limits this row enforced (kept while an annotation is invalid). */
  lastGood: LastGood;
  /** The invalid values Events were emitted for (one Event per value and kind). */
  reportedInvalid: Record<LimitKind, string | null>;
  backoff: BackoffState | null;
  /** What `pacer list` shows; null until the row's Pod has been looked at. */
  status: PodStatusRow | null;
}

const emptyRecord = (): RowRecord => ({
  known: null, lastGood: { all: null, external: null }, reportedInvalid: { all: null, external: null }, backoff: null, status: null,
});

export class Reconciler {
  private readonly pods = new Map<string, PodInfo>();
  private budgets: Budget[] = [];
  private synced = false;
  private readonly records = new Map<string, RowRecord>();
  private readonly timelines: BudgetTimelines;
  private readonly now: () => number;
  /** Pods changed since the last pass (upsert or delete). */
  private changed = new Set<string>();
  /** The next pass must list the datapath and look at every Pod. */
  private fullPassDue = true;
  /** The manager's disabled reason the last pass acted on: a change calls for a full pass. */
  private actedOnReason: string | null | undefined = undefined;
  private readonly ranges: InternalRanges;
  private readonly actions: RowActions;

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now;
    this.timelines = new BudgetTimelines(options);
    this.actions = new RowActions(options, this.now, (podKey) => this.changed.add(podKey));
    this.ranges = new InternalRanges(options);
  }

  /** Record a Pod event; the next pass acts on it. */
  applyEvent(event: PodEvent): void {
    if (event.type === "sync") {
      this.pods.clear();
      for (const pod of event.pods) this.pods.set(podKeyOf(pod), pod);
      this.synced = true;
      for (const record of this.records.values()) record.backoff = null;
      this.fullPassDue = true;
      return;
    }
    const key = podKeyOf(event.pod);
    if (event.type === "upsert") this.pods.set(key, event.pod);
    else this.pods.delete(key);
    this.changed.add(key);
    for (const direction of DIRECTIONS) {
      const record = this.records.get(rowKeyOf(key, direction));
      if (record) record.backoff = null;
    }
  }

  /** The budgets in force now (valid ones, or the last good version of one that became invalid). */
  setBudgets(budgets: readonly Budget[]): void {
    this.budgets = [...budgets];
    this.fullPassDue = true; // memberships may change for any Pod
  }

  /** The prefixes inside the cluster (what outside-cluster limits and budgets leave uncharged). */
  setInternalRanges(prefixes: readonly string[]): void {
    this.ranges.set(prefixes);
  }

  /** Why the last write of the ranges failed, or null. */
  get internalRangesError(): string | null {
    return this.ranges.error;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  rows(): PodStatusRow[] {
    const rows: PodStatusRow[] = [];
    for (const record of this.records.values()) if (record.status) rows.push(record.status);
    return sortRows(rows);
  }

  budgetRows() {
    return this.timelines.rows();
  }

  /** Milliseconds until the soonest row retry is due, or null when nothing waits for a retry. */
  nextRetryInMs(): number | null {
    let soonest: number | null = null;
    for (const { backoff } of this.records.values()) if (backoff) soonest = Math.min(soonest ?? Infinity, backoff.nextAttemptAt);
    return soonest === null ? null : Math.max(0, soonest - this.now());
  }

  /**
   * One pass: full (see the module comment) or over the changed Pods only. Never throws for a single row's
   * failure; throws only if the datapath can't be listed (the next pass is full again).
   */
  async reconcile(pass: PassOptions = {}): Promise<void> {
    if (!this.synced) return;
    const reason = this.options.manager.disabledReason;
    if (reason !== this.actedOnReason) this.fullPassDue = true;
    this.actedOnReason = reason;
    if (this.fullPassDue || pass.verifyAll) await this.reconcileAll(pass);
    else await this.reconcileChanged(pass);
  }

  private record(rowKey: string): RowRecord {
    let record = this.records.get(rowKey);
    if (!record) this.records.set(rowKey, (record = emptyRecord()));
    return record;
  }

  private async reconcileAll(pass: PassOptions): Promise<void> {
    const { datapath } = this.options;
    this.fullPassDue = true;
    const listed = datapath ? await datapath.listLimits() : [];
    this.fullPassDue = false;
    this.changed = new Set();
    for (const record of this.records.values()) record.known = null;
    for (const limit of listed) this.record(rowKeyOf(limit.podKey, limit.direction)).known = limit;
    const requests = new Map([...this.pods].map(([podKey, pod]) => [podKey, rowRequestsOf(pod, this.budgets)]));
    const enabled = this.actedOnReason === null;
    if (enabled) await this.ranges.apply(pass.verifyAll === true);
    await this.timelines.ensure(enabled ? neededTimelines(requests, this.budgets) : [], pass.verifyAll === true);
    const seen = new Set<string>();
    for (const [podKey, pod] of this.pods) {
      for (const request of requests.get(podKey) ?? []) {
        const rowKey = rowKeyOf(podKey, request.direction);
        seen.add(rowKey);
        await this.reconcileRow(pod, request, this.record(rowKey), pass);
      }
    }
    for (const limit of listed) {
      if (seen.has(rowKeyOf(limit.podKey, limit.direction))) continue;
      const why = this.pods.has(limit.podKey) ? "annotation removed" : "Pod deleted";
      await this.actions.remove(limit.podKey, limit.direction, why, this.record(rowKeyOf(limit.podKey, limit.direction)));
    }
    for (const [rowKey, record] of this.records) if (!seen.has(rowKey)) this.forget(rowKey, record);
    for (const podKey of [...this.actions.attachments.keys()]) if (!this.pods.has(podKey)) this.actions.attachments.delete(podKey);
    await this.timelines.prune(enabled ? neededTimelines(requests, this.budgets) : [], this.chargedTimelines());
  }

  /** The same decisions as reconcileAll, for the Pods changed since the last pass and rows due a retry. */
  private async reconcileChanged(pass: PassOptions): Promise<void> {
    if (this.actedOnReason === null) await this.ranges.apply(false);
    const podKeys = this.changed;
    this.changed = new Set();
    for (const [rowKey, record] of this.records) if (record.backoff) podKeys.add(podKeyOfRow(rowKey));
    for (const podKey of podKeys) {
      const pod = this.pods.get(podKey);
      const requests = pod ? rowRequestsOf(pod, this.budgets) : [];
      // A Pod that joined a budget new on this node needs its timeline first.
      await this.timelines.ensure(neededTimelines(new Map([[podKey, requests]]), this.budgets), false, new Set([podKey]));
      const seen = new Set<string>();
      for (const request of requests) {
        const rowKey = rowKeyOf(podKey, request.direction);
        seen.add(rowKey);
        await this.reconcileRow(pod!, request, this.record(rowKey), pass);
      }
      for (const direction of DIRECTIONS) {
        const rowKey = rowKeyOf(podKey, direction);
        const record = this.records.get(rowKey);
        if (seen.has(rowKey) || !record) continue;
        if (record.known) await this.actions.remove(podKey, direction, pod ? "annotation removed" : "Pod deleted", record);
        this.forget(rowKey, record);
      }
      if (!pod) this.actions.attachments.delete(podKey);
    }
    // Every Pod's rows are worked out only when a timeline may go: built on every edit (~0.55 MB for 1,000
    // Pods, all alive until the map is done) they were promoted to V8's old space, which grew ~45 MB over
    // bench:agent's 200 edits and stayed (peak RSS 72 -> 119 MB) although the live heap was 15 MB.
    const charged = podKeys.size > 0 ? this.chargedTimelines() : null;
    if (charged && this.timelines.mayPrune(charged)) {
      const requests = new Map([...this.pods].map(([podKey, pod]) => [podKey, rowRequestsOf(pod, this.budgets)]));
      await this.timelines.prune(neededTimelines(requests, this.budgets), charged);
    }
  }

  /** Budget timelines some enforced row is still charged to (they cannot go yet). */
  private chargedTimelines(): Set<string> {
    const inUse = new Set<string>();
    for (const { known } of this.records.values()) for (const key of known?.budgets ?? []) inUse.add(timelineKey(key, known!.direction));
    return inUse;
  }

  /** A row whose Pod or annotation is gone: dropped, unless a removal still has to be retried. */
  private forget(rowKey: string, record: RowRecord): void {
    if (record.known) Object.assign(record, { ...emptyRecord(), known: record.known });
    else this.records.delete(rowKey);
  }

  private async reconcileRow(pod: PodInfo, request: RowRequest, record: RowRecord, pass: PassOptions): Promise<void> {
    const podKey = podKeyOf(pod);
    const { direction } = request;
    const retry = record.backoff === null ? "none" : record.backoff.nextAttemptAt > this.now() ? "waiting" : "due";
    const decision = decideRow({
      request, hostNetwork: pod.hostNetwork, applied: record.known, lastGood: record.lastGood,
      disabledReason: this.actedOnReason ?? null, verifyAll: pass.verifyAll === true, retry,
    });
    record.lastGood = decision.lastGood;
    this.noteInvalid(pod, request, record, decision.invalid);
    const show = (view: RowView, enforced: AppliedLimit | null) => {
      record.status = statusRow(record.status, { pod, request }, view, enforced, this.now());
    };

    if (decision.action === "wait") return;
    if (decision.action === "settle") {
      const enforcedBefore = record.known;
      if (decision.remove !== null) await this.actions.remove(podKey, direction, decision.remove, record);
      return show(decision.view, decision.keepEnforced ? enforcedBefore : null);
    }

    const attempt = await this.actions.ensure(pod, direction, decision.target, decision.upToDate, record);
    show(viewAfterEnsure(decision, attempt, direction, describeTarget), record.known);
  }

  /** Reports each invalid value once (Event, metric, log); a valid annotation forgets what was reported. */
  private noteInvalid(pod: PodInfo, request: RowRequest, record: RowRecord, invalid: InvalidReport[]): void {
    for (const kind of LIMIT_KINDS) {
      const report = invalid.find((candidate) => candidate.kind === kind);
      if (report === undefined) {
        if (request.limits[kind]?.problem == null) record.reportedInvalid[kind] = null;
        continue;
      }
      if (record.reportedInvalid[kind] === report.value) continue;
      record.reportedInvalid[kind] = report.value;
      this.options.events.emit(pod, "Warning", "InvalidBandwidth", report.message);
      this.options.observer?.invalidAnnotation(pod, request.direction);
      this.options.log(`${podKeyOf(pod)} ${request.direction}: ${report.message}`);
    }
  }

}
