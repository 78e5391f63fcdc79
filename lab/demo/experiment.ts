/**
 * The seed's experiment on a lab node (kernel-touching; runs as root inside the test kernel, or directly on
 * a host kernel with fq): the netperf-server Pod annotated 10M and the netperf-client Pod, the pacer agent,
 * a TCP stream from netperf-server to netperf-client (netperf TCP_MAERTS's direction: the server SENDS;
 * iperf3's server runs in netperf-server and the client in netperf-client receives with -R), ping under
 * that load, then the annotation removed live and the same stream again.
 *
 * Everything created here (namespaces, links, the agent, bpffs pins, temp dirs) is removed in `finally`,
 * also when a step fails or the signal aborts.
 */
import { rm } from "node:fs/promises";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { measureStream, type StreamOutcome } from "../measure/index.js";
import {
  buildNode, EGRESS_BANDWIDTH, ManifestDirectory, runTool, seedPod, startPacerAgent, waitForEgressLimit,
  type PacerAgent, type PodManifest,
} from "../node/index.js";
import type { DemoStepId } from "./plan.js";
import type { DemoMeasurements, StreamMeasurement } from "./report.js";

export const DEMO_LIMIT = "10M";
export const DEMO_LIMIT_BITS_PER_SEC = 10_000_000;
const NODE_NAME = "pacer-demo-node";

export type DemoEvent = { type: "step"; id: DemoStepId } | { type: "log"; text: string };

export interface ExperimentOptions {
  /** The repository: bin/pacer.js is started from here. */
  repoDir: string;
  seconds: number;
  /** Prefix of every namespace, link, pin and temp dir (≤ 9 characters), e.g. `pm-<pid>`. */
  prefix: string;
  onEvent: (event: DemoEvent) => void;
  signal?: AbortSignal;
}

export class DemoExperimentError extends Error {
  readonly code = "DEMO_STEP_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DemoExperimentError";
  }
}

const toMeasurement = (outcome: StreamOutcome): StreamMeasurement => ({
  goodputBitsPerSec: outcome.iperf.goodputBitsPerSec,
  intervals: outcome.iperf.receiverIntervals,
  retransmits: outcome.iperf.retransmits,
  fqThrottled: outcome.fqThrottled,
  horizonDrops: outcome.horizonDrops,
});

export async function runDemoExperiment(options: ExperimentOptions): Promise<DemoMeasurements> {
  const { prefix, seconds, signal } = options;
  let currentStep: DemoStepId = "node";
  const step = (id: DemoStepId) => {
    signal?.throwIfAborted();
    currentStep = id;
    options.onEvent({ type: "step", id });
  };
  const agentLog: string[] = [];
  const workDir = join(tmpdir(), `${prefix}-agent`);
  const bpffsDir = `/sys/fs/bpf/${prefix}-demo`;
  const pacer = join(options.repoDir, "bin", "pacer.js");
  let agent: PacerAgent | undefined;
  let node: Awaited<ReturnType<typeof buildNode>> | undefined;
  try {
    step("node");
    node = await buildNode({ prefix, stateDir: join(tmpdir(), `${prefix}-node`) });
    const server = await node.addPod("netperf-server");
    const client = await node.addPod("netperf-client");

    step("agent");
    agent = await startPacerAgent({
      repoDir: options.repoDir, nodeNetns: node.netns, nodeName: NODE_NAME, workDir, bpffsDir,
      onLog: (line) => agentLog.push(line),
    });
    const manifests = new ManifestDirectory(agent.podsDir);
    const serverManifest: PodManifest = seedPod("netperf-server", NODE_NAME, server.ip);
    serverManifest.annotations = { [EGRESS_BANDWIDTH]: DEMO_LIMIT };
    await manifests.write(seedPod("netperf-client", NODE_NAME, client.ip));
    const applyStarted = performance.now();
    await manifests.write(serverManifest);
    await waitForEgressLimit(agent, "netperf-server", DEMO_LIMIT_BITS_PER_SEC);
    const limitAppliedMs = performance.now() - applyStarted;

    step("status");
    const cliInNode = async (command: string) =>
      (await runTool("node", [pacer, command, "--socket", agent!.socket], { netns: node!.netns, allowFailure: true })).stdout.trimEnd();
    const statusText = await cliInNode("status");
    const listText = await cliInNode("list");

    // The seed's roles: the iperf3 server in netperf-server sends (-R) to netperf-client; ping from the
    // limited Pod to the receiver during the stream shows the latency its own bulk flow causes.
    const stream = { senderNetns: server.netns, senderIp: server.ip, receiverNetns: client.netns, receiverIp: client.ip, seconds, reverse: true, intervalSeconds: 0.5 };
    step("limited");
    const limited = await measureStream({ ...stream, pingDuringStream: true });

    step("unlimit");
    const removeStarted = performance.now();
    serverManifest.annotations = {};
    await manifests.write(serverManifest);
    await waitForEgressLimit(agent, "netperf-server", null);
    const limitRemovedMs = performance.now() - removeStarted;
    const samePodAfterEdit = node.pods.get("netperf-server")?.containerId === server.containerId;

    step("unlimited");
    const unlimited = await measureStream(stream);

    const ping = limited.ping;
    return {
      kernelRelease: release(), limit: DEMO_LIMIT, limitBitsPerSec: DEMO_LIMIT_BITS_PER_SEC, statusText, listText,
      limitAppliedMs, limitRemovedMs, samePodAfterEdit, limited: toMeasurement(limited), unlimited: toMeasurement(unlimited),
      latencyUnderLoad: ping === null ? null : { sent: ping.sent, received: ping.received, p50Ms: ping.p50Ms, p99Ms: ping.p99Ms },
      seconds,
    };
  } catch (error) {
    if (signal?.aborted === true) throw error;
    const tail = agentLog.slice(-20).map((line) => `  agent| ${line}`).join("\n");
    throw new DemoExperimentError(`demo step "${currentStep}": ${(error as Error).message}${tail === "" ? "" : `\nlast agent log lines:\n${tail}`}`, { cause: error });
  } finally {
    await agent?.stop().catch(() => undefined);
    await runTool("rm", ["-rf", bpffsDir], { allowFailure: true }).catch(() => undefined);
    await node?.destroy().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
}
