/**
 * The reconciler's view of one row as `pacer list` shows it (pure): the PodStatusRow for a Pod, direction,
 * state and reason. Keeps `since` when a row's state does not change, so an operator sees how long a row
 * has been pending or invalid.
 */
import type { AppliedLimit, Direction } from "../datapath/datapath.js";
import { podKeyOf, type PodInfo } from "../kube/pod.js";
import type { RowRequest, RowView } from "./decide.js";
import type { PodStatusRow } from "./status-row.js";

export const rowKeyOf = (podKey: string, direction: Direction): string => `${podKey}\u0000${direction}`;
export const podKeyOfRow = (rowKey: string): string => rowKey.slice(0, rowKey.lastIndexOf("\u0000"));

export interface RowInput {
  pod: PodInfo;
  request: RowRequest;
}

export function statusRow(
  previous: PodStatusRow | null,
  input: RowInput,
  view: RowView,
  enforced: AppliedLimit | null,
  nowMs: number,
): PodStatusRow {
  const since = previous && previous.state === view.state ? previous.since : new Date(nowMs).toISOString();
  const { request } = input;
  return {
    podKey: podKeyOf(input.pod),
    namespace: input.pod.namespace,
    name: input.pod.name,
    direction: request.direction,
    requested: request.limits.all?.requested ?? null,
    externalRequested: request.limits.external?.requested ?? null,
    enforcedBitsPerSecond: enforced ? enforced.bitsPerSecond : null,
    enforcedExternalBitsPerSecond: enforced ? enforced.externalBitsPerSecond : null,
    budgets: enforced ? enforced.budgets.map((key) => key.split("/").slice(0, 2).join("/")) : [],
    identity: enforced ? enforced.identity : null,
    state: view.state,
    reason: view.reason,
    since,
    counters: enforced ? enforced.counters : null,
  };
}

export function sortRows(rows: Iterable<PodStatusRow>): PodStatusRow[] {
  return [...rows].sort(
    (a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.direction.localeCompare(b.direction),
  );
}
