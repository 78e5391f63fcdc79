/**
 * What the reconciler does to the datapath for one row: ensure its limits (after finding the Pod's network
 * namespace and interfaces, cached per Pod IP) or remove them, keeping the row's record — what is enforced,
 * the last good limits, the backoff — true to the outcome, and reporting Tampered repairs.
 */
import { DatapathError, type AppliedLimit, type Direction, type PodAttachment } from "../datapath/datapath.js";
import { podKeyOf, type PodInfo } from "../kube/pod.js";
import { nextBackoff } from "./backoff.js";
import { describeTarget, type EnsureAttempt, type RowTarget } from "./decide.js";
import type { ReconcilerOptions, RowRecord } from "./reconciler.js";

export class RowActions {
  /** Per Pod: its network namespace and interfaces, found by Pod IP (re-resolved when the IP changes). */
  readonly attachments = new Map<string, { ip: string; attachment: PodAttachment }>();

  constructor(
    private readonly options: ReconcilerOptions,
    private readonly now: () => number,
    private readonly retryPod: (podKey: string) => void,
  ) {}

  /** Tries to enforce `target` for the row; the record holds what the datapath enforces afterwards. */
  async ensure(pod: PodInfo, direction: Direction, target: RowTarget, upToDate: boolean, record: RowRecord): Promise<EnsureAttempt> {
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
      const result = await this.options.datapath!.ensureLimit({ attachment, direction, ...target });
      record.backoff = null;
      record.lastGood = { all: target.bitsPerSecond ?? record.lastGood.all, external: target.externalBitsPerSecond ?? record.lastGood.external };
      record.known = { ...(record.known ?? emptyApplied(podKey, direction)), identity: result.identity, ...target, budgets: [...target.budgets] };
      if (!upToDate) this.options.log(`${podKey} ${direction}: ${describeTarget(target)} enforced (identity ${result.identity})`);
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
      this.options.log(`${podKey} ${direction}: apply ${describeTarget(target)} failed, will retry: ${message}`);
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

  /** Removes the row's limits; a failure is retried by the next pass of any kind. */
  async remove(podKey: string, direction: Direction, why: string, record: RowRecord): Promise<void> {
    try {
      await this.options.datapath!.removeLimit(podKey, direction);
      record.known = null;
      record.lastGood = { all: null, external: null };
      this.options.log(`${podKey} ${direction}: limit removed (${why})`);
    } catch (error) {
      this.fail(record);
      this.retryPod(podKey); // retried by the next pass of any kind, as when every pass listed the datapath
      this.options.observer?.reconcileError(podKey, direction, error);
      this.options.log(`${podKey} ${direction}: remove failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  fail(record: RowRecord): void {
    record.backoff = nextBackoff(record.backoff ?? undefined, this.now(), this.options.maxBackoffMs);
  }
}

const emptyApplied = (podKey: string, direction: Direction): AppliedLimit => ({
  podKey,
  direction,
  identity: 0,
  bitsPerSecond: null,
  externalBitsPerSecond: null,
  budgets: [],
  netnsPath: "",
  interfaceName: "",
  counters: { packets: 0, bytes: 0, delayedPackets: 0, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
});
