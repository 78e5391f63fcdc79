/**
 * Scenarios with the pacer agent running on the lab node (the seed's netperf-server, annotated 10M, as the
 * sender): 10M and 100M enforcement, latency under the Pod's own load (CUBIC, BBR), same-node Pod-to-Pod,
 * the unannotated Pod with pacer on, a live annotation edit, removing the annotation, deleting the Pod.
 * When the agent cannot run, each scenario yields a row that says why instead of numbers.
 */
import { access, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readQdiscStats } from "../../src/lab/measure/index.js";
import {
  EGRESS_BANDWIDTH, ManifestDirectory, runTool, seedPod, startPacerAgent, waitForEgressLimit, type LabPod, type PacerAgent, type PodManifest,
} from "../../src/lab/node/index.js";
import type { ScenarioContext } from "./baseline-scenarios.js";
import { emptyRow, type E2eRow } from "./rows.js";
import { fillRow, measureMedianStream, measureStream } from "./stream.js";

const NODE_NAME = "pacer-lab-node";
const M = 1_000_000;

interface AgentRow { name?: string; direction?: string; enforcedBitsPerSecond?: number | null; state?: string }

const rootQdiscKind = async (pod: LabPod): Promise<string> =>
  (await readQdiscStats(pod.netns, "eth0")).find((qdisc) => qdisc.root)?.kind ?? "none";

const SCENARIOS_FULL = [
  "pacer 10M, cubic", "pacer 10M, bbr", "pacer Pod-to-Pod same node 10M", "pacer 100M", "unlimited, pacer on",
  "annotation edit 10M->50M", "annotation removed", "Pod deleted",
];
const SCENARIOS_REDUCED = ["pacer 10M, cubic", "unlimited, pacer on", "annotation edit 10M->50M", "annotation removed", "Pod deleted"];

async function agentUnavailableReason(repoDir: string): Promise<string | null> {
  try {
    await access(join(repoDir, "dist", "src", "cli", "commands", "agent.js"));
    return null;
  } catch {
    return "not run: the pacer agent is not built yet (dist/src/cli/commands/agent.js missing)";
  }
}

export async function* pacerScenarios(context: ScenarioContext, options: { repoDir: string; reduced: boolean }): AsyncGenerator<E2eRow> {
  const names = options.reduced ? SCENARIOS_REDUCED : SCENARIOS_FULL;
  const unavailable = await agentUnavailableReason(options.repoDir);
  if (unavailable !== null) {
    for (const name of names) yield { ...emptyRow(name, null), status: unavailable };
    return;
  }
  const { node, seconds, log } = context;
  const server = await node.addPod("netperf-server");
  const client = await node.addPod("netperf-client");
  const qdiscBefore = await rootQdiscKind(server);
  const bpffsDir = `/sys/fs/bpf/pacer-lab-${process.pid}`;
  let agent: PacerAgent;
  try {
    agent = await startPacerAgent({ repoDir: options.repoDir, nodeNetns: node.netns, nodeName: NODE_NAME, workDir: join(tmpdir(), `pl-${process.pid}-agent`), bpffsDir, onLog: (line) => log(`agent: ${line}`) });
  } catch (error) {
    for (const name of names) yield { ...emptyRow(name, null), status: `not run: ${(error as Error).message.split("\n")[0]}` };
    return;
  }
  const manifests = new ManifestDirectory(agent.podsDir);
  const serverManifest: PodManifest = seedPod("netperf-server", NODE_NAME, server.ip);
  const setLimit = async (value: string | null) => {
    serverManifest.annotations = value === null ? {} : { [EGRESS_BANDWIDTH]: value };
    await manifests.write(serverManifest);
  };
  const toOutside = { senderNetns: server.netns, receiverNetns: node.outsideNetns, receiverIp: node.outsideIp, seconds };
  try {
    await manifests.write(seedPod("netperf-client", NODE_NAME, client.ip));
    await setLimit("10M");
    const firstApplyMs = await waitForEgressLimit(agent, "netperf-server", 10 * M);
    log(`10M enforced ${firstApplyMs.toFixed(0)} ms after the manifest was written`);

    for (const cc of options.reduced ? ["cubic"] : ["cubic", "bbr"]) {
      const row = fillRow(emptyRow(`pacer 10M, ${cc}`, 10 * M), await measureStream({ ...toOutside, congestionControl: cc, pingDuringStream: true }));
      yield row;
    }
    if (!options.reduced) {
      yield fillRow(emptyRow("pacer Pod-to-Pod same node 10M", 10 * M), await measureStream({ ...toOutside, receiverNetns: client.netns, receiverIp: client.ip }));
      await setLimit("100M");
      await waitForEgressLimit(agent, "netperf-server", 100 * M);
      yield fillRow(emptyRow("pacer 100M", 100 * M), await measureStream(toOutside));
    }

    const unlimited = await node.addPod("unlimited-on");
    await manifests.write({ ...seedPod("netperf-client", NODE_NAME, unlimited.ip), name: "unlimited-on" });
    await waitForEgressLimit(agent, "unlimited-on", null);
    const unlimitedRun = await measureMedianStream({ ...toOutside, senderNetns: unlimited.netns }, 3);
    const unlimitedRow = fillRow(emptyRow("unlimited, pacer on", null), unlimitedRun.outcome);
    unlimitedRow.notes.push(unlimitedRun.note);
    yield unlimitedRow;

    // Live edit: 10M, then 50M in the middle of a stream, without recreating the Pod.
    await setLimit("10M");
    await waitForEgressLimit(agent, "netperf-server", 10 * M);
    const editRow = emptyRow("annotation edit 10M->50M", 50 * M);
    // The data plane is the judge: 100 ms receiver intervals (netperf-client receiving with -R, the seed's
    // roles) show when the rate left 10M. `pacer list`
    // is only a cross-check (each call starts node, ~0.8 s in the test kernel).
    let streamStartedAt = 0;
    let editedAtSeconds = Number.NaN;
    let listApplyMs = Number.NaN;
    const editOutcome = await measureStream({
      ...toOutside, receiverNetns: client.netns, receiverIp: client.ip, senderIp: server.ip, reverse: true,
      seconds: Math.max(6, seconds), intervalSeconds: 0.1,
      whileRunning: async () => {
        streamStartedAt = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 2500));
        editedAtSeconds = (performance.now() - streamStartedAt) / 1000;
        await setLimit("50M");
        listApplyMs = await waitForEgressLimit(agent, "netperf-server", 50 * M);
      },
    });
    fillRow(editRow, editOutcome);
    editRow.maxOneSecondBitsPerSec = null;
    const risen = editOutcome.iperf.receiverIntervals.find((interval) => interval.start >= editedAtSeconds - 0.05 && interval.bitsPerSec > 20 * M);
    const applyMs = risen === undefined ? Number.NaN : (risen.start + risen.seconds - editedAtSeconds) * 1000;
    editRow.notes.push(`${applyMs <= 1000 ? "PASS" : "FAIL"}: edit reached the data plane within 1 s (first 100 ms interval above 20 Mbit/s ended ${applyMs.toFixed(0)} ms after the edit; pacer list showed 50M after ${listApplyMs.toFixed(0)} ms)`);
    const lastSecond = editOutcome.iperf.receiverIntervals.slice(-10).reduce((sum, interval) => sum + interval.bitsPerSec * interval.seconds, 0);
    editRow.notes.push(`${lastSecond >= 0.8 * 50 * M && lastSecond <= 1.5 * 50 * M ? "PASS" : "FAIL"}: last second at the new limit (${(lastSecond / M).toFixed(1)} Mbit/s)`);
    editRow.notes.push(`${node.pods.get("netperf-server")?.containerId === server.containerId ? "PASS" : "FAIL"}: same sandbox, not recreated`);
    yield editRow;

    // Removing the annotation removes the limit, the program and the qdisc pacer added.
    await setLimit(null);
    const removeMs = await waitForEgressLimit(agent, "netperf-server", null);
    const removedRow = fillRow(emptyRow("annotation removed", null), await measureStream(toOutside));
    const qdiscAfter = await rootQdiscKind(server);
    const filters = (await runTool("tc", ["filter", "show", "dev", "eth0", "egress"], { netns: server.netns, allowFailure: true })).stdout.trim();
    removedRow.notes.push(`limit gone ${removeMs.toFixed(0)} ms after the edit`);
    removedRow.notes.push(`${qdiscAfter === qdiscBefore ? "PASS" : "FAIL"}: previous root qdisc back (${qdiscBefore} before, ${qdiscAfter} after)`);
    removedRow.notes.push(`${filters === "" ? "PASS" : "FAIL"}: no tc egress program left${filters === "" ? "" : ` (${filters.split("\n")[0]})`}`);
    yield removedRow;

    // Deleting the Pod (manifest, then sandbox as the kubelet does) leaves no rows and no pins.
    await setLimit("10M");
    await waitForEgressLimit(agent, "netperf-server", 10 * M);
    await manifests.remove(serverManifest);
    const deletedRow = emptyRow("Pod deleted", null);
    const goneDeadline = performance.now() + 5000;
    let rowsLeft: AgentRow[] = [];
    do {
      rowsLeft = ((await agent.list()) as AgentRow[]).filter((row) => row.name === "netperf-server");
      if (rowsLeft.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (performance.now() < goneDeadline);
    await node.deletePod("netperf-server");
    const pins = await readdir(bpffsDir, { recursive: true }).catch(() => [] as string[]);
    const podPins = pins.filter((pin) => pin.includes(serverManifest.uid) || pin.includes("netperf-server"));
    deletedRow.notes.push(`${rowsLeft.length === 0 ? "PASS" : "FAIL"}: no rows left for the Pod (${rowsLeft.length})`);
    deletedRow.notes.push(`${podPins.length === 0 ? "PASS" : "FAIL"}: no bpffs pins named for the Pod (${pins.length} pins under ${bpffsDir}: ${pins.join(", ") || "none"})`);
    yield deletedRow;
  } finally {
    await agent.stop();
    await runTool("rm", ["-rf", bpffsDir], { allowFailure: true });
  }
}
