/**
 * Writes each BandwidthBudget's status (budgets/budget-status.ts decides what) with a JSON merge patch to
 * the /status subresource, only when what the server holds differs. Every agent runs one, so:
 * - the patch carries the resourceVersion it was computed from: a writer that lost the race gets 409 and
 *   writes nothing; the watch then brings the winner's status, which already says the same;
 * - a short random delay before writing lets the first writer's status reach the others first, so a
 *   thousand nodes do not all patch at once;
 * - the agent whose patch changed the status also emits the Event (Warning InvalidBandwidthBudget), so the
 *   Event is written once, not once per node.
 * Failures (403, unreachable) go to ApiAccess and are retried with backoff; nothing here throws.
 */
import type { ApiAccess } from "./api/access.js";
import { closeConnection, type ApiConnection } from "./api/connection.js";
import { loadApiConnection } from "./api/load.js";
import { describeApiError, KubeApiError, kubeRequest } from "./api/request.js";
import { statusPatchFor, type BudgetObjectWithStatus } from "../budgets/budget-status.js";
import { BUDGET_API_GROUP, BUDGET_API_VERSION } from "./budget-informer.js";
import type { EventSink } from "./events.js";
import { randomBetween } from "./observed-watch.js";
import type { ObjectEvent } from "./pod.js";

export const INVALID_BUDGET_REASON = "InvalidBandwidthBudget";
const RESOURCE = "bandwidthbudgets/status";

export interface BudgetStatusWriterOptions {
  kubeconfig?: string | ApiConnection;
  events: EventSink;
  access?: ApiAccess;
  log?: (line: string) => void;
  now?: () => Date;
  /** Longest random wait before a write (default 2000 ms; 0 in tests). */
  jitterMilliseconds?: number;
  /** Retry after a failed write (default 5 s doubling to 5 min). */
  retry?: { initialMilliseconds?: number; maxMilliseconds?: number };
}

const keyOf = (object: BudgetObjectWithStatus): string => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;

export class BudgetStatusWriter {
  private connection: Promise<ApiConnection> | undefined;
  private readonly latest = new Map<string, BudgetObjectWithStatus>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly writing = new Set<string>();
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: BudgetStatusWriterOptions) {}

  /** A budget source's event: every budget listed or changed is looked at, those gone are forgotten. */
  apply(event: ObjectEvent<BudgetObjectWithStatus>): void {
    if (event.type === "delete") return this.forget(event.object);
    if (event.type === "upsert") return this.observe(event.object);
    const listed = new Set(event.objects.map(keyOf));
    for (const [key, object] of [...this.latest]) if (!listed.has(key)) this.forget(object);
    for (const object of event.objects) this.observe(object);
  }

  /** The newest version of a budget (from a sync or an upsert): write its status if it needs one. */
  observe(object: BudgetObjectWithStatus): void {
    if (this.closed) return;
    const key = keyOf(object);
    this.latest.set(key, object);
    if (statusPatchFor(object, this.now()) === null) {
      this.cancel(key);
      this.failures.delete(key);
      this.wakeIdle();
      return;
    }
    if (this.timers.has(key) || this.writing.has(key)) return; // the write reads the latest version when it runs
    this.schedule(key, randomBetween(0, this.options.jitterMilliseconds ?? 2000));
  }

  forget(object: BudgetObjectWithStatus): void {
    const key = keyOf(object);
    this.latest.delete(key);
    this.failures.delete(key);
    this.cancel(key);
    this.wakeIdle();
  }

  /** Resolves when no write is waiting or running (tests). */
  idle(): Promise<void> {
    if (this.timers.size === 0 && this.writing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const key of [...this.timers.keys()]) this.cancel(key);
    await this.idle();
    if (typeof this.options.kubeconfig !== "object" && this.connection) closeConnection(await this.connection.catch(() => undefined));
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private schedule(key: string, delay: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.write(key);
    }, delay);
    timer.unref();
    this.timers.set(key, timer);
  }

  private cancel(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private api(): Promise<ApiConnection> {
    const { kubeconfig, log } = this.options;
    this.connection ??= typeof kubeconfig === "object" ? Promise.resolve(kubeconfig) : loadApiConnection(kubeconfig, { log });
    return this.connection;
  }

  private async write(key: string): Promise<void> {
    const object = this.latest.get(key);
    const patch = object && !this.closed ? statusPatchFor(object, this.now()) : null;
    if (!object || !patch) return this.wakeIdle();
    this.writing.add(key);
    const { namespace = "", name = "" } = object.metadata ?? {};
    let retryAfter: number | null = null;
    try {
      const written = await kubeRequest<BudgetObjectWithStatus>(await this.api(), {
        method: "PATCH",
        path: `/apis/${BUDGET_API_VERSION}/namespaces/${encodeURIComponent(namespace)}/bandwidthbudgets/${encodeURIComponent(name)}/status`,
        body: patch,
        contentType: "application/merge-patch+json",
      });
      this.options.access?.succeeded("patch", RESOURCE);
      this.failures.delete(key);
      const accepted = patch.status.conditions.find((condition) => condition.type === "Accepted");
      this.options.log?.(`budget ${namespace}/${name}: status written: Accepted=${accepted?.status} (${accepted?.message})`);
      if (accepted?.status === "False") this.emitInvalid(written ?? object, accepted.message);
    } catch (error) {
      const statusCode = error instanceof KubeApiError ? error.statusCode : null;
      // 409: another agent wrote first (its status arrives by the watch); 404: the budget is gone
      if (statusCode === 409 || statusCode === 404) this.options.access?.succeeded("patch", RESOURCE);
      else {
        this.options.access?.failed("patch", RESOURCE, error, describeApiError(error), { apiGroup: BUDGET_API_GROUP });
        const failures = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, failures);
        const ceiling = Math.min(this.options.retry?.maxMilliseconds ?? 300_000, (this.options.retry?.initialMilliseconds ?? 5000) * 2 ** Math.min(failures - 1, 20));
        retryAfter = Math.round(randomBetween(ceiling / 2, ceiling));
        this.options.log?.(`budget ${namespace}/${name}: write its status: ${describeApiError(error)}; retry in ${retryAfter} ms`);
      }
    } finally {
      this.writing.delete(key);
    }
    const newest = this.latest.get(key);
    if (!this.closed && newest && !this.timers.has(key) && statusPatchFor(newest, this.now()) !== null) {
      // a failed write waits out its backoff; a newer version seen meanwhile is looked at again at once
      if (retryAfter !== null) this.schedule(key, retryAfter);
      else if (newest !== object) this.schedule(key, 0);
    }
    this.wakeIdle();
  }

  private emitInvalid(object: BudgetObjectWithStatus, message: string): void {
    const { namespace = "", name = "", uid = "", resourceVersion } = object.metadata ?? {};
    const subject = { kind: "BandwidthBudget", apiVersion: BUDGET_API_VERSION, namespace, name, uid, ...(resourceVersion ? { resourceVersion } : {}) };
    if (this.options.events.emitOn) this.options.events.emitOn(subject, "Warning", INVALID_BUDGET_REASON, message);
    else this.options.log?.(`event Warning ${INVALID_BUDGET_REASON} bandwidthbudget/${namespace}/${name}: ${message}`);
  }

  private wakeIdle(): void {
    if (this.timers.size !== 0 || this.writing.size !== 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
