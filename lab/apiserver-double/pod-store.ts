/**
 * Pods in the Kubernetes API-server TEST DOUBLE: the object store (object-store.ts) for core/v1 Pods, with
 * the fields the double's Pods carry. Kept as its own name because the benchmark and the suites drive it.
 */
import { ObjectStore, type StoredObject } from "./object-store.js";

export { goneStatus, type Watcher, type WatchEvent, type WatchEventType } from "./object-store.js";

export interface PodObject extends StoredObject {
  spec?: { nodeName?: string; hostNetwork?: boolean; [key: string]: unknown };
  status?: { podIP?: string; podIPs?: Array<{ ip: string }>; [key: string]: unknown };
}

export class PodStore extends ObjectStore<PodObject> {
  constructor() {
    super({ apiVersion: "v1", kind: "Pod" });
  }
}
