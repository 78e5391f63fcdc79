/**
 * The e2e suite's use of the lab's measured streams (lab/measure/stream.ts): a stream's numbers into a
 * result row, and the median of a few unlimited runs.
 */
import { measureStream, type StreamOutcome, type StreamPlan } from "../measure/index.js";
import type { E2eRow } from "./rows.js";

export { measureStream, type StreamOutcome, type StreamPlan };

/** Copies a stream's numbers into a result row. */
export function fillRow(row: E2eRow, outcome: StreamOutcome): E2eRow {
  row.goodputBitsPerSec = outcome.iperf.goodputBitsPerSec;
  row.maxOneSecondBitsPerSec = outcome.iperf.maxOneSecondBitsPerSec;
  row.retransmits = outcome.iperf.retransmits;
  row.cc = outcome.iperf.congestionControl;
  row.fqThrottled = outcome.fqThrottled;
  row.horizonDrops = outcome.horizonDrops;
  row.pingP50Ms = outcome.ping?.p50Ms ?? null;
  row.pingP99Ms = outcome.ping?.p99Ms ?? null;
  row.notes.push(`per-second Mbit/s at the receiver: ${outcome.iperf.intervalBitsPerSec.map((bits) => (bits / 1e6).toFixed(1)).join(" ")}`);
  return row;
}

/**
 * Unlimited streams are CPU-bound on the test kernel's one CPU (several Gbit/s, ±30% run to run), so an
 * unlimited comparison takes the median of a few runs and notes every run.
 */
export async function measureMedianStream(plan: StreamPlan, repetitions: number): Promise<{ outcome: StreamOutcome; note: string }> {
  const outcomes: StreamOutcome[] = [];
  for (let run = 0; run < repetitions; run++) outcomes.push(await measureStream(plan));
  const sorted = [...outcomes].sort((a, b) => a.iperf.goodputBitsPerSec - b.iperf.goodputBitsPerSec);
  const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? sorted[0]!;
  const runs = outcomes.map((outcome) => (outcome.iperf.goodputBitsPerSec / 1e6).toFixed(0)).join(", ");
  return { outcome: median, note: `median of ${repetitions} runs (Mbit/s: ${runs}); CPU-bound on one guest CPU` };
}
