/**
 * The reconciler: desired rows (Pods' annotations) vs actual (Datapath.listLimits) → idempotent
 * ensure/remove, and one PodStatusRow per Pod and direction saying what is enforced and why.
 *
 * Rules: nothing is removed before the first Pod sync (a restarted agent adopts what the datapath lists, so
 * there is no window where a limited Pod runs unlimited); an invalid annotation keeps the last good limit
 * (remembered, or adopted from the datapath after a restart); a disabled manager removes every limit.
 * Passes are serialized by the caller (loop.ts).
 *
 * Cost: a pass triggered by Pod events touches only the Pods that changed since the last pass (plus rows
 * whose retry is due), comparing against `known` — what this reconciler last read from or wrote to the
 * datapath. A full pass — datapath.listLimits() against every Pod — runs after each Pod sync (adoption on
 * start, informer re-list), when the manager is enabled/disabled, after a failed list, and on every
 * verifyAll pass (the periodic resync, which also catches drift made behind the agent's back).
 */
import { DatapathError, type AppliedLimit, type Datapath, type Direction, type PodAttachment } from "../datapath/datapath.js";
import type { EventSink } from "../kube/events.js";
import { podKeyOf, type PodEvent, type PodInfo } from "../kube/pod.js";
import type { NetnsResolver } from "../netns/resolver.js";
import { DIRECTIONS, invalidBandwidthMessage, requestedLimitsOf, type RequestedLimit } from "./annotations.js";
import { nextBackoff, type BackoffState } from "./backoff.js";
import { formatBitsPerSecond } from "./quantity.js";
import { RowBook, rowKeyOf } from "./row-book.js";

export interface ReconcilerObserver {
  invalidAnnotation(pod: PodInfo, direction: Direction): void;
  reconcileError(podKey: string, direction: Direction, error: unknown): void;
}

export interface ReconcilerOptions {
  /** null when no datapath could be opened (only possible while disabled). */
  datapath: Datapath | null;
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

export class Reconciler {
  private readonly pods = new Map<string, PodInfo>();
  private synced = false;
  private disabledReason: string | null = null;
  private readonly lastGood = new Map<string, number>();
  private readonly reportedInvalid = new Map<string, string>();
  private readonly attachments = new Map<string, { ip: string; attachment: PodAttachment }>();
  private readonly backoff = new Map<string, BackoffState>();
  private readonly book: RowBook;
  private readonly now: () => number;
  /** What the datapath enforces, as last listed or written by this reconciler: rowKey → limit. */
  private readonly known = new Map<string, AppliedLimit>();
  /** Pods changed since the last pass (upsert or delete). */
  private changed = new Set<string>();
  /** The next pass must list the datapath and look at every Pod. */
  private fullPassDue = true;

  constructor(private readonly options: ReconcilerOptions) {
    this.now = options.now ?? Date.now;
    this.book = new RowBook(this.now);
  }

  /** Record a Pod event; the next pass acts on it. */
  applyEvent(event: PodEvent): void {
    if (event.type === "sync") {
      this.pods.clear();
      for (const pod of event.pods) this.pods.set(podKeyOf(pod), pod);
      this.synced = true;
      this.backoff.clear();
      this.fullPassDue = true;
      return;
    }
    const key = podKeyOf(event.pod);
    if (event.type === "upsert") this.pods.set(key, event.pod);
    else this.pods.delete(key);
    this.changed.add(key);
    for (const direction of DIRECTIONS) this.backoff.delete(rowKeyOf(key, direction));
  }

  /** null: enabled; a reason: every limit is removed and rows say notEnforced (reason). */
  setDisabled(reason: string | null): void {
    if (reason !== this.disabledReason) this.fullPassDue = true;
    this.disabledReason = reason;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  rows() {
    return this.book.rows();
  }

  /** Milliseconds until the soonest row retry is due, or null when nothing waits for a retry. */
  nextRetryInMs(): number | null {
    let soonest: number | null = null;
    for (const state of this.backoff.values()) soonest = Math.min(soonest ?? Infinity, state.nextAttemptAt);
    return soonest === null ? null : Math.max(0, soonest - this.now());
  }

  /**
   * One pass: full (see the module comment) or over the changed Pods only. Never throws for a single row's
   * failure; throws only if the datapath can't be listed (the next pass is full again).
   */
  async reconcile(pass: PassOptions = {}): Promise<void> {
    if (!this.synced) return;
    if (this.fullPassDue || pass.verifyAll) await this.reconcileAll(pass);
    else await this.reconcileChanged(pass);
  }

  private async reconcileAll(pass: PassOptions): Promise<void> {
    const { datapath } = this.options;
    this.fullPassDue = true;
    const listed = datapath ? await datapath.listLimits() : [];
    this.fullPassDue = false;
    this.changed = new Set();
    this.known.clear();
    for (const limit of listed) this.known.set(rowKeyOf(limit.podKey, limit.direction), limit);
    const seen = new Set<string>();
    for (const [podKey, pod] of this.pods) {
      for (const requested of requestedLimitsOf(pod)) {
        const rowKey = rowKeyOf(podKey, requested.direction);
        seen.add(rowKey);
        await this.reconcileRow(pod, requested, this.known.get(rowKey), pass);
      }
    }
    for (const limit of listed) {
      if (seen.has(rowKeyOf(limit.podKey, limit.direction))) continue;
      await this.remove(limit.podKey, limit.direction, this.pods.has(limit.podKey) ? "annotation removed" : "Pod deleted");
    }
    this.book.retain(seen);
    for (const key of [...this.lastGood.keys()]) if (!seen.has(key)) this.forget(key);
  }

  /** The same decisions as reconcileAll, for the Pods changed since the last pass and rows due a retry. */
  private async reconcileChanged(pass: PassOptions): Promise<void> {
    const podKeys = this.changed;
    this.changed = new Set();
    for (const rowKey of this.backoff.keys()) podKeys.add(podKeyOfRow(rowKey));
    for (const podKey of podKeys) {
      const pod = this.pods.get(podKey);
      const seen = new Set<string>();
      for (const requested of pod ? requestedLimitsOf(pod) : []) {
        const rowKey = rowKeyOf(podKey, requested.direction);
        seen.add(rowKey);
        await this.reconcileRow(pod!, requested, this.known.get(rowKey), pass);
      }
      for (const direction of DIRECTIONS) {
        const rowKey = rowKeyOf(podKey, direction);
        if (seen.has(rowKey)) continue;
        if (this.known.has(rowKey)) await this.remove(podKey, direction, pod ? "annotation removed" : "Pod deleted");
        this.book.delete(rowKey);
        if (this.lastGood.has(rowKey)) this.forget(rowKey);
      }
    }
  }

  private async reconcileRow(pod: PodInfo, requested: RequestedLimit, applied: AppliedLimit | undefined, pass: PassOptions): Promise<void> {
    const podKey = podKeyOf(pod);
    const { direction } = requested;
    const rowKey = rowKeyOf(podKey, direction);
    if (applied) this.lastGood.set(rowKey, this.lastGood.get(rowKey) ?? applied.bitsPerSecond);
    const row = { pod, requested: requested.requested, direction, applied };

    if (this.disabledReason !== null) {
      if (applied) await this.remove(podKey, direction, "bandwidth manager disabled");
      if (requested.problem !== null) {
        // A bad value is still reported (Event, metric, row) so it is fixed before the manager is enabled.
        const message = invalidBandwidthMessage(direction, requested.requested, requested.problem, null);
        this.reportInvalid(pod, rowKey, direction, requested.requested, message);
        return this.book.set(row, "invalid", `${message}; the bandwidth manager is off too: ${this.disabledReason}`, null);
      }
      return this.book.set(row, "notEnforced", this.disabledReason, null);
    }
    if (pod.hostNetwork) {
      if (applied) await this.remove(podKey, direction, "hostNetwork Pod");
      return this.book.set(row, "hostNetwork", "hostNetwork Pods share the node's interfaces and are not limited", null);
    }

    let target = requested.bitsPerSecond;
    let invalidReason: string | null = null;
    if (requested.problem !== null) {
      target = this.lastGood.get(rowKey) ?? null;
      invalidReason = invalidBandwidthMessage(direction, requested.requested, requested.problem, target);
      this.reportInvalid(pod, rowKey, direction, requested.requested, invalidReason);
    } else {
      this.reportedInvalid.delete(rowKey);
    }
    if (target === null) {
      if (applied) await this.remove(podKey, direction, "no valid limit");
      return this.book.set(row, "invalid", invalidReason, null);
    }

    const settledState = invalidReason === null ? "enforced" : "invalid";
    const upToDate = applied !== undefined && applied.bitsPerSecond === target;
    const retry = this.backoff.get(rowKey);
    if (upToDate && !pass.verifyAll && !retry) return this.book.set(row, settledState, invalidReason, applied);
    if (retry && retry.nextAttemptAt > this.now()) return; // keep the row as it is until the retry is due

    const attachment = await this.attachmentOf(pod);
    if (!attachment) {
      this.fail(rowKey);
      return upToDate
        ? this.book.set(row, settledState, invalidReason, applied)
        : this.book.set(row, "pending", `waiting for the Pod's network namespace (Pod IP ${pod.podIPs[0] ?? "not assigned yet"})`, applied ?? null);
    }
    if (direction === "ingress" && !attachment.hostInterface) {
      // Ingress is paced on the host-side veth (DESIGN.md section 4); without it there is nothing to shape.
      this.fail(rowKey);
      this.attachments.delete(podKey);
      const reason = `the Pod's host-side veth peer of ${attachment.podInterface} was not found in the agent's network namespace; ingress is paced there`;
      return this.book.set(row, upToDate ? settledState : "pending", upToDate ? invalidReason : reason, applied ?? null);
    }
    try {
      const result = await this.options.datapath!.ensureLimit({ attachment, direction, bitsPerSecond: target });
      this.backoff.delete(rowKey);
      this.lastGood.set(rowKey, target);
      const enforced = { ...(applied ?? emptyApplied(podKey, direction)), identity: result.identity, bitsPerSecond: target };
      this.known.set(rowKey, enforced);
      if (!upToDate) this.options.log(`${podKey} ${direction}: limit ${formatBitsPerSecond(target)} enforced (identity ${result.identity})`);
      if (result.repaired.length > 0) {
        const message = `${direction} shaping was tampered with (${result.repaired.join(", ")} removed) and has been restored`;
        this.options.events.emit(pod, "Warning", "Tampered", message);
        this.options.log(`${podKey} ${direction}: ${message}`);
      }
      this.book.set(row, settledState, invalidReason, enforced);
    } catch (error) {
      this.fail(rowKey);
      this.options.observer?.reconcileError(podKey, direction, error);
      const message = error instanceof Error ? error.message : String(error);
      const notFound = error instanceof DatapathError && error.code === "NOT_FOUND";
      if (notFound) this.attachments.delete(podKey);
      this.options.log(`${podKey} ${direction}: apply ${formatBitsPerSecond(target)} failed, will retry: ${message}`);
      this.book.set(row, notFound ? "pending" : "error", `apply ${formatBitsPerSecond(target)}: ${message}`, applied ?? null);
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

  private reportInvalid(pod: PodInfo, rowKey: string, direction: Direction, value: string, message: string): void {
    if (this.reportedInvalid.get(rowKey) === value) return;
    this.reportedInvalid.set(rowKey, value);
    this.options.events.emit(pod, "Warning", "InvalidBandwidth", message);
    this.options.observer?.invalidAnnotation(pod, direction);
    this.options.log(`${podKeyOf(pod)} ${direction}: ${message}`);
  }

  private async remove(podKey: string, direction: Direction, why: string): Promise<void> {
    const rowKey = rowKeyOf(podKey, direction);
    try {
      await this.options.datapath!.removeLimit(podKey, direction);
      this.known.delete(rowKey);
      this.lastGood.delete(rowKey);
      this.options.log(`${podKey} ${direction}: limit removed (${why})`);
    } catch (error) {
      this.fail(rowKey);
      this.changed.add(podKey); // retried by the next pass of any kind, as when every pass listed the datapath
      this.options.observer?.reconcileError(podKey, direction, error);
      this.options.log(`${podKey} ${direction}: remove failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private fail(rowKey: string): void {
    this.backoff.set(rowKey, nextBackoff(this.backoff.get(rowKey), this.now(), this.options.maxBackoffMs));
  }

  private forget(rowKey: string): void {
    this.lastGood.delete(rowKey);
    this.reportedInvalid.delete(rowKey);
    this.backoff.delete(rowKey);
  }
}

const podKeyOfRow = (rowKey: string): string => rowKey.slice(0, rowKey.lastIndexOf("\u0000"));

const emptyApplied = (podKey: string, direction: Direction): AppliedLimit => ({
  podKey,
  direction,
  identity: 0,
  bitsPerSecond: 0,
  netnsPath: "",
  interfaceName: "",
  counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0 },
});
