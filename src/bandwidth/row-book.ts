/**
 * The reconciler's PodStatusRows, keyed by Pod and direction. Keeps `since` when a row's state does not
 * change, so an operator sees how long a row has been pending or invalid.
 */
import type { AppliedLimit, Direction } from "../datapath/datapath.js";
import { podKeyOf, type PodInfo } from "../kube/pod.js";
import type { PodStatusRow, RowState } from "./status-row.js";

export const rowKeyOf = (podKey: string, direction: Direction): string => `${podKey}\u0000${direction}`;

export interface RowInput {
  pod: PodInfo;
  requested: string;
  direction: Direction;
}

export class RowBook {
  private readonly byKey = new Map<string, PodStatusRow>();

  constructor(private readonly now: () => number) {}

  set(input: RowInput, state: RowState, reason: string | null, enforced: AppliedLimit | null | undefined): void {
    const podKey = podKeyOf(input.pod);
    const key = rowKeyOf(podKey, input.direction);
    const previous = this.byKey.get(key);
    const since = previous && previous.state === state ? previous.since : new Date(this.now()).toISOString();
    this.byKey.set(key, {
      podKey,
      namespace: input.pod.namespace,
      name: input.pod.name,
      direction: input.direction,
      requested: input.requested,
      enforcedBitsPerSecond: enforced ? enforced.bitsPerSecond : null,
      identity: enforced ? enforced.identity : null,
      state,
      reason,
      since,
      counters: enforced ? enforced.counters : null,
    });
  }

  /** Drop one row (its Pod or annotation is gone). */
  delete(key: string): void {
    this.byKey.delete(key);
  }

  /** Drop rows whose Pod or annotation is gone. */
  retain(keys: Set<string>): void {
    for (const key of [...this.byKey.keys()]) if (!keys.has(key)) this.byKey.delete(key);
  }

  rows(): PodStatusRow[] {
    return [...this.byKey.values()].sort(
      (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.direction.localeCompare(b.direction),
    );
  }
}
