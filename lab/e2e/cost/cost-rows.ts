/**
 * What shaping costs (issue 12, item 6), pure: CPU seconds the whole test kernel spent busy (sender,
 * receiver, softirq, the agent) per gigabyte a Pod limited to 1G sent, for pacer with flow isolation, pacer
 * with one timeline, the reference CNI plugin (TBF on an IFB) and no limit, measured in the same run.
 * Carousel (SIGCOMM 2017) claims timestamp shaping costs less CPU than queues; these rows check it here.
 */
export type CostMode = "per-flow" | "single-timeline" | "reference-cni" | "no-limit";

export interface CostRow {
  scenario: string;
  costMode: CostMode;
  limitBitsPerSec: number | null;
  seconds: number;
  /** Payload the receiver got (iperf3). */
  bytes: number;
  goodputBitsPerSec: number;
  cpuSeconds: number;
  cpuSecondsPerGB: number;
  /** cpuSecondsPerGB over the no-limit row's, from the same run. */
  relativeToNoLimit: number | null;
}

export const isCostRow = (row: object): row is CostRow => "costMode" in row;

export function costRow(costMode: CostMode, limitBitsPerSec: number | null, measured: { seconds: number; bytes: number; cpuSeconds: number }): CostRow {
  const gigabytes = measured.bytes / 1e9;
  return {
    scenario: `cost ${costMode} egress ${limitBitsPerSec === null ? "no limit" : `${limitBitsPerSec / 1e6}M`}`,
    costMode, limitBitsPerSec, seconds: measured.seconds, bytes: measured.bytes,
    goodputBitsPerSec: (measured.bytes * 8) / measured.seconds,
    cpuSeconds: measured.cpuSeconds,
    cpuSecondsPerGB: gigabytes > 0 ? measured.cpuSeconds / gigabytes : Number.POSITIVE_INFINITY,
    relativeToNoLimit: null,
  };
}

/** Fills relativeToNoLimit from the no-limit row of the same set (pure). */
export function relativeToNoLimit(rows: readonly CostRow[]): CostRow[] {
  const base = rows.find((row) => row.costMode === "no-limit")?.cpuSecondsPerGB;
  return rows.map((row) => ({ ...row, relativeToNoLimit: base === undefined || base === 0 ? null : row.cpuSecondsPerGB / base }));
}

export function costMarkdown(rows: readonly CostRow[]): string[] {
  if (rows.length === 0) return [];
  const lines = [
    "", "## What shaping costs: CPU seconds per GB at 1G", "",
    "The whole test kernel's busy time (/proc/stat: user, system, irq, softirq) over one stream, per GB of payload received; same run for every mode.", "",
    "| mode | limit Mbit/s | goodput Mbit/s | GB | CPU s | CPU s per GB | vs no limit |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    lines.push(`| ${row.costMode} | ${row.limitBitsPerSec === null ? "-" : (row.limitBitsPerSec / 1e6).toFixed(0)} | ${(row.goodputBitsPerSec / 1e6).toFixed(1)} | ${(row.bytes / 1e9).toFixed(2)} | ${row.cpuSeconds.toFixed(2)} | ${row.cpuSecondsPerGB.toFixed(3)} | ${row.relativeToNoLimit === null ? "-" : row.relativeToNoLimit.toFixed(2)} |`);
  }
  return lines;
}
