/**
 * One measured TCP stream on the lab node: a sender Pod to a receiver (the outside host or another Pod),
 * optionally with ping from the sender during the stream, and fq's counters on the sender's eth0 before
 * and after (docs/design.md, "The per-packet algorithm": throughput alone cannot tell pacing from policing) — on the sender's eth0
 * for egress, or where the plan says (the Pod's host-side veth for ingress). Used by the e2e suite and
 * `./run demo`.
 */
import { stopBackground } from "../node/exec.js";
import { readRootFq } from "./fq-stats.js";
import { runIperf3Client, startIperf3Server, type Iperf3Summary } from "./iperf3.js";
import { startPing, type PingSummary } from "./ping.js";

export interface StreamPlan {
  /** netns of the limited sender. */
  senderNetns: string;
  /** netns and address of the receiver. */
  receiverNetns: string;
  receiverIp: string;
  /** The sender's address (reverse mode only). */
  senderIp?: string;
  seconds: number;
  congestionControl?: string;
  /** Ping from the sender to the receiver during the stream. */
  pingDuringStream?: boolean;
  port?: number;
  /** Called once the stream runs (e.g. to edit an annotation mid-stream). */
  whileRunning?: () => Promise<void>;
  /**
   * The seed's roles: iperf3 server in the sender, the receiver runs `iperf3 -c -R` (needs the receiver to
   * reach the sender, e.g. Pod-to-Pod). Its client-side intervals honour intervalSeconds.
   */
  reverse?: boolean;
  /** iperf3 report interval (s); default 1. */
  intervalSeconds?: number;
  /** iperf3 -P: parallel streams from the sender. */
  parallel?: number;
  /**
   * Where the shaping qdisc is read (fq counters before/after); default the sender's eth0. Ingress is
   * paced on the Pod's host-side veth in the node's namespace.
   */
  qdiscAt?: { netns: string; dev: string };
  /** iperf3 -b: the sender paces itself to this rate (TCP). */
  bitsPerSec?: number;
  /** Where ping runs and what it targets; default from the sender to the receiver. */
  pingFrom?: { netns: string; target: string };
}

export interface StreamOutcome {
  iperf: Iperf3Summary;
  ping: PingSummary | null;
  fqThrottled: number | null;
  horizonDrops: number | null;
  /** Packets the root fq dropped for its per-flow limit (flows_plimit), over the stream. */
  flowLimitDrops: number | null;
  /** Every drop of the root fq over the stream. */
  qdiscDrops: number | null;
}

let nextPort = 5201;

/** Runs the stream with the sender as the iperf3 client (receiver-side rates come from the server's JSON). */
export async function measureStream(plan: StreamPlan): Promise<StreamOutcome> {
  const port = plan.port ?? nextPort++;
  const qdiscAt = plan.qdiscAt ?? { netns: plan.senderNetns, dev: "eth0" };
  const fqBefore = await readRootFq(qdiscAt.netns, qdiscAt.dev);
  const reverse = plan.reverse === true;
  const server = await startIperf3Server(reverse ? plan.senderNetns : plan.receiverNetns, port);
  let pingRun: ReturnType<typeof startPing> | null = null;
  try {
    const pingFrom = plan.pingFrom ?? { netns: plan.senderNetns, target: plan.receiverIp };
    if (plan.pingDuringStream === true) pingRun = startPing(pingFrom.netns, pingFrom.target, Math.max(1, plan.seconds - 1));
    const stream = runIperf3Client({
      netns: reverse ? plan.receiverNetns : plan.senderNetns, serverIp: reverse ? plan.senderIp ?? "" : plan.receiverIp, port, seconds: plan.seconds, reverse,
      ...(plan.congestionControl === undefined ? {} : { congestionControl: plan.congestionControl }),
      ...(plan.intervalSeconds === undefined ? {} : { intervalSeconds: plan.intervalSeconds }),
      ...(plan.parallel === undefined ? {} : { parallel: plan.parallel }),
      ...(plan.bitsPerSec === undefined ? {} : { tcpBitsPerSec: plan.bitsPerSec }),
    });
    // When whileRunning throws, its error is the one reported; stopping the server below then fails the
    // client too, and that rejection must not go unhandled (it would end the process).
    stream.catch(() => undefined);
    if (plan.whileRunning !== undefined) await plan.whileRunning();
    const iperf = await stream;
    const ping = pingRun === null ? null : await pingRun.done;
    const fqAfter = await readRootFq(qdiscAt.netns, qdiscAt.dev);
    const delta = (after: number | null | undefined, before: number | null | undefined): number | null =>
      after === null || after === undefined ? null : after - (before ?? 0);
    return {
      iperf, ping,
      fqThrottled: delta(fqAfter?.throttled, fqBefore?.throttled),
      horizonDrops: delta(fqAfter?.horizonDrops, fqBefore?.horizonDrops),
      flowLimitDrops: delta(fqAfter?.flowLimitDrops, fqBefore?.flowLimitDrops),
      qdiscDrops: fqAfter === null ? null : delta(fqAfter.drops, fqBefore?.drops),
    };
  } finally {
    // ping is still running only when the stream failed; it is stopped by pid, like the server.
    if (pingRun !== null) await stopBackground(pingRun.process);
    await stopBackground(server);
  }
}
