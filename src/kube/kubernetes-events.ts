/**
 * The Kubernetes EventSink: core/v1 Events on a Pod or a BandwidthBudget (involvedObject with uid,
 * source.component "pacer"),
 * written the way kubelet's event recorder does (k8s.io/client-go/tools/record):
 * - the first occurrence of (object uid, type, reason, message) is POSTed as a new Event named
 *   `<object name>.<hex nanoseconds>` with count 1;
 * - repeats PATCH that Event's count and lastTimestamp instead of creating new ones (a 404 — the Event
 *   expired, default TTL 1 h — creates a new one);
 * - emit() never blocks and never throws: writes run in the background, errors are logged;
 * - writes are rate-limited by one token bucket (default burst 50, 10 per second — kubelet's defaults are
 *   eventRecordQPS 50 / eventBurst 100). Repeats that arrive while a key waits for a token or is being
 *   written coalesce into one write carrying the latest count, so counts stay exact under the limit.
 */
import type { CoreV1Event } from "@kubernetes/client-node";
import type { ApiAccess } from "./api/access.js";
import { closeConnection, type ApiConnection } from "./api/connection.js";
import { loadApiConnection } from "./api/load.js";
import { describeApiError, KubeApiError, kubeRequest } from "./api/request.js";
import { podSubject, type EventSink, type EventSubject, type EventType } from "./events.js";
import type { PodInfo } from "./pod.js";

export interface KubernetesEventSinkOptions {
  /** Path of a kubeconfig ("" / undefined: in-cluster, else default loading rules), or a connection. */
  kubeconfig?: string | ApiConnection;
  /** Where create/patch failures are reported (and cleared by a success), for `pacer status`. */
  access?: ApiAccess;
  /** source.host and reportingInstance of every Event. */
  nodeName: string;
  log?: (line: string) => void;
  rateLimit?: { burst?: number; perSecond?: number };
  /** At most this many (Pod, type, reason, message) keys are remembered for aggregation (oldest idle evicted). */
  maxTrackedKeys?: number;
}

/** A token bucket: `take()` returns 0 when a token was taken, else the milliseconds until one is available. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }
}

interface TrackedEvent {
  subject: EventSubject;
  type: EventType;
  reason: string;
  message: string;
  /** Name of the Event on the server, once created. */
  eventName: string | undefined;
  count: number;
  sentCount: number;
  firstTimestamp: Date;
  lastTimestamp: Date;
  inFlight: boolean;
}

/** metav1.Time is RFC 3339 with second precision. */
const rfc3339 = (time: Date): string => time.toISOString().replace(/\.\d{3}Z$/, "Z");

export class KubernetesEventSink implements EventSink {
  private readonly connection: Promise<ApiConnection>;
  private readonly log: (line: string) => void;
  private readonly bucket: TokenBucket;
  private readonly maxTrackedKeys: number;
  private readonly tracked = new Map<string, TrackedEvent>();
  /** Keys with unsent occurrences, not in flight, in arrival order. */
  private readonly pending = new Set<string>();
  private drainTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private nameSequence = 0;
  private dropped = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: KubernetesEventSinkOptions) {
    this.log = options.log ?? ((line: string) => console.error(line));
    this.connection =
      typeof options.kubeconfig === "object"
        ? Promise.resolve(options.kubeconfig)
        : loadApiConnection(options.kubeconfig, { log: this.log });
    // a bad config is said now; each write then logs its own failure
    this.connection.catch((error: unknown) => this.log(`pacer events: connect to the API server: ${describeApiError(error)}`));
    this.bucket = new TokenBucket(options.rateLimit?.burst ?? 50, options.rateLimit?.perSecond ?? 10);
    this.maxTrackedKeys = options.maxTrackedKeys ?? 4096;
  }

  emit(pod: PodInfo, type: EventType, reason: string, message: string): void {
    this.emitOn(podSubject(pod), type, reason, message);
  }

  emitOn(subject: EventSubject, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    const key = JSON.stringify([subject.uid, type, reason, message]);
    const now = new Date();
    let entry = this.tracked.get(key);
    if (entry) {
      this.tracked.delete(key); // re-insert: Map order is least recently used first
    } else {
      if (!this.makeRoom()) {
        this.dropped += 1;
        this.log(`pacer events: ${this.dropped} Event(s) dropped: ${this.maxTrackedKeys} distinct Events pending`);
        return;
      }
      entry = { subject, type, reason, message, eventName: undefined, count: 0, sentCount: 0, firstTimestamp: now, lastTimestamp: now, inFlight: false };
    }
    this.tracked.set(key, entry);
    entry.count += 1;
    entry.lastTimestamp = now;
    if (!entry.inFlight) this.pending.add(key);
    this.drain();
  }

  /** Resolves once every emitted occurrence has been written (or failed and was logged). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops writing: pending occurrences are dropped, writes in flight are awaited. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending.clear();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    await this.idle();
    if (typeof this.options.kubeconfig !== "object") closeConnection(await this.connection.catch(() => undefined));
  }

  private makeRoom(): boolean {
    if (this.tracked.size < this.maxTrackedKeys) return true;
    for (const [key, entry] of this.tracked) {
      if (!entry.inFlight && !this.pending.has(key)) {
        this.tracked.delete(key);
        return true;
      }
    }
    return false;
  }

  private drain(): void {
    if (this.drainTimer || this.closed) return;
    for (const key of this.pending) {
      const wait = this.bucket.take();
      if (wait > 0) {
        this.drainTimer = setTimeout(() => {
          this.drainTimer = undefined;
          this.drain();
        }, wait);
        this.drainTimer.unref(); // best effort: pending Events never keep a stopping agent alive
        return;
      }
      this.pending.delete(key);
      const entry = this.tracked.get(key);
      if (entry) void this.write(key, entry);
    }
    this.wakeIdleWaiters();
  }

  private async write(key: string, entry: TrackedEvent): Promise<void> {
    entry.inFlight = true;
    this.inFlight += 1;
    const count = entry.count;
    try {
      if (entry.eventName !== undefined) {
        const patched = await this.patch(entry, count);
        if (!patched) entry.eventName = undefined; // expired on the server: create a new one
      }
      if (entry.eventName === undefined) await this.create(entry, count);
    } catch (error) {
      this.log(
        `pacer events: write Event ${entry.reason} on ${entry.subject.kind.toLowerCase()} ${entry.subject.namespace}/${entry.subject.name}: ${describeApiError(error)}`,
      );
    } finally {
      entry.sentCount = count; // a failed write is not retried: Events are best effort
      entry.inFlight = false;
      this.inFlight -= 1;
      if (entry.count > entry.sentCount && !this.closed && this.tracked.get(key) === entry) this.pending.add(key);
      this.drain();
      this.wakeIdleWaiters();
    }
  }

  private async create(entry: TrackedEvent, count: number): Promise<void> {
    const { subject } = entry;
    const nanoseconds = BigInt(Date.now()) * 1_000_000n + BigInt(this.nameSequence++ % 1_000_000);
    const body: CoreV1Event = {
      metadata: { name: `${subject.name}.${nanoseconds.toString(16)}`, namespace: subject.namespace },
      involvedObject: { ...subject },
      reason: entry.reason,
      message: entry.message,
      type: entry.type,
      source: { component: "pacer", host: this.options.nodeName },
      reportingComponent: "pacer",
      reportingInstance: this.options.nodeName,
      count,
      firstTimestamp: entry.firstTimestamp,
      lastTimestamp: entry.lastTimestamp,
    };
    const created = await this.reported("create", async () =>
      kubeRequest<CoreV1Event>(await this.connection, {
        method: "POST",
        path: `/api/v1/namespaces/${encodeURIComponent(subject.namespace)}/events`,
        body,
      }),
    );
    entry.eventName = created.metadata?.name ?? body.metadata.name;
  }

  /** false when the Event no longer exists. */
  private async patch(entry: TrackedEvent, count: number): Promise<boolean> {
    const body = [
      { op: "replace", path: "/count", value: count },
      { op: "replace", path: "/lastTimestamp", value: rfc3339(entry.lastTimestamp) },
    ];
    try {
      await this.reported("patch", async () =>
        kubeRequest(await this.connection, {
          method: "PATCH",
          path: `/api/v1/namespaces/${encodeURIComponent(entry.subject.namespace)}/events/${encodeURIComponent(entry.eventName ?? "")}`,
          body,
          contentType: "application/json-patch+json",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return false;
      throw error;
    }
  }

  /** Runs one Event request and reports its outcome (a 404 on patch is an expired Event, not a problem). */
  private async reported<T>(verb: "create" | "patch", request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      this.options.access?.succeeded(verb, "events");
      return result;
    } catch (error) {
      if (!(error instanceof KubeApiError && error.statusCode === 404)) this.options.access?.failed(verb, "events", error, describeApiError(error));
      throw error;
    }
  }

  private wakeIdleWaiters(): void {
    if (this.pending.size !== 0 || this.inFlight !== 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

export const createKubernetesEventSink = (options: KubernetesEventSinkOptions): KubernetesEventSink =>
  new KubernetesEventSink(options);
