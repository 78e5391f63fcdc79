/**
 * The slice of a Kubernetes Pod that pacer reads. Both Pod sources (informer, manifest directory) produce
 * it, so everything downstream is independent of where Pods come from.
 */
export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string | undefined;
  annotations: Record<string, string>;
  /** metadata.labels (what BandwidthBudgets select by). */
  labels: Record<string, string>;
  /** status.podIPs in order (status.podIP first); empty until the runtime assigned one. */
  podIPs: string[];
  hostNetwork: boolean;
  /** The object's resourceVersion, when the source has one. */
  resourceVersion: string | undefined;
}

/** Node-unique key of a Pod: `<namespace>/<name>/<uid>` (the uid tells a recreated Pod apart). */
export const podKeyOf = (pod: Pick<PodInfo, "namespace" | "name" | "uid">): string =>
  `${pod.namespace}/${pod.name}/${pod.uid}`;

/** PodInfo.podIPs from a Pod's status: status.podIP first, then status.podIPs, without empties or duplicates. */
export function orderedPodIPs(podIP: string | undefined, podIPs: Array<string | undefined>): string[] {
  const ordered: string[] = [];
  for (const ip of [podIP, ...podIPs]) if (ip && !ordered.includes(ip)) ordered.push(ip);
  return ordered;
}

/** What a Pod source emits. A source starts with a full list ("sync"), then incremental events. */
export type PodEvent =
  | { type: "sync"; pods: PodInfo[] }
  | { type: "upsert"; pod: PodInfo }
  | { type: "delete"; pod: PodInfo };

export interface PodSource {
  /** Start delivering events to `onEvent`; resolves once the first "sync" was delivered. */
  start(onEvent: (event: PodEvent) => void): Promise<void>;
  stop(): Promise<void>;
}

/** The same protocol for other objects the agent watches (BandwidthBudgets): a full list, then changes. */
export type ObjectEvent<T> = { type: "sync"; objects: T[] } | { type: "upsert"; object: T } | { type: "delete"; object: T };

export interface ObjectSource<T> {
  start(onEvent: (event: ObjectEvent<T>) => void): Promise<void>;
  stop(): Promise<void>;
}
