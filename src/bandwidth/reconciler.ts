/**
 * The reconciler: desired rows (Pods' annotations) vs actual (Datapath.listLimits) → idempotent
 * ensure/remove, and one PodStatusRow per Pod and direction saying what is enforced and why.
 *
 * Each row (a Pod and a direction) has one record: what the datapath enforces for it, its last good limit,
 * the invalid value already reported, its retry backoff and the row `pacer list` shows. decide.ts makes
 * every decision from a record and the Pod; this file does what it decides.
 *
 * Rules: nothing is removed before the first Pod sync (a restarted agent adopts what the datapath lists, so
 * there is no window where a limited Pod runs unlimited); an invalid annotation keeps the last good limit;
 * a disabled manager removes every limit. Passes are serialized by the caller (loop.ts).
 *
 * Cost: a pass triggered by Pod events touches only the Pods that changed since the last pass (plus rows
 * whose retry is due), comparing against what this reconciler last read from or wrote to the datapath. A
 * full pass — datapath.listLimits() against every Pod — runs after each Pod sync (adoption on start,
 * informer re-list), when the manager is enabled or disabled, after a failed list, and on every verifyAll
 * pass (the periodic resync, which also catches drift made behind the agent's back).
 */
import { DatapathError, type AppliedLimit, type Datapath, type Direction, type PodAttachment } from "../datapath/datapath.js";
import type { EventSink } from "../kube/events.js";
import { podKeyOf, type PodEvent, type PodInfo } from "../kube/pod.js";
import type { NetnsResolver } from "../netns/resolver.js";
import { DIRECTIONS, requestedLimitsOf, type RequestedLimit } from "./annotations.js";
import { nextBackoff, type BackoffState } from "./backoff.js";
import { decideRow, viewAfterEnsure, type EnsureAttempt, type InvalidReport, type RowView } from "./decide.js";
import { formatBitsPerSecond } from "./quantity.js";
import { podKeyOfRow, rowKeyOf, sortRows, statusRow } from "./row-book.js";
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
}

export interface PassOptions {
  /** Call ensureLimit for every enforced row (drift check), not only for rows that differ. Implies a full pass. */
  verifyAll?: boolean;
}

/** Everything the reconciler remembers about one row. */
interface RowRecord {
  /** What the datapath enforces, as last listed or written by this reconciler. */
  known: AppliedLimit | null;
  /** The last valid limit this row enforced (kept while the annotation is invalid). */
  lastGood: number | null;
  /** The invalid value an Event was emitted for (one Event per value). */
  reportedInvalid: string | null;
  backoff: BackoffState | null;
  /** What `pacer list` shows; null until the row's Pod has been looked at. */
  status: PodStatusRow | null;
}

const emptyRecord = (): RowRecord => ({ known: null, lastGood: null, reportedInvalid: null, backoff: null, status: null });

export class Reconciler {
  private readonly pods = new Map<string, PodInfo>();
  private synced = false;
  private readonly records = new Map<string, RowRecord>();
  /** Per Pod: its network namespace and interfaces, found by Pod IP (re-resolved when the IP changes). */
  private readonly attachments = new Map<string, { ip: string; attachment: PodAttachment }>();
  private readonly now: () => number;
  /** Pods changed since the last pass (upsert or delete). */
  private changed = new Set<string>();
  /** The next pass must list the datapath and look at every Pod. */
  private fullPassDue = true;
  /** The manager's disabled reason the last pass acted on: a change calls for a full pass. */
  private actedOnReason: string | null | undefined = undefined;

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now;
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

  get isSynced(): boolean {
    return this.synced;
  }

  rows(): PodStatusRow[] {
    const rows: PodStatusRow[] = [];
    for (const record of this.records.values()) if (record.status) rows.push(record.status);
    return sortRows(rows);
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
    const seen = new Set<string>();
    for (const [podKey, pod] of this.pods) {
      for (const requested of requestedLimitsOf(pod)) {
        const rowKey = rowKeyOf(podKey, requested.direction);
        seen.add(rowKey);
        await this.reconcileRow(pod, requested, this.record(rowKey), pass);
      }
    }
    for (const limit of listed) {
      if (seen.has(rowKeyOf(limit.podKey, limit.direction))) continue;
      await this.remove(limit.podKey, limit.direction, this.pods.has(limit.podKey) ? "annotation removed" : "Pod deleted");
    }
    for (const [rowKey, record] of this.records) if (!seen.has(rowKey)) this.forget(rowKey, record);
    for (const podKey of [...this.attachments.keys()]) if (!this.pods.has(podKey)) this.attachments.delete(podKey);
  }

  /** The same decisions as reconcileAll, for the Pods changed since the last pass and rows due a retry. */
  private async reconcileChanged(pass: PassOptions): Promise<void> {
    const podKeys = this.changed;
    this.changed = new Set();
    for (const [rowKey, record] of this.records) if (record.backoff) podKeys.add(podKeyOfRow(rowKey));
    for (const podKey of podKeys) {
      const pod = this.pods.get(podKey);
      const seen = new Set<string>();
      for (const requested of pod ? requestedLimitsOf(pod) : []) {
        const rowKey = rowKeyOf(podKey, requested.direction);
        seen.add(rowKey);
        await this.reconcileRow(pod!, requested, this.record(rowKey), pass);
      }
      for (const direction of DIRECTIONS) {
        const rowKey = rowKeyOf(podKey, direction);
        const record = this.records.get(rowKey);
        if (seen.has(rowKey) || !record) continue;
        if (record.known) await this.remove(podKey, direction, pod ? "annotation removed" : "Pod deleted");
        this.forget(rowKey, record);
      }
      if (!pod) this.attachments.delete(podKey);
    }
  }

  /** A row whose Pod or annotation is gone: dropped, unless a removal still has to be retried. */
  private forget(rowKey: string, record: RowRecord): void {
    if (record.known) Object.assign(record, { ...emptyRecord(), known: record.known });
    else this.records.delete(rowKey);
  }

  private async reconcileRow(pod: PodInfo, requested: RequestedLimit, record: RowRecord, pass: PassOptions): Promise<void> {
    const podKey = podKeyOf(pod);
    const { direction } = requested;
    const retry = record.backoff === null ? "none" : record.backoff.nextAttemptAt > this.now() ? "waiting" : "due";
    const decision = decideRow({
      requested, hostNetwork: pod.hostNetwork, applied: record.known, lastGood: record.lastGood,
      disabledReason: this.actedOnReason ?? null, verifyAll: pass.verifyAll === true, retry,
    });
    record.lastGood = decision.lastGood;
    this.noteInvalid(pod, requested, record, decision.invalid);
    const show = (view: RowView, enforced: AppliedLimit | null) => {
      record.status = statusRow(record.status, { pod, requested: requested.requested, direction }, view, enforced, this.now());
    };

    if (decision.action === "wait") return;
    if (decision.action === "settle") {
      const enforcedBefore = record.known;
      if (decision.remove !== null) await this.remove(podKey, direction, decision.remove);
      return show(decision.view, decision.keepEnforced ? enforcedBefore : null);
    }

    const attempt = await this.ensure(pod, direction, decision.bitsPerSecond, decision.upToDate, record);
    show(viewAfterEnsure(decision, attempt, direction, formatBitsPerSecond), record.known);
  }

  /** Tries to enforce `bitsPerSecond` for the row; the record holds what the datapath enforces afterwards. */
  private async ensure(pod: PodInfo, direction: Direction, bitsPerSecond: number, upToDate: boolean, record: RowRecord): Promise<EnsureAttempt> {
    const podKey = podKeyOf(pod);
    const attachment = await this.attachmentOf(pod);
    if (!attachment) {
      this.fail(record);
      return { kind: "noAttachment", podIp: pod.podIPs[0] ?? null };
    }
    if (direction === "ingress" && !attachment.hostInterface) {
      this.fail(record);
      this.attachments.delete(podKey);
      return { kind: "noHostInterface", podInterface: attachment.podInterface };
    }
    try {
      const result = await this.options.datapath!.ensureLimit({ attachment, direction, bitsPerSecond });
      record.backoff = null;
      record.lastGood = bitsPerSecond;
      record.known = { ...(record.known ?? emptyApplied(podKey, direction)), identity: result.identity, bitsPerSecond };
      if (!upToDate) this.options.log(`${podKey} ${direction}: limit ${formatBitsPerSecond(bitsPerSecond)} enforced (identity ${result.identity})`);
      if (result.repaired.length > 0) {
        const message = `${direction} shaping was tampered with (${result.repaired.join(", ")} removed) and has been restored`;
        this.options.events.emit(pod, "Warning", "Tampered", message);
        this.options.log(`${podKey} ${direction}: ${message}`);
      }
      return { kind: "applied" };
    } catch (error) {
      this.fail(record);
      this.options.observer?.reconcileError(podKey, direction, error);
      const message = error instanceof Error ? error.message : String(error);
      const notFound = error instanceof DatapathError && error.code === "NOT_FOUND";
      if (notFound) this.attachments.delete(podKey);
      this.options.log(`${podKey} ${direction}: apply ${formatBitsPerSecond(bitsPerSecond)} failed, will retry: ${message}`);
      return { kind: "failed", notFound, message };
    }
  }

  private async attachmentOf(pod: PodInfo): Promise<PodAttachment | null> {
    const podKey = podKeyOf(pod);
    const ip = pod.podIPs[0];
    if (!ip) return null;
    const cached = this.attachments.get(podKey);
    if (cached && cached.ip === ip) return cached.attachment;
    const attachment = await this.options.resolver.resolve(pod).catch((error: unknown) => {
      this.options.log(`${podKey}: resolve network namespace: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    });
    if (attachment) this.attachments.set(podKey, { ip, attachment });
    return attachment;
  }

  /** Reports an invalid value once (Event, metric, log); a valid annotation forgets what was reported. */
  private noteInvalid(pod: PodInfo, requested: RequestedLimit, record: RowRecord, invalid: InvalidReport | null): void {
    if (invalid === null) {
      if (requested.problem === null) record.reportedInvalid = null;
      return;
    }
    if (record.reportedInvalid === invalid.value) return;
    record.reportedInvalid = invalid.value;
    this.options.events.emit(pod, "Warning", "InvalidBandwidth", invalid.message);
    this.options.observer?.invalidAnnotation(pod, requested.direction);
    this.options.log(`${podKeyOf(pod)} ${requested.direction}: ${invalid.message}`);
  }

  private async remove(podKey: string, direction: Direction, why: string): Promise<void> {
    const record = this.record(rowKeyOf(podKey, direction));
    try {
      await this.options.datapath!.removeLimit(podKey, direction);
      record.known = null;
      record.lastGood = null;
      this.options.log(`${podKey} ${direction}: limit removed (${why})`);
    } catch (error) {
      this.fail(record);
      this.changed.add(podKey); // retried by the next pass of any kind, as when every pass listed the datapath
      this.options.observer?.reconcileError(podKey, direction, error);
      this.options.log(`${podKey} ${direction}: remove failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private fail(record: RowRecord): void {
    record.backoff = nextBackoff(record.backoff ?? undefined, this.now(), this.options.maxBackoffMs);
  }
}

const emptyApplied = (podKey: string, direction: Direction): AppliedLimit => ({
  podKey,
  direction,
  identity: 0,
  bitsPerSecond: 0,
  netnsPath: "",
  interfaceName: "",
  counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
});
