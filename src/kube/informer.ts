/**
 * The Kubernetes Pod source: this node's Pods (fieldSelector spec.nodeName=<node>) through a
 * @kubernetes/client-node 1.3.0 informer, turned into the PodSource protocol (src/kube/pod.ts): one "sync"
 * with the full list, then "upsert"/"delete".
 *
 * Memory: the watch is client-node's Watch (deep import of dist/watch.js) and the list/watch cache its
 * ListWatch logic ported to src/kube/list-watch.ts; neither its index nor dist/cache.js is imported, since
 * both load the generated API or its model serializer (+45 MB / +15 MB RSS). The connection is
 * src/kube/api/ (client-node's full KubeConfig only for auth that needs it).
 *
 * What client-node's ListWatch does by itself, and the gaps filled here:
 * - a watch the server closes cleanly → re-watch from the last resourceVersion (itself);
 * - 410 Gone, as an HTTP status or as an ERROR watch event → relist, and Pods missing from the new list get
 *   delete callbacks (itself);
 * - any other error (connection refused, 5xx, a connection dropped mid-stream, a failed list) → it emits
 *   "error" and STOPS for good. Gap: we restart it with capped exponential backoff and jitter, resuming from
 *   the last resourceVersion (a stale one gets 410 → relist);
 * - makeInformer() passes no fieldSelector to the watch (only to our list function), so other nodes' Pods
 *   would arrive through the watch. Gap: we build the ListWatch ourselves with the fieldSelector;
 * - watches have no server-side timeout and no liveness check, so a half-open TCP connection would hang
 *   forever. Gap: we ask for timeoutSeconds (5–10 min, as client-go's reflector does) and abort a watch that
 *   outlives it by a minute;
 * - a Pod deleted and recreated under the same name while we were not watching comes back as an "update"
 *   with a new uid. Gap: we emit a delete of the old uid first (podKeyOf includes the uid);
 * - callback exceptions are swallowed by its line parser. Gap: we catch and log them ourselves;
 * - what a list or watch met (403, 401, unreachable) is only logged. Gap: each outcome goes to an ApiAccess,
 *   which `pacer status` shows, and a relist after 410 is logged.
 */
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { Watch } from "@kubernetes/client-node/dist/watch.js";
import { statusCodeOf, type ApiAccess } from "./api/access.js";
import { closeConnection, type ApiConnection } from "./api/connection.js";
import { loadApiConnection } from "./api/load.js";
import { describeApiError, kubeRequest } from "./api/request.js";
import { ListWatch, type KubeList } from "./list-watch.js";
import { orderedPodIPs, type PodEvent, type PodInfo, type PodSource } from "./pod.js";

export interface InformerPodSourceOptions {
  /** Path of a kubeconfig; "" or undefined: in-cluster config inside a Pod, else the default loading rules. */
  kubeconfig?: string;
  nodeName: string;
  log?: (line: string) => void;
  /** Where list and watch failures are reported (and cleared by a success), for `pacer status`. */
  access?: ApiAccess;
  /** Restart backoff after API errors (defaults: 500 ms doubling to 30 s). */
  backoff?: { initialMilliseconds?: number; maxMilliseconds?: number };
}

/** V1Pod (typed from a list, or plain JSON from a watch: same field names) → PodInfo. */
export function podInfoFromV1Pod(pod: V1Pod): PodInfo {
  return {
    uid: pod.metadata?.uid ?? "",
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    nodeName: pod.spec?.nodeName,
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    labels: { ...(pod.metadata?.labels ?? {}) },
    podIPs: orderedPodIPs(pod.status?.podIP, (pod.status?.podIPs ?? []).map((entry) => entry.ip)),
    hostNetwork: pod.spec?.hostNetwork === true,
    resourceVersion: pod.metadata?.resourceVersion,
  };
}

const podsPath = "/api/v1/pods";
const randomBetween = (low: number, high: number): number => low + Math.random() * (high - low);

/** A Watch that tells us before each watch request (the list, if any, has been applied by then). */
class ObservedWatch extends Watch {
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    connection: ApiConnection,
    private readonly beforeWatch: () => boolean,
    private readonly access: ApiAccess | undefined,
    private readonly opened: () => void,
  ) {
    // Watch reads only getCurrentCluster() and applyToFetchOptions() from its config (dist/watch.js)
    super(connection as unknown as KubeConfig);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.clearWatchdog();
    if (!this.beforeWatch()) return new AbortController(); // stopped while listing: do not connect
    const timeoutSeconds = Math.round(randomBetween(300, 600));
    // For `pacer status`: a watch refused before its stream opened (403, connection refused) is a problem;
    // 410 Gone only means "list again".
    let opened = false;
    let refused = false;
    const reportingDone = (error: unknown) => {
      if (error && !opened && statusCodeOf(error) !== 410) {
        refused = true;
        this.access?.failed("watch", "pods", error, describeApiError(error));
      }
      done(error);
    };
    const controller = await super.watch(path, { ...queryParams, timeoutSeconds }, callback, reportingDone);
    opened = true;
    if (!refused) {
      this.access?.succeeded("watch", "pods");
      this.opened();
    }
    this.watchdog = setTimeout(() => controller.abort(), (timeoutSeconds + 60) * 1000);
    this.watchdog.unref();
    return controller;
  }

  clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }
}

export function createInformerPodSource(options: InformerPodSourceOptions): PodSource {
  const log = options.log ?? ((line: string) => console.error(line));
  const initialBackoff = options.backoff?.initialMilliseconds ?? 500;
  const maxBackoff = options.backoff?.maxMilliseconds ?? 30_000;
  const fieldSelector = `spec.nodeName=${options.nodeName}`;

  /** Pods by namespace/name, as last delivered (the informer's cache is keyed the same way). */
  const known = new Map<string, PodInfo>();
  let onEvent: (event: PodEvent) => void = () => {};
  let synced = false;
  let stopped = true;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let informer: ListWatch<V1Pod> | undefined;
  let watch: ObservedWatch | undefined;
  let connection: ApiConnection | undefined;
  let resolveSynced: () => void = () => {};

  const deliver = (event: PodEvent): void => {
    if (!synced) return; // before the first sync the cache is only filled; "sync" carries it
    try {
      onEvent(event);
    } catch (error) {
      log(`pacer informer: handle ${event.type} event: ${String(error)}`);
    }
  };

  const nameKey = (pod: PodInfo): string => `${pod.namespace}/${pod.name}`;

  const onUpsert = (object: V1Pod): void => {
    const pod = podInfoFromV1Pod(object);
    const previous = known.get(nameKey(pod));
    if (previous && previous.uid !== pod.uid) deliver({ type: "delete", pod: previous });
    known.set(nameKey(pod), pod);
    deliver({ type: "upsert", pod });
  };

  const onDelete = (object: V1Pod): void => {
    const pod = podInfoFromV1Pod(object);
    const previous = known.get(nameKey(pod));
    if (previous && previous.uid !== pod.uid) {
      // a delete for an older incarnation than the one we know: the newer one stays
      return;
    }
    known.delete(nameKey(pod));
    deliver({ type: "delete", pod: previous ?? pod });
  };

  const beforeWatch = (): boolean => {
    if (stopped) return false;
    if (!synced) {
      synced = true;
      deliver({ type: "sync", pods: [...known.values()] });
      resolveSynced();
    }
    return true;
  };

  const scheduleRestart = (error: unknown): void => {
    if (stopped || restartTimer) return;
    failures += 1;
    const ceiling = Math.min(maxBackoff, initialBackoff * 2 ** (failures - 1));
    const delay = Math.round(randomBetween(ceiling / 2, ceiling));
    log(`pacer informer: list/watch pods on node ${options.nodeName}: ${describeApiError(error)}; retry in ${delay} ms`);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopped || !informer) return;
      informer.start().catch(scheduleRestart);
    }, delay);
  };

  return {
    async start(handler) {
      onEvent = handler;
      stopped = false;
      const api = (connection = await loadApiConnection(options.kubeconfig, { log }));
      // The backoff starts over only once the server answered (a list, a watch opened): a watch resuming from
      // its resourceVersion during an outage must keep backing off, not retry every half second.
      const answered = () => (failures = 0);
      watch = new ObservedWatch(api, beforeWatch, options.access, answered);
      const list = async () => {
        try {
          const pods = await kubeRequest<KubeList<V1Pod>>(api, { method: "GET", path: podsPath, query: { fieldSelector } });
          options.access?.succeeded("list", "pods");
          answered();
          return pods;
        } catch (error) {
          options.access?.failed("list", "pods", error, describeApiError(error));
          throw error;
        }
      };
      const onExpired = () => log(`pacer informer: the watch's resourceVersion expired (410 Gone: etcd compacted it): listing pods on node ${options.nodeName} again`);
      const handlers = { onAdd: onUpsert, onUpdate: onUpsert, onDelete, onError: scheduleRestart, onExpired };
      informer = new ListWatch<V1Pod>(podsPath, watch, list, handlers, { fieldSelector });
      const syncedPromise = new Promise<void>((resolve) => (resolveSynced = resolve));
      informer.start().catch(scheduleRestart);
      await syncedPromise;
    },
    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      watch?.clearWatchdog();
      await informer?.stop();
      closeConnection(connection);
      resolveSynced(); // a start() still waiting for the first sync returns
    },
  };
}
