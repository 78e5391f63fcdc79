/**
 * EventSink without a cluster (pods-dir mode, tests): every Event becomes one log line, in the shape
 * `kubectl get events` shows (type, reason, object, message).
 */
import type { EventSink, EventSubject, EventType } from "./events.js";
import type { PodInfo } from "./pod.js";

export function createLogEventSink(log: (line: string) => void): EventSink {
  return {
    emit(pod: PodInfo, type: EventType, reason: string, message: string): void {
      log(`event ${type} ${reason} pod/${pod.namespace}/${pod.name}: ${message}`);
    },
    emitOn(subject: EventSubject, type: EventType, reason: string, message: string): void {
      log(`event ${type} ${reason} ${subject.kind.toLowerCase()}/${subject.namespace}/${subject.name}: ${message}`);
    },
  };
}
