/**
 * Pod → where its traffic can be shaped. The same way for every Pod source and every veth-based CNI:
 * look for the network namespace that holds the Pod's IP.
 */
import type { PodAttachment } from "../datapath/datapath.js";
import type { PodInfo } from "../kube/pod.js";

export interface NetnsResolver {
  /** The Pod's attachment, or null when it can't be found yet (no IP, namespace not created): retry later. */
  resolve(pod: PodInfo): Promise<PodAttachment | null>;
}
