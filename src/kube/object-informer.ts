/**
 * A list/watch source for any Kubernetes collection (Pods, Nodes, ServiceCIDRs, BandwidthBudgets), in the
 * ObjectSource protocol (src/kube/pod.ts): one "sync" with the full list, then "upsert"/"delete". The cache
 * is list-watch.ts (client-node 1.3.0's ListWatch logic), the watch client-node's Watch (observed-watch.ts),
 * the connection src/kube/api/.
 *
 * What client-node's ListWatch does by itself, and the gaps filled here:
 * - a watch the server closes cleanly → re-watch from the last resourceVersion (itself);
 * - 410 Gone, as an HTTP status or as an ERROR watch event → relist, and objects missing from the new list
 *   get delete callbacks (itself; the relist is logged here);
 * - any other error (connection refused, 5xx, a connection dropped mid-stream, a failed list) → it emits
 *   "error" and STOPS for good. Gap: we restart it with capped exponential backoff and jitter, resuming from
 *   the last resourceVersion (a stale one gets 410 → relist); the backoff starts over only once the server
 *   answered (a list, or a watch that opened);
 * - watches have no server-side timeout and no liveness check, so a half-open TCP connection would hang
 *   forever. Gap: we ask for timeoutSeconds (5–10 min, as client-go's reflector does) and abort a watch that
 *   outlives it by a minute;
 * - an object deleted and recreated under the same name while we were not watching comes back as an
 *   "update" with a new uid. Gap: we emit a delete of the old incarnation first;
 * - callback exceptions are swallowed by its line parser. Gap: we catch and log them ourselves;
 * - what a list or watch met (403, 401, unreachable) is only logged. Gap: each outcome goes to an ApiAccess
 *   per resource, which `pacer status` shows;
 * - a collection the server does not serve (404: a CRD not installed, an API older than the server's
 *   version) would be retried like an outage. Gap (`notServed`): said once, retried slowly, and shown in
 *   `pacer status` only where the operator has something to do.
 */
import { statusCodeOf, type ApiAccess } from "./api/access.js";
import { closeConnection, type ApiConnection } from "./api/connection.js";
import { loadApiConnection } from "./api/load.js";
import { describeApiError, kubeRequest } from "./api/request.js";
import { ListWatch, type KubeList } from "./list-watch.js";
import { ObservedWatch, randomBetween } from "./observed-watch.js";
import type { ObjectEvent, ObjectSource } from "./pod.js";

export interface InformedObject {
  metadata?: { namespace?: string; name?: string; uid?: string; resourceVersion?: string };
}

export interface Backoff {
  initialMilliseconds?: number;
  maxMilliseconds?: number;
}

export interface NotServedHandling {
  /** Logged when the list first answers 404, and not again until the collection was served. */
  log: string;
  /** What `pacer status` tells the operator meanwhile; without one the 404 is not shown as a problem. */
  action?: string;
  /** Retry backoff while not served (default 10 s doubling to 2 min). */
  backoff?: Backoff;
}

export interface ObjectInformerOptions<T> {
  /** Path of a kubeconfig ("" / undefined: in-cluster, else the default loading rules), or a connection. */
  kubeconfig?: string | ApiConnection;
  /** The collection, e.g. /api/v1/nodes, /apis/pacer.dev/v1alpha1/bandwidthbudgets (all namespaces). */
  path: string;
  /** Its RBAC resource name, for ApiAccess and what to grant ("nodes"). */
  resource: string;
  /** Its API group ("" for core). */
  apiGroup?: string;
  /** What log lines call it ("pods on node n1"). */
  what: string;
  fieldSelector?: string;
  /** Keeps only what the consumer reads of each object, before it is cached (a Node lists its images). */
  slim?: (object: T) => T;
  log?: (line: string) => void;
  access?: ApiAccess;
  /** Restart backoff after API errors (defaults: 500 ms doubling to 30 s). */
  backoff?: Backoff;
  notServed?: NotServedHandling;
  /** start() also returns once the first attempt failed (default: only after the first sync). */
  startReturnsOnFailure?: boolean;
}

/** What a source built on the object informer takes from its caller (each source states its own defaults). */
export interface ObjectSourceOptions extends Pick<ObjectInformerOptions<unknown>, "kubeconfig" | "log" | "access" | "backoff"> {
  /** Retry backoff while the server does not serve the collection. */
  notServedBackoff?: Backoff;
}

export interface ObjectInformer<T> extends ObjectSource<T> {
  /** The first full list was delivered. */
  readonly synced: boolean;
}

const keyOf = (object: InformedObject): string => `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
const uidOf = (object: InformedObject): string => object.metadata?.uid ?? "";

export function createObjectInformer<T extends InformedObject>(options: ObjectInformerOptions<T>): ObjectInformer<T> {
  const log = options.log ?? ((line: string) => console.error(line));
  const { resource, what } = options;
  const apiGroup = options.apiGroup ?? "";
  const notServedBackoff = { initialMilliseconds: 10_000, maxMilliseconds: 120_000, ...options.notServed?.backoff };
  const backoff = { initialMilliseconds: 500, maxMilliseconds: 30_000, ...options.backoff };

  /** Objects by namespace/name, as last delivered (the ListWatch cache is keyed the same way). */
  const known = new Map<string, T>();
  let onEvent: (event: ObjectEvent<T>) => void = () => {};
  let synced = false;
  let stopped = true;
  let failures = 0;
  let notServedNow = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let listWatch: ListWatch<T> | undefined;
  let watch: ObservedWatch | undefined;
  let connection: ApiConnection | undefined;
  let resolveStarted: () => void = () => {};

  const isNotServed = (error: unknown): boolean => options.notServed !== undefined && statusCodeOf(error) === 404;

  const report = (verb: "list" | "watch", error?: unknown): void => {
    if (!options.access) return;
    if (error === undefined || (isNotServed(error) && options.notServed?.action === undefined)) {
      options.access.succeeded(verb, resource);
      return;
    }
    const action = isNotServed(error) ? options.notServed?.action : undefined;
    options.access.failed(verb, resource, error, describeApiError(error), { apiGroup, action });
  };

  const deliver = (event: ObjectEvent<T>): void => {
    if (!synced) return; // before the first sync the cache is only filled; "sync" carries it
    try {
      onEvent(event);
    } catch (error) {
      log(`pacer informer: handle ${event.type} event of ${what}: ${String(error)}`);
    }
  };

  const onUpsert = (object: T): void => {
    const previous = known.get(keyOf(object));
    if (previous && uidOf(previous) !== uidOf(object)) deliver({ type: "delete", object: previous });
    known.set(keyOf(object), object);
    deliver({ type: "upsert", object });
  };

  const onDelete = (object: T): void => {
    const previous = known.get(keyOf(object));
    if (previous && uidOf(previous) !== uidOf(object)) return; // an older incarnation: the newer one stays
    known.delete(keyOf(object));
    deliver({ type: "delete", object: previous ?? object });
  };

  const beforeWatch = (): boolean => {
    if (stopped) return false;
    if (notServedNow) log(`pacer informer: ${what}: served now`);
    notServedNow = false;
    if (!synced) {
      synced = true;
      deliver({ type: "sync", objects: [...known.values()] });
      resolveStarted();
    }
    return true;
  };

  const scheduleRestart = (error: unknown): void => {
    if (stopped || restartTimer) return;
    failures += 1;
    const notServed = isNotServed(error);
    const { initialMilliseconds, maxMilliseconds } = notServed ? notServedBackoff : backoff;
    const ceiling = Math.min(maxMilliseconds, initialMilliseconds * 2 ** Math.min(failures - 1, 30));
    const delay = Math.round(randomBetween(ceiling / 2, ceiling));
    if (!notServed) log(`pacer informer: list/watch ${what}: ${describeApiError(error)}; retry in ${delay} ms`);
    else if (!notServedNow) log(options.notServed?.log ?? "");
    // other errors on the way back (a CRD's storage answers 429 for a moment) do not end the outage
    if (notServed) notServedNow = true;
    if (options.startReturnsOnFailure) resolveStarted();
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopped || !listWatch) return;
      listWatch.start().catch(scheduleRestart);
    }, delay);
  };

  return {
    get synced() {
      return synced;
    },
    async start(handler) {
      onEvent = handler;
      stopped = false;
      const api = typeof options.kubeconfig === "object" ? options.kubeconfig : (connection = await loadApiConnection(options.kubeconfig, { log }));
      const slim = options.slim;
      // The backoff starts over only once the server answered (a list, a watch opened): a watch resuming from
      // its resourceVersion during an outage must keep backing off, not retry every half second.
      const answered = () => (failures = 0);
      watch = new ObservedWatch(api, {
        beforeWatch,
        refused: (error) => report("watch", error),
        opened: () => {
          report("watch");
          answered();
        },
        slim: slim ? (object) => slim(object as T) : undefined,
      });
      const list = async (): Promise<KubeList<T>> => {
        try {
          const query: Record<string, string> = options.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector };
          const listed = await kubeRequest<KubeList<T>>(api, { method: "GET", path: options.path, query });
          report("list");
          answered();
          return slim ? { ...listed, items: (listed.items ?? []).map(slim) } : listed;
        } catch (error) {
          report("list", error);
          throw error;
        }
      };
      const onExpired = () => log(`pacer informer: the watch's resourceVersion expired (410 Gone: etcd compacted it): listing ${what} again`);
      const handlers = { onAdd: onUpsert, onUpdate: onUpsert, onDelete, onError: scheduleRestart, onExpired };
      listWatch = new ListWatch<T>(options.path, watch, list, handlers, { fieldSelector: options.fieldSelector });
      const started = new Promise<void>((resolve) => (resolveStarted = resolve));
      listWatch.start().catch(scheduleRestart);
      await started;
    },
    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      watch?.clearWatchdog();
      await listWatch?.stop();
      closeConnection(connection);
      connection = undefined;
      resolveStarted(); // a start() still waiting for the first sync returns
    },
  };
}
