/**
 * The cluster scenarios' guest side, run as root inside the test kernel (its own kernel with fq, its own
 * namespaces): builds the CNI node (lab/node), starts etcd and kube-apiserver in the guest's root namespace
 * on a link of their own to the node (the node reaches its control plane over the network, as a real one),
 * renders the chart with helm and applies it with kubectl, starts the chart's agent as the kubelet would,
 * runs every scenario and writes the checks as JSON to --out. Everything is stopped and removed at the end,
 * whatever failed.
 *
 *   node dist/lab/cluster/guest-main.js --out $PACER_LAB_EXCHANGE/cluster.json [--seconds 5] [--outage 60]
 */
import { mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildNode, runTool } from "../node/index.js";
import { applyChart, renderPacerChart } from "./chart.js";
import { startControlPlane } from "./control-plane.js";
import { LabKubelet } from "./kubelet.js";
import { Kubectl } from "./kubectl.js";
import { CHECK_NAMES, restartAgent, stopAgent, type Check, type CheckName, type ClusterLab } from "./lab.js";
import { budgetStatusVisible, clusterWideShareVisible } from "./budget-scenarios.js";
import { annotateEnforced, deleteCleans, invalidEventVisible, liveEdit } from "./operator-scenarios.js";
import { rbacEachVerbNeeded, rbacSufficient } from "./rbac-scenarios.js";
import { apiserverOutageKeepsLimits, relistAfterCompaction } from "./resilience-scenarios.js";
import { clusterTools, clusterVersions } from "./tools.js";

const CONTROL_PLANE_IP = "198.19.0.1";
const NODE_SIDE_IP = "198.19.0.2";
const NODE_NAME = "pacer-lab-node";

const log = (line: string) => console.log(`[cluster ${new Date().toISOString().slice(11, 23)}] ${line}`);

/** The order matters: each scenario leaves netperf-server limited to 10M for the next; deletion comes last. */
const SCENARIOS: Array<[CheckName, (lab: ClusterLab) => Promise<Check>]> = [
  ["annotate-enforced", annotateEnforced],
  ["invalid-event-visible", invalidEventVisible],
  ["live-edit", liveEdit],
  ["budget-status-visible", budgetStatusVisible],
  ["cluster-wide-share-visible", clusterWideShareVisible],
  ["apiserver-outage-keeps-limits", apiserverOutageKeepsLimits],
  ["relist-after-compaction", relistAfterCompaction],
  ["rbac-sufficient", rbacSufficient],
  ["rbac-each-verb-needed", rbacEachVerbNeeded],
  ["delete-cleans", deleteCleans],
];

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: "string" }, seconds: { type: "string", default: "5" }, outage: { type: "string", default: "60" }, repo: { type: "string", default: process.cwd() } } });
  const tools = clusterTools();
  const versions = clusterVersions(tools);
  const prefix = `pk-${process.pid}`;
  // bash's process substitution and kubectl's plugins look for /dev/fd, which the guest's devtmpfs lacks.
  await symlink("/proc/self/fd", "/dev/fd").catch(() => undefined);
  const node = await buildNode({ prefix, stateDir: join(tmpdir(), `${prefix}-node`) });
  const checks: Check[] = [];
  const results = { ...versions, checks };
  const link = `${prefix.replaceAll("-", "")}cp`.slice(0, 15);
  let lab: ClusterLab | null = null;
  try {
    await runTool("ip", ["link", "add", link, "type", "veth", "peer", "cp0", "netns", node.netns]);
    await runTool("ip", ["addr", "add", `${CONTROL_PLANE_IP}/30`, "dev", link]);
    await runTool("ip", ["link", "set", link, "up"]);
    await runTool("ip", ["-n", node.netns, "addr", "add", `${NODE_SIDE_IP}/30`, "dev", "cp0"]);
    await runTool("ip", ["-n", node.netns, "link", "set", "cp0", "up"]);
    const plane = await startControlPlane({
      dir: await mkdtemp(join(tmpdir(), `${prefix}-cp-`)), bindAddress: CONTROL_PLANE_IP, serverIps: [CONTROL_PLANE_IP],
      watchCacheOffForPods: true, tools, log,
    });
    const kubectl = new Kubectl(plane.adminKubeconfig, tools.kubectl, (line) => log(line));
    const chart = renderPacerChart({ kubeVersion: versions.kubeApiserverVersion });
    log(`helm template | kubectl apply -f -:\n${await applyChart(kubectl, chart)}`);
    lab = {
      plane, kubectl, kubelet: new LabKubelet(kubectl, node, NODE_NAME, node.uplinkIp), node, chart, repoDir: values.repo ?? process.cwd(),
      nodeName: NODE_NAME, apiHost: CONTROL_PLANE_IP, seconds: Number(values.seconds), outageSeconds: Number(values.outage),
      agent: null, agentLogs: [], log,
    };
    await restartAgent(lab);
    log(`agent: ${(await lab.agent?.statusText()) ?? ""}`);
    for (const [name, scenario] of SCENARIOS) {
      log(`--- ${name}`);
      const check = await scenario(lab).catch((error: unknown): Check => ({ name, pass: false, detail: `failed: ${(error as Error).message}` }));
      log(`${check.pass ? "PASS" : "FAIL"} ${check.name}: ${check.detail}`);
      checks.push(check);
    }
  } finally {
    if (lab !== null) {
      await stopAgent(lab).catch(() => undefined);
      await lab.plane.stop().catch(() => undefined);
    }
    await node.destroy();
    await runTool("ip", ["link", "delete", link], { allowFailure: true });
    const ran = new Set(checks.map((check) => check.name));
    for (const name of CHECK_NAMES) if (!ran.has(name)) checks.push({ name, pass: false, detail: "not run: the set-up before it failed (see the output)" });
    if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(results, null, 2)}\n`);
  }
  return checks.every((check) => check.pass) ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
