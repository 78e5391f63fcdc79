/**
 * iperf3 runs and their JSON (`-J`): goodput, per-second rates at the receiver, retransmits, congestion
 * control. Rates are read where the bytes arrive — a shaper's burst shows there, not at the sender's
 * socket. When the client sends, the receiver's intervals come from the server (`--get-server-output`
 * with a `-J` server); with `-R` the client is the receiver.
 */
import type { ChildProcess } from "node:child_process";
import { runTool, startBackground, stopBackground } from "../node/exec.js";

export interface Iperf3Summary {
  /** Bytes received over the run, per second of the run, in bits/s (iperf3 counts TCP payload). */
  goodputBitsPerSec: number;
  /** Receiver-side rate of each full one-second interval. */
  intervalBitsPerSec: number[];
  maxOneSecondBitsPerSec: number;
  /** Every receiver-side interval (start in seconds since the stream began), as reported. */
  receiverIntervals: Array<{ start: number; seconds: number; bitsPerSec: number }>;
  retransmits: number | null;
  /** The sender's congestion control, e.g. "cubic". */
  congestionControl: string | null;
  seconds: number;
  /** Bytes each parallel stream delivered to the receiver (TCP; empty for UDP). */
  streamReceivedBytes: number[];
  /** What the sender put out, bits/s over the run (for UDP: the offered load, before any shaping). */
  sentBitsPerSec: number | null;
}

export class Iperf3Error extends Error {
  readonly code = "IPERF3_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "Iperf3Error";
  }
}

interface IntervalJson { sum?: { start?: number; seconds?: number; bits_per_second?: number } }
interface EndSumJson { bits_per_second?: number; bytes?: number; seconds?: number; retransmits?: number }
interface Iperf3Json {
  error?: string;
  start?: { test_start?: { reverse?: number } };
  intervals?: IntervalJson[];
  end?: {
    sum_sent?: EndSumJson;
    sum_received?: EndSumJson;
    sender_tcp_congestion?: string;
    streams?: Array<{ receiver?: { bytes?: number } }>;
  };
  server_output_json?: { intervals?: IntervalJson[] };
}

/** Parses the client's `iperf3 -J` output (pure). */
export function parseIperf3(jsonText: string): Iperf3Summary {
  let report: Iperf3Json;
  try {
    report = JSON.parse(jsonText) as Iperf3Json;
  } catch (error) {
    throw new Iperf3Error(`parse iperf3 JSON: ${(error as Error).message}`, { cause: error });
  }
  if (report.error !== undefined) throw new Iperf3Error(`iperf3: ${report.error}`);
  const received = report.end?.sum_received;
  if (received?.bits_per_second === undefined) throw new Iperf3Error("parse iperf3 JSON: no end.sum_received (did the run finish?)");
  const reverse = report.start?.test_start?.reverse === 1;
  const receiverIntervals = reverse ? report.intervals : report.server_output_json?.intervals;
  if (receiverIntervals === undefined) {
    throw new Iperf3Error("parse iperf3 JSON: no receiver intervals (run the client with --get-server-output and the server with -J, or use -R)");
  }
  const all = receiverIntervals.map((interval) => ({ start: interval.sum?.start ?? 0, seconds: interval.sum?.seconds ?? 0, bitsPerSec: interval.sum?.bits_per_second ?? 0 }));
  // One-second rates: whole seconds of the (1 s by default) intervals; a short last interval is left out.
  const intervalBitsPerSec = all.filter((interval) => interval.seconds >= 0.5).map((interval) => interval.bitsPerSec);
  return {
    goodputBitsPerSec: received.bits_per_second,
    intervalBitsPerSec,
    maxOneSecondBitsPerSec: Math.max(0, ...intervalBitsPerSec),
    receiverIntervals: all,
    retransmits: report.end?.sum_sent?.retransmits ?? null,
    congestionControl: report.end?.sender_tcp_congestion ?? null,
    seconds: received.seconds ?? 0,
    streamReceivedBytes: (report.end?.streams ?? []).flatMap((stream) => (stream.receiver?.bytes === undefined ? [] : [stream.receiver.bytes])),
    sentBitsPerSec: report.end?.sum_sent?.bits_per_second ?? null,
  };
}

/** Starts `iperf3 -s -J` in `netns` for one test; stop it with stopBackground if the test never comes. */
export async function startIperf3Server(netns: string, port: number): Promise<ChildProcess> {
  const server = startBackground("iperf3", ["-s", "-J", "-1", "-p", String(port)], { netns });
  // Wait until it listens: iperf3 has no readiness signal in -J mode, so probe the port.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const probe = await runTool("ss", ["-Hltn", `sport = :${port}`], { netns, allowFailure: true });
    if (probe.stdout.includes(`:${port}`)) return server;
    if (server.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopBackground(server);
  throw new Iperf3Error(`start iperf3 server in ${netns} on port ${port}: not listening after 10 s`);
}

export interface Iperf3ClientOptions {
  netns: string;
  serverIp: string;
  port: number;
  seconds: number;
  /** The server sends (-R): the client is the receiver. */
  reverse?: boolean;
  /** -C: the sender's TCP congestion control (cubic, bbr). */
  congestionControl?: string;
  /** -i: report interval in seconds (default 1). */
  intervalSeconds?: number;
  /** -P: parallel streams (rates and retransmits are their sum). */
  parallel?: number;
  /** UDP at this rate per stream (-u -b) instead of TCP. */
  udpBitsPerSec?: number;
  /** TCP paced by iperf3 itself to this rate (-b): a stream that must not saturate the test kernel's CPU. */
  tcpBitsPerSec?: number;
}

export async function runIperf3Client(options: Iperf3ClientOptions): Promise<Iperf3Summary> {
  const args = ["-c", options.serverIp, "-p", String(options.port), "-t", String(options.seconds), "-J"];
  args.push(options.reverse === true ? "-R" : "--get-server-output");
  if (options.congestionControl !== undefined) args.push("-C", options.congestionControl);
  if (options.intervalSeconds !== undefined) args.push("-i", String(options.intervalSeconds));
  if (options.parallel !== undefined && options.parallel > 1) args.push("-P", String(options.parallel));
  if (options.udpBitsPerSec !== undefined) args.push("-u", "-b", String(options.udpBitsPerSec));
  else if (options.tcpBitsPerSec !== undefined) args.push("-b", String(options.tcpBitsPerSec));
  const result = await runTool("iperf3", args, { netns: options.netns, allowFailure: true });
  try {
    return parseIperf3(result.stdout);
  } catch (error) {
    throw new Iperf3Error(`iperf3 ${args.join(" ")} in ${options.netns}: ${(error as Error).message} ${result.stderr.trim()}`, { cause: error });
  }
}
