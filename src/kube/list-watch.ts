/**
 * List-then-watch with a cache keyed by namespace/name: the logic of client-node 1.3.0's ListWatch
 * (dist/cache.js), ported line for line because that module imports client-node's generated model serializer
 * (+15 MB RSS, only to stringify the selectors). The watch itself is client-node's Watch (dist/watch.js).
 *
 * Semantics kept from the original: list when there is no resourceVersion, then watch from the list's
 * resourceVersion with the label/field selectors; objects missing from a relist get onDelete; a list object or
 * watch event whose resourceVersion equals the cached one is not an update; a watch that ends cleanly re-watches
 * from the last resourceVersion; 410 Gone (HTTP status, or an ERROR event followed by the watch ending) clears
 * the resourceVersion so the next round relists (added here: onExpired says so first); any other error goes to
 * onError and stops (the caller decides when to start() again).
 */
import type { Watch } from "@kubernetes/client-node/dist/watch.js";

export interface KubeObject {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
}
export interface KubeList<T> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

export interface ListWatchHandlers<T> {
  onAdd(object: T): void;
  onUpdate(object: T): void;
  onDelete(object: T): void;
  onError(error: unknown): void;
  /** The watch's resourceVersion expired (410 Gone): about to list again. */
  onExpired?(): void;
}

type WatchLike = Pick<Watch, "watch">;

export class ListWatch<T extends KubeObject> {
  private objects = new Map<string, Map<string, T>>();
  private resourceVersion = "";
  private expired = false;
  private stopped = false;
  private request: AbortController | undefined;

  constructor(
    private readonly path: string,
    private readonly watch: WatchLike,
    private readonly list: () => Promise<KubeList<T>>,
    private readonly handlers: ListWatchHandlers<T>,
    private readonly selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.doneHandler(null);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortRequest();
  }

  private abortRequest(): void {
    this.request?.abort();
    this.request = undefined;
  }

  private async doneHandler(error: unknown): Promise<void> {
    this.abortRequest();
    const status = error as { statusCode?: unknown; code?: unknown } | null;
    if (status && (status.statusCode === 410 || status.code === 410)) this.expire();
    else if (error) return this.handlers.onError(error);
    if (this.stopped) return;
    if (!this.resourceVersion) {
      if (this.expired) this.handlers.onExpired?.();
      this.expired = false;
      let list: KubeList<T>;
      try {
        list = await this.list();
      } catch (listError) {
        return this.handlers.onError(listError);
      }
      this.deleteMissing(list.items ?? []);
      for (const object of list.items ?? []) this.addOrUpdate(object);
      this.resourceVersion = list.metadata?.resourceVersion ?? "";
    }
    const queryParams: Record<string, string> = { resourceVersion: this.resourceVersion };
    if (this.selectors.labelSelector !== undefined) queryParams.labelSelector = this.selectors.labelSelector;
    if (this.selectors.fieldSelector !== undefined) queryParams.fieldSelector = this.selectors.fieldSelector;
    this.request = await this.watch.watch(
      this.path,
      queryParams,
      (phase, object) => this.watchHandler(phase, object as T & { code?: unknown }),
      (doneError) => void this.doneHandler(doneError),
    );
  }

  private watchHandler(phase: string, object: T & { code?: unknown }): void {
    switch (phase) {
      case "ERROR":
        if (object.code === 410) this.expire();
        return; // the watch ends after an ERROR event; doneHandler restarts
      case "ADDED":
      case "MODIFIED":
        this.addOrUpdate(object);
        break;
      case "DELETED":
        this.remove(object);
        break;
      default: // BOOKMARK: only the resourceVersion moves
    }
    this.resourceVersion = object.metadata?.resourceVersion ?? "";
  }

  private expire(): void {
    this.resourceVersion = "";
    this.expired = true;
  }

  private namespaceOf(object: T, create: boolean): Map<string, T> | undefined {
    const namespace = object.metadata?.namespace ?? "";
    let objects = this.objects.get(namespace);
    if (!objects && create) this.objects.set(namespace, (objects = new Map()));
    return objects;
  }

  private addOrUpdate(object: T): void {
    const objects = this.namespaceOf(object, true) as Map<string, T>;
    const name = object.metadata?.name ?? "";
    const found = objects.get(name);
    if (!found) {
      objects.set(name, object);
      this.handlers.onAdd(object);
    } else if (found.metadata?.resourceVersion == null || found.metadata.resourceVersion !== object.metadata?.resourceVersion) {
      objects.set(name, object);
      this.handlers.onUpdate(object);
    }
  }

  private remove(object: T): void {
    const objects = this.namespaceOf(object, false);
    if (!objects?.delete(object.metadata?.name ?? "")) return;
    this.handlers.onDelete(object);
    if (objects.size === 0) this.objects.delete(object.metadata?.namespace ?? "");
  }

  /** After a relist: every cached object the new list lacks is deleted. */
  private deleteMissing(items: T[]): void {
    const listed = new Set(items.map((object) => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`));
    for (const [namespace, objects] of this.objects) {
      for (const [name, object] of objects) {
        if (listed.has(`${namespace}/${name}`)) continue;
        objects.delete(name);
        this.handlers.onDelete(object);
      }
      if (objects.size === 0) this.objects.delete(namespace);
    }
  }
}
