/**
 * Leader election on a coordination.k8s.io Lease, pure: client-go's algorithm (tools/leaderelection) with
 * its defaults — a 15 s lease, a 10 s renew deadline, a 2 s retry period — and no clocks of its own.
 *
 * Every retry period the caller GETs the Lease and passes what it got to `observe`, which says what to
 * write (create or update with the GET's resourceVersion, so two candidates cannot both win), or to wait.
 * A candidate never compares the Lease's timestamps with its own clock: it takes a Lease held by another
 * only after seeing the same record unchanged for a whole lease duration on its own clock. The leader
 * counts itself leader only until renewDeadline after its last successful renewal, which is shorter than
 * the lease duration: the old leader stops acting ≥ 5 s before anyone else may start.
 */

export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationMs: number;
  /** The holder's clock, informational only (see above). */
  acquireTimeMs: number;
  renewTimeMs: number;
  leaseTransitions: number;
}

export interface ObservedLease {
  record: LeaseRecord;
  resourceVersion: string;
}

export interface ElectionTuning {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_ELECTION: ElectionTuning = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };

export type ElectionStep =
  | { kind: "wait" }
  | { kind: "create"; record: LeaseRecord }
  | { kind: "update"; record: LeaseRecord; resourceVersion: string };

const sameRecord = (a: LeaseRecord, b: LeaseRecord): boolean =>
  a.holderIdentity === b.holderIdentity && a.renewTimeMs === b.renewTimeMs && a.acquireTimeMs === b.acquireTimeMs && a.leaseTransitions === b.leaseTransitions && a.leaseDurationMs === b.leaseDurationMs;

export class LeaderElector {
  private observed: LeaseRecord | null = null;
  private observedAtMs = -Infinity;
  private lastRenewedMs = -Infinity;

  constructor(readonly identity: string, private readonly tuning: ElectionTuning = DEFAULT_ELECTION) {
    if (!(tuning.renewDeadlineMs < tuning.leaseDurationMs)) throw new RangeError("renewDeadlineMs must be below leaseDurationMs, or two leaders may overlap");
    if (!(tuning.retryPeriodMs < tuning.renewDeadlineMs)) throw new RangeError("retryPeriodMs must be below renewDeadlineMs, or the leader cannot renew in time");
  }

  isLeader(nowMs: number): boolean {
    return nowMs < this.lastRenewedMs + this.tuning.renewDeadlineMs;
  }

  /** The result of this period's GET of the Lease. */
  observe(nowMs: number, got: ObservedLease | "absent" | "unreachable"): ElectionStep {
    if (got === "unreachable") return { kind: "wait" };
    const mine = (previous: LeaseRecord | null): LeaseRecord => {
      const continuing = previous !== null && previous.holderIdentity === this.identity && this.isLeader(nowMs);
      return {
        holderIdentity: this.identity,
        leaseDurationMs: this.tuning.leaseDurationMs,
        acquireTimeMs: continuing ? previous.acquireTimeMs : nowMs,
        renewTimeMs: nowMs,
        leaseTransitions: previous === null ? 0 : previous.leaseTransitions + (previous.holderIdentity === this.identity ? 0 : 1),
      };
    };
    if (got === "absent") return { kind: "create", record: mine(null) };
    if (this.observed === null || !sameRecord(this.observed, got.record)) {
      this.observed = got.record;
      this.observedAtMs = nowMs;
    }
    const heldByOther = got.record.holderIdentity !== "" && got.record.holderIdentity !== this.identity;
    if (heldByOther && nowMs < this.observedAtMs + got.record.leaseDurationMs) return { kind: "wait" };
    return { kind: "update", record: mine(got.record), resourceVersion: got.resourceVersion };
  }

  /** The create or update's outcome; `sentAtMs` is when it was sent (the renewal counts from then). */
  written(sentAtMs: number, nowMs: number, result: { ok: true; lease: ObservedLease } | { ok: false }): void {
    if (!result.ok) return;
    this.observed = result.lease.record;
    this.observedAtMs = nowMs;
    this.lastRenewedMs = Math.max(this.lastRenewedMs, sentAtMs);
  }

  /** Leadership ended here (the process stops acting as leader, e.g. on shutdown). */
  resign(): void {
    this.lastRenewedMs = -Infinity;
  }
}
