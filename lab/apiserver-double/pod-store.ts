/**
 * Pod state of the Kubernetes API-server TEST DOUBLE: the objects, a monotonically increasing
 * resourceVersion, the change history a watch replays from, and the live watchers. Pure (no HTTP), so the
 * list/watch semantics are testable on their own:
 * - a list returns the matching Pods and the store's current resourceVersion;
 * - a watch from resourceVersion "" or "0" starts with synthetic ADDED events for the current state, as the
 *   real server does ("Start at most recent", k8s.io/docs/reference/using-api/api-concepts/#semantics-for-watch);
 * - a watch from N replays every change after N, then streams live; N older than the compacted history is
 *   answered with an ERROR event carrying a 410 Status ("too old resource version"), as etcd compaction causes;
 * - with a field selector, a change that makes a Pod stop (start) matching is delivered as DELETED (ADDED).
 */
import { randomUUID } from "node:crypto";
import { matchesFieldSelector, type FieldRequirement } from "./field-selector.js";

export interface PodObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    [key: string]: unknown;
  };
  spec?: { nodeName?: string; hostNetwork?: boolean; [key: string]: unknown };
  status?: { podIP?: string; podIPs?: Array<{ ip: string }>; [key: string]: unknown };
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "ERROR";
export interface WatchEvent {
  type: WatchEventType;
  object: unknown;
}

interface Change {
  resourceVersion: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  previous: PodObject | undefined;
  object: PodObject;
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

export class PodStore {
  private resourceVersion = 1;
  /** Changes at or below this resourceVersion are gone; a watch from before it gets 410. */
  private compactedAt = 1;
  private readonly pods = new Map<string, PodObject>();
  private history: Change[] = [];
  private readonly watchers = new Set<Watcher>();

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  get(namespace: string, name: string): PodObject | undefined {
    const pod = this.pods.get(keyOf(namespace, name));
    return pod ? structuredClone(pod) : undefined;
  }

  list(requirements: FieldRequirement[]): { resourceVersion: string; items: PodObject[] } {
    const items = [...this.pods.values()]
      .filter((pod) => matchesFieldSelector(pod, requirements))
      .map((pod) => structuredClone(pod));
    return { resourceVersion: this.currentResourceVersion(), items };
  }

  /** Creates or replaces a Pod (uid kept across replacements unless the caller sets one). */
  upsert(input: PodObject): PodObject {
    const key = keyOf(input.metadata.namespace, input.metadata.name);
    const previous = this.pods.get(key);
    const pod: PodObject = structuredClone({ apiVersion: "v1", kind: "Pod", ...input });
    pod.metadata.uid = input.metadata.uid ?? previous?.metadata.uid ?? randomUUID();
    pod.metadata.creationTimestamp = previous?.metadata.creationTimestamp ?? new Date().toISOString();
    this.resourceVersion += 1;
    pod.metadata.resourceVersion = String(this.resourceVersion);
    this.pods.set(key, pod);
    this.record({ resourceVersion: this.resourceVersion, type: previous ? "MODIFIED" : "ADDED", previous, object: pod });
    return structuredClone(pod);
  }

  /** Edits a stored Pod in place (e.g. an annotation); returns the new version. */
  modify(namespace: string, name: string, edit: (pod: PodObject) => void): PodObject {
    const current = this.pods.get(keyOf(namespace, name));
    if (!current) throw new Error(`apiserver test double: modify pod ${namespace}/${name}: not found`);
    const next = structuredClone(current);
    edit(next);
    return this.upsert(next);
  }

  delete(namespace: string, name: string): PodObject | undefined {
    const key = keyOf(namespace, name);
    const previous = this.pods.get(key);
    if (!previous) return undefined;
    this.pods.delete(key);
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
      for (const pod of this.pods.values()) {
        if (matchesFieldSelector(pod, watcher.requirements)) {
          watcher.send({ type: "ADDED", object: structuredClone(pod) });
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

  private record(change: Change): void {
    this.history.push(change);
    for (const watcher of this.watchers) this.deliver(watcher, change);
  }

  private deliver(watcher: Watcher, change: Change): void {
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
