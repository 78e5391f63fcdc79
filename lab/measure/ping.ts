/** ping's round-trip times and their percentiles (nearest rank), for latency under load. */
import type { ChildProcess } from "node:child_process";
import { startBackground } from "../node/exec.js";

/** The `time=` of every reply in ping's output, in ms (pure). Lost probes have no reply line. */
export function parsePingRttsMs(output: string): number[] {
  return [...output.matchAll(/time[=<]([\d.]+) ?ms/g)].map((match) => Number.parseFloat(match[1] ?? "NaN")).filter(Number.isFinite);
}

/** Nearest-rank percentile (pure); NaN for no samples. */
export function percentile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export interface PingSummary {
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarizePing(output: string): PingSummary {
  const rtts = parsePingRttsMs(output);
  const sent = Number.parseInt(/(\d+) packets transmitted/.exec(output)?.[1] ?? String(rtts.length), 10);
  return { sent, received: rtts.length, p50Ms: percentile(rtts, 0.5), p99Ms: percentile(rtts, 0.99), maxMs: Math.max(...rtts) };
}

/** Starts `ping -i <interval> -w <seconds>` in `netns`; collect its output and summarize when it ends. */
export function startPing(netns: string, target: string, seconds: number, intervalSeconds = 0.1): { process: ChildProcess; done: Promise<PingSummary> } {
  const ping = startBackground("ping", ["-n", "-i", String(intervalSeconds), "-w", String(seconds), target], { netns, realtime: true });
  let output = "";
  ping.stdout?.setEncoding("utf8").on("data", (chunk: string) => { output += chunk; });
  const done = new Promise<PingSummary>((resolve) => ping.on("close", () => resolve(summarizePing(output))));
  return { process: ping, done };
}
