/**
 * One core-scenario stream and its matrix row: iperf3 between a Pod and the outside host, with the bytes
 * that left the shaping qdisc sampled apart from the program's own timeline (lab/measure/wire-rate.ts), fq's
 * counters before and after, ping during the stream, and the Pod's per-CPU counters (cpus-used.ts).
 *
 * Several streams on a machine with several CPUs are spread over every CPU: one iperf3 client per CPU,
 * pinned with taskset, each with its share of the streams. Each sends from the CPU it runs on, so the Pod's
 * program (tc egress, in the sender's context) runs on all of them at once.
 */
import { activeSpan, parseIperf3, readRootFq, startIperf3Server, startPing, WireRateSampler, wireBitsPerSecond, type Iperf3Summary } from "../../measure/index.js";
import { runTool, stopBackground } from "../../node/index.js";
import type { EdtDirectionIndex } from "../../../src/bpf/index.js";
import { cpusUsed, readPacketsPerCpu } from "./cpus-used.js";
import type { MatrixRow } from "./matrix-rows.js";

export interface CorePlan {
  scenario: string;
  limitBitsPerSec: number | null;
  /** Where the limit is shaped: the Pod's eth0 (egress) or its host-side veth (ingress). */
  shapedAt: { netns: string; dev: string };
  /** The iperf3 clients run here; the servers in serverNetns at serverIp. */
  clientNetns: string;
  serverNetns: string;
  serverIp: string;
  /** The server sends (-R): ingress into the client's Pod. */
  reverse: boolean;
  streams: number;
  /** Spread the streams over this many CPUs (one pinned client each). */
  cpus: number;
  seconds: number;
  ping: { netns: string; target: string } | null;
  counters: { bpffsDir: string; identity: number; direction: EdtDirectionIndex } | null;
  /** Runs once the clients started; may return when the steady part starts (performance.now() ms). */
  whileRunning?: () => Promise<number | void>;
  log?: (line: string) => void;
}

let nextPort = 6201;

/** Per-second receiver rates of several clients added up second by second (pure). */
export function addIntervals(runs: readonly Iperf3Summary[]): number[] {
  const length = Math.min(...runs.map((run) => run.intervalBitsPerSec.length));
  return Array.from({ length: Number.isFinite(length) ? length : 0 }, (_, second) => runs.reduce((sum, run) => sum + (run.intervalBitsPerSec[second] ?? 0), 0));
}

/** Splits `streams` over `cpus` clients as evenly as possible (pure): 8 over 3 → [3, 3, 2]. */
export function streamsPerClient(streams: number, cpus: number): number[] {
  const clients = Math.max(1, Math.min(streams, cpus));
  return Array.from({ length: clients }, (_, index) => Math.floor(streams / clients) + (index < streams % clients ? 1 : 0));
}

async function runClient(plan: CorePlan, port: number, streams: number, cpu: number | null): Promise<Iperf3Summary> {
  const args = ["-c", plan.serverIp, "-p", String(port), "-t", String(plan.seconds), "-J", plan.reverse ? "-R" : "--get-server-output", "-C", "cubic"];
  if (streams > 1) args.push("-P", String(streams));
  const [command, argv] = cpu === null ? ["iperf3", args] : ["taskset", ["-c", String(cpu), "iperf3", ...args]];
  const result = await runTool(command, argv, { netns: plan.clientNetns, allowFailure: true });
  try {
    return parseIperf3(result.stdout);
  } catch (error) {
    throw new Error(`${plan.scenario}: iperf3 ${argv.join(" ")}: ${(error as Error).message} ${result.stderr.trim()}`, { cause: error });
  }
}

export async function measureCore(plan: CorePlan): Promise<MatrixRow> {
  const split = streamsPerClient(plan.streams, plan.cpus);
  const pin = split.length > 1;
  const ports = split.map(() => nextPort++);
  const servers = [];
  const sampler = new WireRateSampler(plan.shapedAt.netns, plan.shapedAt.dev, 250);
  let ping: ReturnType<typeof startPing> | null = null;
  try {
    for (const port of ports) servers.push(await startIperf3Server(plan.serverNetns, port));
    const fqBefore = await readRootFq(plan.shapedAt.netns, plan.shapedAt.dev);
    const countersBefore = plan.counters === null ? [] : readPacketsPerCpu(plan.counters.bpffsDir, plan.counters.identity, plan.counters.direction);
    sampler.start();
    if (plan.ping !== null) ping = startPing(plan.ping.netns, plan.ping.target, Math.max(1, plan.seconds - 1));
    const clients = split.map((streams, index) => runClient(plan, ports[index]!, streams, pin ? index : null));
    for (const client of clients) client.catch(() => undefined); // the first failure is reported below
    const steadyFrom = plan.whileRunning === undefined ? undefined : await plan.whileRunning();
    const runs = await Promise.all(clients);
    const pinged = ping === null ? null : await ping.done;
    const samples = await sampler.stop();
    const fqAfter = await readRootFq(plan.shapedAt.netns, plan.shapedAt.dev);
    const countersAfter = plan.counters === null ? [] : readPacketsPerCpu(plan.counters.bpffsDir, plan.counters.identity, plan.counters.direction);
    // The steady part: from a second after the counters saw sending (a fork, an exec and a handshake after
    // the clients were asked for) or after the caller's change, to half a second before they stopped.
    const span = activeSpan(samples, 0.1 * (plan.limitBitsPerSec ?? 10e6));
    const from = span === null ? 0 : Math.max(span.fromMs + 1000, typeof steadyFrom === "number" ? steadyFrom : 0);
    const wire = span === null || plan.limitBitsPerSec === null ? null : wireBitsPerSecond(samples, from, span.toMs - 500);
    const delta = (after: number | null | undefined, before: number | null | undefined) => (after === null || after === undefined ? null : after - (before ?? 0));
    const used = plan.counters === null || countersAfter.length === 0 ? null : cpusUsed(countersBefore, countersAfter);
    if (used !== null) plan.log?.(`${plan.scenario}: the Pod's packets per CPU ${used.shares.map((share) => share.toFixed(3)).join(" / ")}`);
    const perSecond = addIntervals(runs);
    const retransmits = runs.reduce((sum, run) => sum + (run.retransmits ?? 0), 0);
    plan.log?.(`${plan.scenario}: receiver Mbit/s per second ${perSecond.map((bits) => (bits / 1e6).toFixed(1)).join(" ")}; ${retransmits} retransmits; fq drops ${delta(fqAfter?.drops, fqBefore?.drops) ?? "-"} (flow limit ${delta(fqAfter?.flowLimitDrops, fqBefore?.flowLimitDrops) ?? "-"})`);
    const goodput = runs.reduce((sum, run) => sum + run.goodputBitsPerSec, 0);
    return {
      scenario: plan.scenario,
      limitBitsPerSec: plan.limitBitsPerSec,
      streams: plan.streams,
      cpusUsed: used?.cpus ?? null,
      wireRatio: wire === null || plan.limitBitsPerSec === null ? null : wire / plan.limitBitsPerSec,
      goodputRatio: plan.limitBitsPerSec === null ? null : goodput / plan.limitBitsPerSec,
      maxOneSecondBitsPerSec: perSecond.length === 0 ? null : Math.max(...perSecond),
      fqThrottled: delta(fqAfter?.throttled, fqBefore?.throttled),
      horizonDrops: delta(fqAfter?.horizonDrops, fqBefore?.horizonDrops),
      pingP99Ms: pinged === null || pinged.received === 0 ? null : pinged.p99Ms,
    };
  } finally {
    await sampler.stop();
    if (ping !== null) await stopBackground(ping.process);
    for (const server of servers) await stopBackground(server);
  }
}
