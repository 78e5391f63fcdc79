/**
 * Scenarios with the pacer agent running on the lab node (the seed's netperf-server, annotated 10M, as the
 * sender): the unannotated Pod off/on (interleaved pairs), 10M and 100M enforcement, latency under the
 * Pod's own load (CUBIC, BBR, 8 parallel CUBIC streams), same-node Pod-to-Pod, ingress through the agent,
 * then the lifecycle (live edit, annotation removed, Pod deleted).
 * When the agent cannot run, the unlimited baseline is still measured and each pacer scenario yields a row
 * that says why instead of numbers.
 */
import { access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EGRESS_BANDWIDTH, ManifestDirectory, runTool, seedPod, waitForEgressLimit, type LabPod, type PodManifest,
} from "../node/index.js";
import { AgentControl } from "./agent-control.js";
import { unlimitedPacerOff, type ScenarioContext } from "./baseline-scenarios.js";
import { pacerIngress } from "./ingress-scenarios.js";
import { lifecycleScenarios, rootQdiscKind } from "./lifecycle-scenarios.js";
import { costScenarios } from "./cost/scenarios.js";
import { latencyScenarios } from "./latency/scenarios.js";
import { labInternalCidrs, uplinkScenarios } from "./uplink-scenarios.js";
import { emptyRow, type E2eResult } from "./rows.js";
import { fillRow, measureStream } from "./stream.js";
import { compareUnlimitedOffOn } from "./unlimited-comparison.js";

const NODE_NAME = "pacer-lab-node";
const M = 1_000_000;

const SCENARIOS_FULL = [
  "unlimited, pacer on", "pacer 10M, cubic", "pacer 10M, bbr", "pacer 10M, 8 cubic streams", "pacer Pod-to-Pod same node 10M", "pacer 100M",
  "pacer ingress 10M, cubic", "annotation edit 10M->50M", "annotation removed", "Pod deleted",
];
const SCENARIOS_REDUCED = ["unlimited, pacer on", "pacer 10M, cubic", "pacer ingress 10M, cubic", "annotation edit 10M->50M", "annotation removed", "Pod deleted"];

function groupOfScenario(name: string): ScenarioGroup {
  if (name.startsWith("pacer ingress")) return "ingress";
  if (["annotation", "Pod deleted"].some((prefix) => name.startsWith(prefix))) return "lifecycle";
  return "streams";
}

async function agentUnavailableReason(repoDir: string): Promise<string | null> {
  try {
    await access(join(repoDir, "dist", "src", "cli", "commands", "agent.js"));
    return null;
  } catch {
    return "not run: the pacer agent is not built yet (dist/src/cli/commands/agent.js missing)";
  }
}

/** A Pod manifest like the seed's unannotated netperf-client, for another Pod on the node. */
const plainManifest = (pod: LabPod): PodManifest => ({ ...seedPod("netperf-client", NODE_NAME, pod.ip), name: pod.name });

/** Groups of scenarios `--only` can pick (a developer's loop; a full or reduced run has every group). */
export const SCENARIO_GROUPS = ["streams", "ingress", "latency", "uplink", "cost", "lifecycle"] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export async function* pacerScenarios(
  context: ScenarioContext,
  options: { repoDir: string; reduced: boolean; only?: ReadonlySet<ScenarioGroup> },
): AsyncGenerator<E2eResult> {
  const want = (group: ScenarioGroup) => options.only === undefined || options.only.has(group);
  const names = (options.reduced ? SCENARIOS_REDUCED : SCENARIOS_FULL).filter((name) => options.only === undefined || want(groupOfScenario(name)));
  const unavailable = await agentUnavailableReason(options.repoDir);
  const notRun = (reason: string) => names.map((name) => ({ ...emptyRow(name, null), status: reason }));
  if (unavailable !== null) {
    yield await unlimitedPacerOff(context);
    yield* notRun(unavailable);
    return;
  }
  const { node, seconds, log } = context;
  const server = await node.addPod("netperf-server");
  const client = await node.addPod("netperf-client");
  const unlimited = await node.addPod("unlimited");
  const qdiscBefore = await rootQdiscKind(server);
  const bpffsDir = `/sys/fs/bpf/pacer-lab-${process.pid}`;
  const control = new AgentControl({
    repoDir: options.repoDir, nodeNetns: node.netns, nodeName: NODE_NAME, workDir: join(tmpdir(), `pl-${process.pid}-agent`), bpffsDir,
    onLog: (line) => log(`agent: ${line}`), extraArgs: [`--internal-cidrs=${labInternalCidrs(node).join(",")}`],
  });
  try {
    try {
      const startMs = await control.start();
      log(`agent ready in ${startMs.toFixed(0)} ms`);
    } catch (error) {
      yield await unlimitedPacerOff(context);
      yield* notRun(`not run: ${(error as Error).message.split("\n")[0]}`);
      return;
    }
    const manifests = new ManifestDirectory(control.agent.podsDir);
    const serverManifest: PodManifest = seedPod("netperf-server", NODE_NAME, server.ip);
    const setLimit = async (value: string | null) => {
      serverManifest.annotations = value === null ? {} : { [EGRESS_BANDWIDTH]: value };
      await manifests.write(serverManifest);
    };
    const toOutside = { senderNetns: server.netns, receiverNetns: node.outsideNetns, receiverIp: node.outsideIp, seconds };
    await manifests.write(seedPod("netperf-client", NODE_NAME, client.ip));
    await manifests.write(plainManifest(unlimited));
    await setLimit("10M");
    const firstApplyMs = await waitForEgressLimit(control.agent, "netperf-server", 10 * M);
    log(`10M enforced ${firstApplyMs.toFixed(0)} ms after the manifest was written`);

    if (want("streams")) yield* await compareUnlimitedOffOn({
      control, pod: unlimited, limitedPodName: "netperf-server", limitedBitsPerSec: 10 * M,
      toOutside: { receiverNetns: node.outsideNetns, receiverIp: node.outsideIp },
      pairs: options.reduced ? 4 : 8, secondsPerRun: options.reduced ? 3 : 4, log,
    });
    await waitForEgressLimit(control.agent, "netperf-server", 10 * M);

    for (const cc of !want("streams") ? [] : options.reduced ? ["cubic"] : ["cubic", "bbr"]) {
      yield fillRow(emptyRow(`pacer 10M, ${cc}`, 10 * M), await measureStream({ ...toOutside, congestionControl: cc, pingDuringStream: true }));
    }
    if (!options.reduced && want("streams")) {
      const manyFlows = fillRow(emptyRow("pacer 10M, 8 cubic streams", 10 * M), await measureStream({ ...toOutside, congestionControl: "cubic", parallel: 8, pingDuringStream: true }));
      manyFlows.notes.push("iperf3 -P 8 from the limited Pod; ping from the same Pod during the streams");
      yield manyFlows;
      yield fillRow(emptyRow("pacer Pod-to-Pod same node 10M", 10 * M), await measureStream({ ...toOutside, receiverNetns: client.netns, receiverIp: client.ip }));
      await setLimit("100M");
      await waitForEgressLimit(control.agent, "netperf-server", 100 * M);
      yield fillRow(emptyRow("pacer 100M", 100 * M), await measureStream(toOutside));
    }

    if (want("ingress")) yield await pacerIngress({ node, control, manifests, manifestFor: plainManifest, seconds });

    if (want("latency")) for await (const rows of latencyScenarios({ node, control, manifests, manifestFor: plainManifest, seconds, reduced: options.reduced, log })) yield* rows;
    if (want("uplink")) yield* uplinkScenarios({ node, control, manifests, manifestFor: plainManifest, seconds, log });
    if (!options.reduced && want("cost")) yield* await costScenarios({ node, control, manifests, manifestFor: plainManifest, seconds, log });

    if (want("lifecycle")) yield* await lifecycleScenarios({
      node, control, server, client, serverManifest, setLimit, removeManifest: (manifest) => manifests.remove(manifest),
      qdiscBefore, bpffsDir, toOutside, seconds,
    });
  } finally {
    await control.stop();
    await runTool("rm", ["-rf", bpffsDir], { allowFailure: true });
  }
}
