/**
 * netperf TCP_RR, the request/response probe of the seed article (and of Cilium's and flent's latency
 * tests): one transaction in flight, so its latency is the round trip a light RPC sees. netserver runs
 * serially (-f) in the foreground (-D) so the one pid the lab started is all there is to stop. Unlike ping,
 * it keeps the normal priority: a closed request/response loop is busy enough to starve the bulk sender
 * of a one-CPU test kernel at a real-time priority, and the bulk's wire rate would suffer for it.
 */
import type { ChildProcess } from "node:child_process";
import { runTool, startBackground, stopBackground } from "../node/exec.js";
import { netperfBinaries } from "../tools/debian-tools.js";

export interface RequestResponseSummary {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  transactionsPerSec: number;
}

export class NetperfError extends Error {
  readonly code = "NETPERF_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "NetperfError";
  }
}

const OUTPUT_SELECTORS = "P50_LATENCY,P99_LATENCY,MEAN_LATENCY,TRANSACTION_RATE";

/** Parses the omni output of `-o P50_LATENCY,P99_LATENCY,MEAN_LATENCY,TRANSACTION_RATE` (µs → ms; pure). */
export function parseRequestResponse(output: string): RequestResponseSummary {
  const lines = output.trim().split("\n");
  const header = lines.findIndex((line) => line.startsWith("50th Percentile Latency"));
  const values = header >= 0 ? lines[header + 1]?.split(",").map(Number) : undefined;
  if (values === undefined || values.length < 4 || values.some((value) => !Number.isFinite(value))) {
    throw new NetperfError(`parse netperf TCP_RR output: no result line after the header:\n${output.slice(-600)}`);
  }
  const [p50, p99, mean, rate] = values as [number, number, number, number];
  return { p50Ms: p50 / 1000, p99Ms: p99 / 1000, meanMs: mean / 1000, transactionsPerSec: rate };
}

function binaries(): { netperf: string; netserver: string } {
  const found = netperfBinaries();
  if (found === null) throw new NetperfError("netperf is not fetched: run scripts/setup.sh (scripts/debian-fetch.sh bookworm non-free netperf)");
  return found;
}

/** Starts netserver in `netns` listening on `port`, and waits until it accepts connections. */
export async function startNetserver(netns: string, port: number): Promise<ChildProcess> {
  const server = startBackground(binaries().netserver, ["-D", "-f", "-p", String(port)], { netns });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const probe = await runTool("ss", ["-Hltn", `sport = :${port}`], { netns, allowFailure: true });
    if (probe.stdout.includes(`:${port}`)) return server;
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopBackground(server);
  throw new NetperfError(`start netserver in ${netns} on port ${port}: not listening after 10 s`);
}

/** `netperf -t TCP_RR` from `netns` to `serverIp:port` for `seconds`, 1-byte request and response. */
export async function runRequestResponse(netns: string, serverIp: string, port: number, seconds: number): Promise<RequestResponseSummary> {
  const args = ["-H", serverIp, "-p", String(port), "-t", "TCP_RR", "-l", String(seconds), "--", "-r", "1,1", "-o", OUTPUT_SELECTORS];
  const result = await runTool(binaries().netperf, args, { netns, allowFailure: true });
  if (result.exitCode !== 0) throw new NetperfError(`netperf ${args.join(" ")} in ${netns}: exit ${result.exitCode}: ${(result.stderr || result.stdout).trim()}`);
  return parseRequestResponse(result.stdout);
}
