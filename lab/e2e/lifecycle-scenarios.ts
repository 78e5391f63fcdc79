/**
 * The lifecycle scenarios with the agent running and netperf-server annotated: a live annotation edit
 * (10M -> 50M mid-stream, judged on the data plane), removing the annotation (limit, program and qdisc
 * gone, the previous root qdisc back), deleting the Pod (no rows, no pins left).
 */
import { readdir } from "node:fs/promises";
import { readQdiscStats } from "../measure/index.js";
import { runTool, waitForEgressLimit, type AgentRow, type LabNode, type LabPod, type PodManifest } from "../node/index.js";
import type { StreamPlan } from "../measure/index.js";
import type { AgentControl } from "./agent-control.js";
import { emptyRow, type E2eRow } from "./rows.js";
import { fillRow, measureStream } from "./stream.js";

const M = 1_000_000;

export const rootQdiscKind = async (pod: LabPod): Promise<string> =>
  (await readQdiscStats(pod.netns, "eth0")).find((qdisc) => qdisc.root)?.kind ?? "none";

/** `tc filter show dev eth0 egress` in the Pod: "" when no program is attached there. */
export const egressFilters = async (pod: LabPod): Promise<string> =>
  (await runTool("tc", ["filter", "show", "dev", "eth0", "egress"], { netns: pod.netns, allowFailure: true })).stdout.trim();

export interface LifecyclePlan {
  node: LabNode;
  control: AgentControl;
  server: LabPod;
  client: LabPod;
  serverManifest: PodManifest;
  setLimit(value: string | null): Promise<void>;
  removeManifest(manifest: PodManifest): Promise<void>;
  /** netperf-server's root qdisc before pacer touched it. */
  qdiscBefore: string;
  bpffsDir: string;
  toOutside: StreamPlan;
  seconds: number;
}

export async function lifecycleScenarios(plan: LifecyclePlan): Promise<E2eRow[]> {
  const { node, control, server, client, serverManifest, setLimit, qdiscBefore, bpffsDir, toOutside, seconds } = plan;
  const rows: E2eRow[] = [];
  // Live edit: 10M, then 50M in the middle of a stream, without recreating the Pod.
  await setLimit("10M");
  await waitForEgressLimit(control.agent, "netperf-server", 10 * M);
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
      listApplyMs = await waitForEgressLimit(control.agent, "netperf-server", 50 * M);
    },
  });
  fillRow(editRow, editOutcome);
  editRow.maxOneSecondBitsPerSec = null;
  const risen = editOutcome.iperf.receiverIntervals.find((interval) => interval.start >= editedAtSeconds - 0.05 && interval.bitsPerSec > 20 * M);
  const applyMs = risen === undefined ? Number.NaN : (risen.start + risen.seconds - editedAtSeconds) * 1000;
  editRow.notes.push(`${applyMs <= 1000 ? "PASS" : "FAIL"}: edit reached the data plane within 1 s (first 100 ms interval above 20 Mbit/s ended ${applyMs.toFixed(0)} ms after the edit; pacer list showed 50M after ${listApplyMs.toFixed(0)} ms)`);
  const lastSecond = editOutcome.iperf.receiverIntervals.slice(-10).reduce((sum, interval) => sum + interval.bitsPerSec * interval.seconds, 0);
  // Behaviour, loose enough for a loaded machine: well above the old limit, not above the new one.
  editRow.notes.push(`${lastSecond >= 1.5 * 10 * M && lastSecond <= 1.05 * 50 * M ? "PASS" : "FAIL"}: last second above 1.5x the old limit and within the new one (${(lastSecond / M).toFixed(1)} Mbit/s)`);
  editRow.notes.push(`${node.pods.get("netperf-server")?.containerId === server.containerId ? "PASS" : "FAIL"}: same sandbox, not recreated`);
  rows.push(editRow);

  // Removing the annotation removes the limit, the program and the qdisc pacer added.
  await setLimit(null);
  const removeMs = await waitForEgressLimit(control.agent, "netperf-server", null);
  const removedRow = fillRow(emptyRow("annotation removed", null), await measureStream(toOutside));
  const qdiscAfter = await rootQdiscKind(server);
  const filters = await egressFilters(server);
  removedRow.notes.push(`limit gone ${removeMs.toFixed(0)} ms after the edit`);
  removedRow.notes.push(`${qdiscAfter === qdiscBefore ? "PASS" : "FAIL"}: previous root qdisc back (${qdiscBefore} before, ${qdiscAfter} after)`);
  removedRow.notes.push(`${filters === "" ? "PASS" : "FAIL"}: no tc egress program left${filters === "" ? "" : ` (${filters.split("\n")[0]})`}`);
  rows.push(removedRow);

  // Deleting the Pod (manifest, then sandbox as the kubelet does) leaves no rows and no pins.
  await setLimit("10M");
  await waitForEgressLimit(control.agent, "netperf-server", 10 * M);
  await plan.removeManifest(serverManifest);
  const deletedRow = emptyRow("Pod deleted", null);
  const goneDeadline = performance.now() + 5000;
  let rowsLeft: AgentRow[] = [];
  do {
    rowsLeft = ((await control.agent.list()) as AgentRow[]).filter((row) => row.name === "netperf-server");
    if (rowsLeft.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (performance.now() < goneDeadline);
  await node.deletePod("netperf-server");
  const pins = await readdir(bpffsDir, { recursive: true }).catch(() => [] as string[]);
  const podPins = pins.filter((pin) => pin.includes(serverManifest.uid) || pin.includes("netperf-server"));
  deletedRow.notes.push(`${rowsLeft.length === 0 ? "PASS" : "FAIL"}: no rows left for the Pod (${rowsLeft.length})`);
  deletedRow.notes.push(`${podPins.length === 0 ? "PASS" : "FAIL"}: no bpffs pins named for the Pod (${pins.length} pins under ${bpffsDir}: ${pins.join(", ") || "none"})`);
  rows.push(deletedRow);
  return rows;
}
