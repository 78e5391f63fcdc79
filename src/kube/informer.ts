/**
 * The Kubernetes Pod source: this node's Pods (fieldSelector spec.nodeName=<node>: makeInformer() in
 * client-node would pass it to the list only, so other nodes' Pods would arrive through the watch) through
 * the object informer (object-informer.ts: restarts with backoff, watch timeouts, 410 relists, uid changes,
 * ApiAccess), turned into the PodSource protocol (src/kube/pod.ts): one "sync" with the full list, then
 * "upsert"/"delete" of PodInfo.
 *
 * Memory: the watch is client-node's Watch (deep import of dist/watch.js) and the list/watch cache its
 * ListWatch logic ported to src/kube/list-watch.ts; neither its index nor dist/cache.js is imported, since
 * both load the generated API or its model serializer (+45 MB / +15 MB RSS). The connection is
 * src/kube/api/ (client-node's full KubeConfig only for auth that needs it).
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { ApiAccess } from "./api/access.js";
import { createObjectInformer } from "./object-informer.js";
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

export function createInformerPodSource(options: InformerPodSourceOptions): PodSource {
  const informer = createObjectInformer<V1Pod>({
    kubeconfig: options.kubeconfig,
    path: podsPath,
    resource: "pods",
    what: `pods on node ${options.nodeName}`,
    fieldSelector: `spec.nodeName=${options.nodeName}`,
    log: options.log,
    access: options.access,
    backoff: options.backoff,
  });
  return {
    start: (onEvent: (event: PodEvent) => void) =>
      informer.start((event) => {
        if (event.type === "sync") onEvent({ type: "sync", pods: event.objects.map(podInfoFromV1Pod) });
        else onEvent({ type: event.type, pod: podInfoFromV1Pod(event.object) });
      }),
    stop: () => informer.stop(),
  };
}
