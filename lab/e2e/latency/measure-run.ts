/**
 * One latency-isolation run: the limited Pod's bulk load (iperf3 TCP streams or UDP) to or from the outside
 * host, and during it the two light probes from the same Pod — netperf TCP_RR (one transaction in flight,
 * 1-byte request and response) and ping — plus the rate that left the shaping qdisc (its sent bytes, apart
 * from the program's own timeline) and, for several TCP streams, Jain's index of their shares.
 *
 * Egress: the Pod sends the bulk and the probes' requests. Ingress: the outside host sends the bulk
 * (iperf3 -R) and the probes' answers, so both queue where ingress is shaped.
 */
import {
  activeSpan, jainIndex, readRootFq, runIperf3Client, runRequestResponse, startIperf3Server, startNetserver, startPing, WireRateSampler,
  wireBitsPerSecond, type Iperf3Summary, type PingSummary, type RequestResponseSummary,
} from "../../measure/index.js";
import { stopBackground, type LabNode, type LabPod } from "../../node/index.js";
import type { LatencyRow } from "../rows.js";
import { latencyScenarioName, type LatencyRun } from "./plan.js";

export interface RunPlace {
  node: LabNode;
  pod: LabPod;
  /** Where the limit is shaped: the Pod's eth0, the host-side veth, or the reference plugin's IFB. */
  shapedAt: { netns: string; dev: string };
}

/** Bulk starts, then the probes run from WARM_UP_S until COOL_DOWN_S before `seconds` are over. */
const WARM_UP_S = 2;
const COOL_DOWN_S = 1;
/**
 * The bulk runs this much longer: under one timeline and many flows, netperf's control connection waits in
 * the same queue as everything else (hundreds of ms per round trip), so its test can start seconds late; it
 * must still end inside the load, or it measures an idle Pod. A probe that outlasts the load anyway is flagged.
 */
const OUTLAST_S = 4;

let nextPort = 7100;

export async function measureLatencyRun(run: LatencyRun, place: RunPlace, seconds: number): Promise<LatencyRow[]> {
  const { node, pod } = place;
  const bulkPort = nextPort++;
  const rrPort = nextPort++;
  const probeSeconds = Math.max(1, seconds - WARM_UP_S - COOL_DOWN_S);
  const iperfServer = run.bulk === null ? null : await startIperf3Server(node.outsideNetns, bulkPort);
  const netserver = await startNetserver(node.outsideNetns, rrPort);
  const sampler = new WireRateSampler(place.shapedAt.netns, place.shapedAt.dev, 250);
  const fqBefore = await readRootFq(place.shapedAt.netns, place.shapedAt.dev);
  let bulk: Promise<Iperf3Summary> | null = null;
  try {
    sampler.start();
    const started = performance.now();
    if (run.bulk !== null) {
      bulk = runIperf3Client({
        netns: pod.netns, serverIp: node.outsideIp, port: bulkPort, seconds: seconds + OUTLAST_S, reverse: run.direction === "ingress",
        ...(run.bulk.protocol === "udp" ? { udpBitsPerSec: 2 * run.limitBitsPerSec } : { congestionControl: run.bulk.cc ?? "cubic" }),
        ...(run.bulk.flows > 1 ? { parallel: run.bulk.flows } : {}),
      });
      bulk.catch(() => undefined); // a probe failure is the one reported; the bulk's rejection must not go unhandled
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_S * 1000));
    }
    // One probe after the other, each for half the time: TCP_RR is a closed loop that keeps a one-CPU test
    // kernel busy (thousands of transactions a second), and a ping beside it would measure the CPU, not the
    // queue. Ping every 10 ms: enough samples that the p99 is not one scheduling hiccup.
    const bulkEnded = bulk === null ? null : bulk.then(() => performance.now(), () => performance.now());
    const half = Math.max(1, Math.floor(probeSeconds / 2));
    const pinged = await startPing(pod.netns, node.outsideIp, half, 0.01).done;
    const rr = await runRequestResponse(pod.netns, node.outsideIp, rrPort, half);
    const probesEnded = performance.now();
    const iperf = bulk === null ? null : await bulk;
    const probeOutlastedLoad = bulkEnded === null ? false : probesEnded > (await bulkEnded);
    const samples = await sampler.stop();
    const fqAfter = await readRootFq(place.shapedAt.netns, place.shapedAt.dev);
    // The window is the probes' whole life and a second after: a light flow that starts leaving at once
    // while the bulk's already-stamped backlog drains, and the slots it leaves when it stops, both fall inside.
    // Cut to what the counters saw sending too: the bulk's client starts a fork, an exec and a handshake
    // after `started`, up to a second later in a loaded test kernel.
    const span = activeSpan(samples, 0.1 * run.limitBitsPerSec);
    const wire = iperf === null || span === null
      ? null
      : wireBitsPerSecond(samples, Math.max(started + (WARM_UP_S - 0.5) * 1000, span.fromMs + 1000), Math.min(started + (seconds - 0.5) * 1000, span.toMs - 500));
    return rowsOf(run, { rr, ping: pinged, iperf, wireBitsPerSec: wire, flowLimitDrops: delta(fqAfter?.flowLimitDrops, fqBefore?.flowLimitDrops), probeOutlastedLoad });
  } finally {
    await sampler.stop().catch(() => undefined);
    await stopBackground(netserver);
    if (iperfServer !== null) await stopBackground(iperfServer);
  }
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

const delta = (after: number | null | undefined, before: number | null | undefined): number | null =>
  after === null || after === undefined ? null : after - (before ?? 0);

interface Measured {
  rr: RequestResponseSummary;
  ping: PingSummary;
  iperf: Iperf3Summary | null;
  wireBitsPerSec: number | null;
  flowLimitDrops: number | null;
  probeOutlastedLoad: boolean;
}

function rowsOf(run: LatencyRun, measured: Measured): LatencyRow[] {
  const { iperf } = measured;
  const tcpStreams = run.bulk?.protocol === "tcp" && run.bulk.flows > 1 ? iperf?.streamReceivedBytes ?? [] : [];
  const common = {
    scenario: latencyScenarioName(run), mode: run.mode, direction: run.direction, limitBitsPerSec: run.limitBitsPerSec,
    bulkFlows: run.bulk?.flows ?? 0, bulkProtocol: run.bulk?.protocol ?? null, cc: run.bulk?.cc ?? null,
    idleP99Ms: null, wireRatio: measured.wireBitsPerSec === null ? null : measured.wireBitsPerSec / run.limitBitsPerSec,
    jainIndex: tcpStreams.length > 1 ? jainIndex(tcpStreams) : null,
    goodputBitsPerSec: iperf?.goodputBitsPerSec ?? null, retransmits: iperf?.retransmits ?? null, flowLimitDrops: measured.flowLimitDrops,
    offeredBitsPerSec: run.bulk?.protocol === "udp" ? iperf?.sentBitsPerSec ?? null : null,
    probeOutlastedLoad: measured.probeOutlastedLoad,
  };
  return [
    // netperf prints 0 for the percentiles of no transaction at all: that is no answer, not a 0 ms one.
    ...(measured.rr.transactionsPerSec > 0
      ? [{ ...common, probe: "tcp_rr" as const, p50Ms: measured.rr.p50Ms, p99Ms: measured.rr.p99Ms, rrTransactionsPerSec: measured.rr.transactionsPerSec }]
      : [{ ...common, probe: "tcp_rr" as const, p50Ms: null, p99Ms: null, rrTransactionsPerSec: 0 }]),
    // No reply at all: the percentiles of nothing (NaN) are recorded as null, not as a number.
    { ...common, probe: "ping", p50Ms: finiteOrNull(measured.ping.p50Ms), p99Ms: finiteOrNull(measured.ping.p99Ms), rrTransactionsPerSec: null },
  ];
}
