/**
 * core/v1 Events held by the Kubernetes API-server TEST DOUBLE: POST creates (409 when the name exists),
 * PATCH updates (JSON patch, merge patch, or strategic merge patch treated as a merge patch — enough for
 * Events, which have no list fields a client patches). Every request is recorded so tests can assert on
 * what a client sent, not only on the final state.
 */
import { randomUUID } from "node:crypto";

export interface RecordedEventRequest {
  method: "POST" | "PATCH";
  namespace: string;
  name: string;
  contentType: string;
  body: unknown;
}

export interface StoredEvent {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; [key: string]: unknown };
  [key: string]: unknown;
}

export class EventStoreError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface JsonPatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

export class EventStore {
  readonly requests: RecordedEventRequest[] = [];
  private readonly events = new Map<string, StoredEvent>();
  private resourceVersion = 1;

  all(): StoredEvent[] {
    return [...this.events.values()].map((event) => structuredClone(event));
  }

  create(namespace: string, body: unknown, contentType: string): StoredEvent {
    const object = (body ?? {}) as { metadata?: { name?: string; generateName?: string } };
    const name = object.metadata?.name ?? `${object.metadata?.generateName ?? "event."}${randomUUID().slice(0, 8)}`;
    this.requests.push({ method: "POST", namespace, name, contentType, body: structuredClone(body) });
    const key = `${namespace}/${name}`;
    if (this.events.has(key)) throw new EventStoreError(409, "AlreadyExists", `events "${name}" already exists`);
    const stored = structuredClone(object) as StoredEvent;
    stored.metadata = { ...stored.metadata, name, namespace, uid: randomUUID(), resourceVersion: this.nextVersion() };
    this.events.set(key, stored);
    return structuredClone(stored);
  }

  patch(namespace: string, name: string, body: unknown, contentType: string): StoredEvent {
    this.requests.push({ method: "PATCH", namespace, name, contentType, body: structuredClone(body) });
    const key = `${namespace}/${name}`;
    const current = this.events.get(key);
    if (!current) throw new EventStoreError(404, "NotFound", `events "${name}" not found`);
    const next = contentType.startsWith("application/json-patch+json")
      ? applyJsonPatch(current, body)
      : mergePatch(current, body);
    next.metadata.resourceVersion = this.nextVersion();
    this.events.set(key, next);
    return structuredClone(next);
  }

  /** Removes an Event as its TTL would (a later PATCH gets 404). */
  expire(namespace: string, name: string): boolean {
    return this.events.delete(`${namespace}/${name}`);
  }

  private nextVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }
}

/** RFC 6902 add/replace/remove on object paths (what Event patches use). */
function applyJsonPatch(target: StoredEvent, body: unknown): StoredEvent {
  if (!Array.isArray(body)) throw new EventStoreError(400, "BadRequest", "json patch: body must be an array");
  const result = structuredClone(target) as Record<string, unknown>;
  for (const operation of body as JsonPatchOperation[]) {
    const segments = operation.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = segments.pop();
    if (last === undefined) throw new EventStoreError(400, "BadRequest", `json patch: bad path ${operation.path}`);
    let parent = result;
    for (const segment of segments) {
      const child = parent[segment];
      if (typeof child !== "object" || child === null) {
        throw new EventStoreError(422, "Invalid", `json patch: path ${operation.path} does not exist`);
      }
      parent = child as Record<string, unknown>;
    }
    if (operation.op === "add" || operation.op === "replace") parent[last] = structuredClone(operation.value);
    else if (operation.op === "remove") delete parent[last];
    else throw new EventStoreError(422, "Invalid", `json patch: unsupported op ${operation.op}`);
  }
  return result as StoredEvent;
}

/** RFC 7386 merge patch. */
function mergePatch(target: StoredEvent, body: unknown): StoredEvent {
  const merge = (base: unknown, patch: unknown): unknown => {
    if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return structuredClone(patch);
    const result: Record<string, unknown> =
      typeof base === "object" && base !== null && !Array.isArray(base) ? { ...(base as Record<string, unknown>) } : {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete result[key];
      else result[key] = merge(result[key], value);
    }
    return result;
  };
  return merge(target, body) as StoredEvent;
}
