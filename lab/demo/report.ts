/**
 * What the demo measured and how it is shown (pure): the verdict (the thresholds), the results
 * table the seed's reader saw, the `--json` document for scripts and the chart's series.
 */
import type { ChartSeries } from "./chart.js";

export interface StreamMeasurement {
  /** Receiver-side TCP payload rate over the whole stream (iperf3's goodput). */
  goodputBitsPerSec: number;
  /** Receiver-side intervals, seconds since the stream began. */
  intervals: Array<{ start: number; seconds: number; bitsPerSec: number }>;
  retransmits: number | null;
  /** fq's `throttled` on the sender's eth0 during the stream: > 0 means paced, not policed (docs/design.md, "The per-packet algorithm"). */
  fqThrottled: number | null;
  horizonDrops: number | null;
}

export interface LatencyMeasurement {
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
}

/** The experiment's results: produced on the node (in the test kernel or on a host with fq). */
export interface DemoMeasurements {
  /** `uname -r` of the kernel the node ran on. */
  kernelRelease: string;
  /** The annotation value and what it means in bit/s. */
  limit: string;
  limitBitsPerSec: number;
  /** `pacer status` and `pacer list` as printed, with the limit in place. */
  statusText: string;
  listText: string;
  /** From writing the annotated manifest to `pacer list` showing the limit enforced. */
  limitAppliedMs: number;
  /** From removing the annotation to `pacer list` showing no limit. */
  limitRemovedMs: number;
  /** netperf-server kept its sandbox (network namespace) across the edit. */
  samePodAfterEdit: boolean;
  limited: StreamMeasurement;
  unlimited: StreamMeasurement;
  /** ping from netperf-server to netperf-client during the limited stream. */
  latencyUnderLoad: LatencyMeasurement | null;
  seconds: number;
}

export interface DemoContext {
  hostKernelRelease: string;
  /** Why the demo ran in the test kernel (the host's probe verdict), or null when it ran on the host. */
  testKernelReason: string | null;
  bootMs: number | null;
  wallMs: number;
  chartPath: string;
}

/** Unlimited must be at least this many times the limit to count as "far above". */
export const UNLIMITED_FACTOR = 5;
/** The limited run must land within these fractions of the limit (9.0-10.0 Mbit/s at 10M). */
export const LIMITED_RANGE = { low: 0.9, high: 1.0 } as const;

export interface DemoVerdict {
  pass: boolean;
  /** One sentence per failed check, saying what went wrong. */
  problems: string[];
}

const mbit = (bits: number): string => (bits / 1e6).toFixed(2);

export function judgeDemo(measured: DemoMeasurements): DemoVerdict {
  const problems: string[] = [];
  const { limitBitsPerSec: limit, limited, unlimited } = measured;
  const ratio = limited.goodputBitsPerSec / limit;
  if (!(ratio >= LIMITED_RANGE.low && ratio <= LIMITED_RANGE.high)) {
    problems.push(`limited run got ${mbit(limited.goodputBitsPerSec)} Mbit/s, outside ${mbit(limit * LIMITED_RANGE.low)}-${mbit(limit * LIMITED_RANGE.high)} for ${measured.limit} (ratio ${ratio.toFixed(3)})`);
  }
  if (!(limited.fqThrottled !== null && limited.fqThrottled > 0)) {
    problems.push(`fq throttled ${limited.fqThrottled ?? "n/a"} packets during the limited run: the stream was not paced by EDT (policing or no fq)`);
  }
  if (!(unlimited.goodputBitsPerSec > UNLIMITED_FACTOR * limit)) {
    problems.push(`unlimited run got ${mbit(unlimited.goodputBitsPerSec)} Mbit/s, not above ${UNLIMITED_FACTOR}× the limit (${mbit(UNLIMITED_FACTOR * limit)}): was the limit removed?`);
  }
  if (!measured.samePodAfterEdit) problems.push("netperf-server's sandbox changed across the edit: the Pod was recreated");
  return { pass: problems.length === 0, problems };
}

/** The results table: limit, achieved, ratio; unlimited; latency under load. */
export function formatResultsTable(measured: DemoMeasurements): string {
  const { limited, unlimited, latencyUnderLoad: ping } = measured;
  const rows = [
    ["RUN", "LIMIT", "GOODPUT (Mbit/s)", "OF LIMIT", "FQ THROTTLED", "RETRANSMITS", "PING p50 / p99 (ms)"],
    [
      "netperf-server annotated", measured.limit, mbit(limited.goodputBitsPerSec),
      (limited.goodputBitsPerSec / measured.limitBitsPerSec).toFixed(3), String(limited.fqThrottled ?? "-"),
      String(limited.retransmits ?? "-"), ping === null ? "-" : `${ping.p50Ms.toFixed(1)} / ${ping.p99Ms.toFixed(1)}`,
    ],
    [
      "annotation removed", "none", mbit(unlimited.goodputBitsPerSec),
      `${(unlimited.goodputBitsPerSec / measured.limitBitsPerSec).toFixed(1)}×`, String(unlimited.fqThrottled ?? "-"),
      String(unlimited.retransmits ?? "-"), "-",
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()).join("\n");
}

/** The `--json` document; the three goodput/limit names are the contract scripts rely on. */
export function demoJson(measured: DemoMeasurements, context: DemoContext, verdict: DemoVerdict): Record<string, unknown> {
  return {
    pass: verdict.pass,
    problems: verdict.problems,
    limit: measured.limit,
    limitBitsPerSec: measured.limitBitsPerSec,
    limitedGoodputBitsPerSec: measured.limited.goodputBitsPerSec,
    limitedRatio: measured.limited.goodputBitsPerSec / measured.limitBitsPerSec,
    unlimitedGoodputBitsPerSec: measured.unlimited.goodputBitsPerSec,
    ping: measured.latencyUnderLoad,
    limited: measured.limited,
    unlimited: measured.unlimited,
    limitAppliedMs: measured.limitAppliedMs,
    limitRemovedMs: measured.limitRemovedMs,
    samePodAfterEdit: measured.samePodAfterEdit,
    status: measured.statusText.split("\n")[0] ?? "",
    seconds: measured.seconds,
    chart: context.chartPath,
    kernel: { host: context.hostKernelRelease, node: measured.kernelRelease, testKernel: context.testKernelReason !== null, reason: context.testKernelReason },
    bootMs: context.bootMs,
    wallMs: context.wallMs,
  };
}

/** One chart line per run, each point at the end of its interval. */
export function demoChartSeries(measured: DemoMeasurements): ChartSeries[] {
  const points = (stream: StreamMeasurement) =>
    stream.intervals.filter((interval) => interval.seconds > 0).map((interval) => ({ seconds: interval.start + interval.seconds, bitsPerSec: interval.bitsPerSec }));
  return [
    { label: `annotated ${measured.limit}`, limitBitsPerSec: measured.limitBitsPerSec, points: points(measured.limited) },
    { label: "annotation removed", limitBitsPerSec: null, points: points(measured.unlimited) },
  ];
}
