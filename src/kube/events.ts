/**
 * Where the agent reports what happened to a Pod (Kubernetes Events: InvalidBandwidth, Tampered,
 * BandwidthLimited, ...) or to a BandwidthBudget (InvalidBandwidthBudget). The Kubernetes implementation posts core/v1 Events; without a cluster the agent
 * logs them.
 */
import type { PodInfo } from "./pod.js";

export type EventType = "Normal" | "Warning";

/** The object an Event is about (its involvedObject): a Pod, or a BandwidthBudget. */
export interface EventSubject {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  uid: string;
  resourceVersion?: string;
}

export const podSubject = (pod: PodInfo): EventSubject => ({
  kind: "Pod", apiVersion: "v1", namespace: pod.namespace, name: pod.name, uid: pod.uid,
  ...(pod.resourceVersion !== undefined ? { resourceVersion: pod.resourceVersion } : {}),
});

export interface EventSink {
  emit(pod: PodInfo, type: EventType, reason: string, message: string): void;
  /** The same for any object; sinks without it are given Pod Events only. */
  emitOn?(subject: EventSubject, type: EventType, reason: string, message: string): void;
  /** Resolves once every emitted Event has been written (or failed and was logged). */
  idle?(): Promise<void>;
  /** Stops writing: what is still pending is dropped, writes in flight are awaited. */
  close?(): Promise<void>;
}
