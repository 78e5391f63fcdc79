/**
 * Where the agent reports what happened to a Pod (Kubernetes Events: InvalidBandwidth, Tampered,
 * BandwidthLimited, ...). The Kubernetes implementation posts core/v1 Events; without a cluster the agent
 * logs them.
 */
import type { PodInfo } from "./pod.js";

export type EventType = "Normal" | "Warning";

export interface EventSink {
  emit(pod: PodInfo, type: EventType, reason: string, message: string): void;
  /** Resolves once every emitted Event has been written (or failed and was logged). */
  idle?(): Promise<void>;
  /** Stops writing: what is still pending is dropped, writes in flight are awaited. */
  close?(): Promise<void>;
}
