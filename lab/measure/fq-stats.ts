/**
 * fq's counters from `tc -s -j qdisc show` (iproute2's q_fq.c prints them as JSON): `throttled` counts
 * packets held for their departure time — proof that EDT pacing happened rather than policing (docs/design.md,
 * "The per-packet algorithm"); `horizon_drops` counts packets dropped for a departure time beyond the horizon.
 */
import { runTool } from "../node/exec.js";

export interface QdiscStats {
  kind: string;
  handle: string;
  dev: string;
  root: boolean;
  /** fq only. */
  throttled: number | null;
  horizonDrops: number | null;
  flowLimitDrops: number | null;
  drops: number | null;
  sentPackets: number | null;
  /** Bytes the qdisc sent: qdisc_pkt_len, the wire length of every segment a GSO skb becomes. */
  sentBytes: number | null;
}

interface QdiscJson {
  kind?: string; handle?: string; dev?: string; root?: boolean; parent?: string;
  drops?: number; packets?: number; bytes?: number; throttled?: number; horizon_drops?: number; flows_plimit?: number;
}

const numberOrNull = (value: unknown): number | null => (typeof value === "number" ? value : null);

/** Parses `tc -s -j qdisc show` (pure). */
export function parseQdiscStats(jsonText: string): QdiscStats[] {
  const rows = JSON.parse(jsonText === "" ? "[]" : jsonText) as QdiscJson[];
  // tc prints fq's rarely non-zero counters (horizon_drops, flows_plimit) only when non-zero.
  const fqCounter = (row: QdiscJson, value: unknown): number | null => numberOrNull(value) ?? (row.kind === "fq" ? 0 : null);
  return rows.map((row) => ({
    kind: row.kind ?? "",
    handle: row.handle ?? "",
    dev: row.dev ?? "",
    root: row.root === true,
    throttled: numberOrNull(row.throttled),
    horizonDrops: fqCounter(row, row.horizon_drops),
    flowLimitDrops: fqCounter(row, row.flows_plimit),
    drops: numberOrNull(row.drops),
    sentPackets: numberOrNull(row.packets),
    sentBytes: numberOrNull(row.bytes),
  }));
}

/** Every qdisc of `dev` in `netns`, with statistics. */
export async function readQdiscStats(netns: string, dev: string): Promise<QdiscStats[]> {
  const result = await runTool("tc", ["-s", "-j", "qdisc", "show", "dev", dev], { netns });
  return parseQdiscStats(result.stdout);
}

/** The root fq qdisc of `dev` in `netns`, or null when its root is something else. */
export async function readRootFq(netns: string, dev: string): Promise<QdiscStats | null> {
  return (await readQdiscStats(netns, dev)).find((qdisc) => qdisc.root && qdisc.kind === "fq") ?? null;
}
