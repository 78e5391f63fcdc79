/**
 * Object state of the Kubernetes API-server TEST DOUBLE, one store per resource (Pods, Nodes, ServiceCIDRs,
 * BandwidthBudgets): the objects, a monotonically increasing resourceVersion, the change history a watch
 * replays from, and the live watchers. Pure (no HTTP), so the list/watch semantics are testable on their own:
 * - a list returns the matching objects and the store's current resourceVersion;
 * - a watch from resourceVersion "" or "0" starts with synthetic ADDED events for the current state, as the
 *   real server does ("Start at most recent", k8s.io/docs/reference/using-api/api-concepts/#semantics-for-watch);
 * - a watch from N replays every change after N, then streams live; N older than the compacted history is
 *   answered with an ERROR event carrying a 410 Status ("too old resource version"), as etcd compaction causes;
 * - with a field selector, a change that makes an object stop (start) matching is delivered as DELETED (ADDED);
 * - with `statusSubresource` (a CRD's `subresources.status`): metadata.generation counts spec changes, an
 *   upsert keeps the stored status, and only patchStatus changes it (a JSON merge patch; a resourceVersion in
 *   the patch must match the stored one, else 409 Conflict).
 */
import { randomUUID } from "node:crypto";
import { matchesFieldSelector, type FieldRequirement } from "./field-selector.js";

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    /** "" for cluster-scoped objects (Nodes, ServiceCIDRs). */
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  spec?: { [key: string]: unknown };
  status?: { [key: string]: unknown };
}

export interface StoreOptions {
  apiVersion: string;
  kind: string;
  statusSubresource?: boolean;
}

/** An API error the HTTP face turns into a Status (404, 409, ...). */
export class StoreError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "ERROR";
export interface WatchEvent {
  type: WatchEventType;
  object: unknown;
}

interface Change<T> {
  resourceVersion: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  previous: T | undefined;
  object: T;
}

export interface Watcher {
  requirements: FieldRequirement[];
  send(event: WatchEvent): void;
  /** Ends the watch from the server side (the connection closes). */
  end(): void;
}

export const goneStatus = (requested: string, current: number): WatchEvent => ({
  type: "ERROR",
  object: {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: `too old resource version: ${requested} (${current})`,
    reason: "Expired",
    code: 410,
  },
});

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/** RFC 7386 JSON merge patch. */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = typeof base === "object" && base !== null && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class ObjectStore<T extends StoredObject> {
  private resourceVersion = 1;
  /** Changes at or below this resourceVersion are gone; a watch from before it gets 410. */
  private compactedAt = 1;
  private readonly objects = new Map<string, T>();
  private history: Change<T>[] = [];
  private readonly watchers = new Set<Watcher>();

  constructor(readonly options: StoreOptions) {}

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  get(namespace: string, name: string): T | undefined {
    const object = this.objects.get(keyOf(namespace, name));
    return object ? structuredClone(object) : undefined;
  }

  list(requirements: FieldRequirement[]): { resourceVersion: string; items: T[] } {
    const items = [...this.objects.values()]
      .filter((object) => matchesFieldSelector(object, requirements))
      .map((object) => structuredClone(object));
    return { resourceVersion: this.currentResourceVersion(), items };
  }

  /** Creates or replaces an object (uid kept across replacements unless the caller sets one). */
  upsert(input: T): T {
    const key = keyOf(input.metadata.namespace, input.metadata.name);
    const previous = this.objects.get(key);
    const object: T = structuredClone({ apiVersion: this.options.apiVersion, kind: this.options.kind, ...input });
    object.metadata.uid = input.metadata.uid ?? previous?.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = previous?.metadata.creationTimestamp ?? new Date().toISOString();
    if (this.options.statusSubresource) {
      // as the real server: the main resource ignores status; generation counts spec changes
      const specChanged = previous === undefined || JSON.stringify(previous.spec ?? {}) !== JSON.stringify(object.spec ?? {});
      object.metadata.generation = (previous?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
      if (previous?.status === undefined) delete object.status;
      else object.status = structuredClone(previous.status);
    }
    return this.store(key, previous, object);
  }

  /** Edits a stored object in place (e.g. an annotation); returns the new version. */
  modify(namespace: string, name: string, edit: (object: T) => void): T {
    const current = this.objects.get(keyOf(namespace, name));
    if (!current) throw new Error(`apiserver test double: modify ${this.options.kind} ${namespace}/${name}: not found`);
    const next = structuredClone(current);
    edit(next);
    return this.upsert(next);
  }

  /** PATCH .../status with a JSON merge patch: only status changes; a stale resourceVersion is refused. */
  patchStatus(namespace: string, name: string, patch: unknown): T {
    const key = keyOf(namespace, name);
    const current = this.objects.get(key);
    const plural = `${this.options.kind.toLowerCase()}s`;
    if (!current) throw new StoreError(404, "NotFound", `${plural} "${name}" not found`);
    const body = (patch ?? {}) as { metadata?: { resourceVersion?: unknown }; status?: unknown };
    const expected = body.metadata?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) {
      throw new StoreError(409, "Conflict", `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const object = structuredClone(current);
    if (body.status !== undefined) object.status = mergePatch(current.status, body.status) as T["status"];
    return this.store(key, current, object);
  }

  /** POST: a new object; 409 AlreadyExists when one has the name. */
  create(input: T): T {
    if (this.objects.has(keyOf(input.metadata.namespace, input.metadata.name))) {
      throw new StoreError(409, "AlreadyExists", `${this.plural()} "${input.metadata.name}" already exists`);
    }
    const { resourceVersion: _ignored, ...metadata } = input.metadata;
    return this.upsert({ ...input, metadata: { ...metadata, uid: undefined } } as T);
  }

  /** PUT: replaces the object; metadata.resourceVersion, when given, must be the stored one (409 Conflict). */
  update(input: T): T {
    const current = this.objects.get(keyOf(input.metadata.namespace, input.metadata.name));
    if (!current) throw new StoreError(404, "NotFound", `${this.plural()} "${input.metadata.name}" not found`);
    const expected = input.metadata.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) throw this.conflict(input.metadata.name);
    return this.upsert({ ...input, metadata: { ...input.metadata, uid: current.metadata.uid } });
  }

  /** PATCH of the main resource with a JSON merge patch (its status is ignored where status is a subresource). */
  patch(namespace: string, name: string, patch: unknown): T {
    const current = this.objects.get(keyOf(namespace, name));
    if (!current) throw new StoreError(404, "NotFound", `${this.plural()} "${name}" not found`);
    const body = (patch ?? {}) as { metadata?: { resourceVersion?: unknown } };
    if (body.metadata?.resourceVersion !== undefined && body.metadata.resourceVersion !== current.metadata.resourceVersion) throw this.conflict(name);
    const merged = mergePatch(current, patch) as T;
    merged.metadata = { ...merged.metadata, namespace, name, uid: current.metadata.uid };
    return this.upsert(merged);
  }

  private plural(): string {
    return `${this.options.kind.toLowerCase()}s`;
  }

  private conflict(name: string): StoreError {
    return new StoreError(409, "Conflict", `Operation cannot be fulfilled on ${this.plural()} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
  }

  private store(key: string, previous: T | undefined, object: T): T {
    this.resourceVersion += 1;
    object.metadata.resourceVersion = String(this.resourceVersion);
    this.objects.set(key, object);
    this.record({ resourceVersion: this.resourceVersion, type: previous ? "MODIFIED" : "ADDED", previous, object });
    return structuredClone(object);
  }

  delete(namespace: string, name: string): T | undefined {
    const key = keyOf(namespace, name);
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.objects.delete(key);
    this.resourceVersion += 1;
    const object = structuredClone(previous);
    object.metadata.resourceVersion = String(this.resourceVersion);
    this.record({ resourceVersion: this.resourceVersion, type: "DELETED", previous, object });
    return structuredClone(object);
  }

  /** Forgets the change history (like etcd compaction): watches from any older resourceVersion get 410. */
  compact(): void {
    this.compactedAt = this.resourceVersion;
    this.history = [];
  }

  /**
   * Starts a watch. Returns false when `fromResourceVersion` is too old (the watcher then got the 410 ERROR
   * event and should be ended by the caller).
   */
  watch(watcher: Watcher, fromResourceVersion: string): boolean {
    if (fromResourceVersion === "" || fromResourceVersion === "0") {
      for (const object of this.objects.values()) {
        if (matchesFieldSelector(object, watcher.requirements)) {
          watcher.send({ type: "ADDED", object: structuredClone(object) });
        }
      }
    } else {
      const from = Number(fromResourceVersion);
      if (!Number.isInteger(from) || from < this.compactedAt) {
        watcher.send(goneStatus(fromResourceVersion, this.resourceVersion));
        return false;
      }
      for (const change of this.history) {
        if (change.resourceVersion > from) this.deliver(watcher, change);
      }
    }
    this.watchers.add(watcher);
    return true;
  }

  unwatch(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }

  activeWatchers(): Watcher[] {
    return [...this.watchers];
  }

  private record(change: Change<T>): void {
    this.history.push(change);
    for (const watcher of this.watchers) this.deliver(watcher, change);
  }

  private deliver(watcher: Watcher, change: Change<T>): void {
    const matchedBefore = change.previous !== undefined && matchesFieldSelector(change.previous, watcher.requirements);
    const matchesNow = matchesFieldSelector(change.object, watcher.requirements);
    let type: WatchEvent["type"] | undefined;
    if (change.type === "DELETED") type = matchedBefore ? "DELETED" : undefined;
    else if (matchedBefore && matchesNow) type = "MODIFIED";
    else if (matchesNow) type = "ADDED";
    else if (matchedBefore) type = "DELETED";
    if (type) watcher.send({ type, object: structuredClone(change.object) });
  }
}
