/**
 * Test doubles for reconciler tests: a resolver that maps every Pod with an IP to a fake namespace path
 * (the real one needs namespaces; see src/netns/), and an EventSink that records. Test-only.
 */
import type { PodAttachment } from "../../datapath/datapath.js";
import type { EventSink, EventType } from "../../kube/events.js";
import { podKeyOf, type PodInfo } from "../../kube/pod.js";
import type { NetnsResolver } from "../../netns/resolver.js";

/** Test double: resolves a Pod to `/var/run/netns/fake-<name>` unless its name is in `unresolvable`. */
export class FakeResolver implements NetnsResolver {
  readonly unresolvable = new Set<string>();
  calls = 0;
  async resolve(pod: PodInfo): Promise<PodAttachment | null> {
    this.calls++;
    if (pod.podIPs.length === 0 || this.unresolvable.has(pod.name)) return null;
    return { podKey: podKeyOf(pod), netnsPath: `/var/run/netns/fake-${pod.name}`, podInterface: "eth0", hostInterface: `veth-${pod.name}` };
  }
}

export interface RecordedEvent {
  pod: string;
  type: EventType;
  reason: string;
  message: string;
}

/** Test double: keeps every Event. */
export class RecordingEvents implements EventSink {
  readonly events: RecordedEvent[] = [];
  emit(pod: PodInfo, type: EventType, reason: string, message: string): void {
    this.events.push({ pod: podKeyOf(pod), type, reason, message });
  }
}

export function makePod(name: string, annotations: Record<string, string> = {}, extra: Partial<PodInfo> = {}): PodInfo {
  return {
    uid: `uid-${name}`,
    namespace: "default",
    name,
    nodeName: "node-a",
    annotations,
    labels: {},
    podIPs: ["10.0.0.1"],
    hostNetwork: false,
    resourceVersion: undefined,
    ...extra,
  };
}
