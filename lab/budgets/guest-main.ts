/**
 * The ClusterWide budget's real run, guest side (root inside the test kernel): etcd and kube-apiserver, the
 * chart's CRDs and RBAC, N lab nodes each with its agent (cluster.ts), one ClusterWide budget, Pods sending
 * bulk TCP to their node's outside host; the total measured at the outside hosts every second.
 *
 *   node dist/lab/budgets/guest-main.js --out $PACER_LAB_EXCHANGE/budgets.json [--reduced]
 *
 * Phases: senders on nodes 0 and 1; the demand shift (node 0 stops, node 2 starts) → convergence seconds and
 * the largest 1-s total/budget after it. Full run only, the faults: the leader killed (another holds the
 * Lease within the lease time), the API server away 45 s (every node keeps its rate, nothing above the
 * budget when it returns), an agent killed (its node falls to its floor by itself after the 90 s hold and its
 * share returns to the others ≤ 105 s after its last report), a new node joining (its sender gets the
 * floor at once, the split settles).
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { applyChart, renderPacerChart } from "../cluster/chart.js";
import { startControlPlane } from "../cluster/control-plane.js";
import { Kubectl } from "../cluster/kubectl.js";
import { clusterTools, clusterVersions } from "../cluster/tools.js";
import { stopBackground, type LabPod } from "../node/index.js";
import { buildNodes, CONTROL_PLANE_IP, killNodeAgent, labNode, leaseHolder, outsideRxBytes, startNodeAgent, startSenderPod, startSending, stopSending, type BudgetCluster, type BudgetNode } from "./cluster.js";
import { ProtocolTrace } from "./protocol-trace.js";
import { closeConnection } from "../../src/kube/api/connection.js";
import { loadApiConnection } from "../../src/kube/api/load.js";
import { convergenceSeconds, idealShares, maxRatio, perSecond, round, type RxSample } from "./judge.js";

const BUDGET = 24_000_000;
const FLOOR = 240_000; // spec.minPerNode default: 1%
const LABELS = { app: "crawler" };

const log = (line: string) => console.log(`[budgets ${new Date().toISOString().slice(11, 23)}] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Fault {
  name: string;
  pass: boolean;
  detail: string;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: "string" }, reduced: { type: "boolean", default: false }, repo: { type: "string", default: process.cwd() } } });
  const reduced = values.reduced === true;
  const tools = clusterTools();
  const prefix = "pcb";
  const stateDir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const count = reduced ? 3 : 4;
  const built = await buildNodes({ prefix, count, stateDir, log });
  const faults: Fault[] = [];
  const result: Record<string, unknown> = { ...clusterVersions(tools), agents: 3, budgetBitsPerSec: BUDGET, faults };
  let cluster: BudgetCluster | null = null;
  const samples: RxSample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let health: NodeJS.Timeout | undefined;
  let trace: ProtocolTrace | null = null;
  try {
    const plane = await startControlPlane({ dir: await mkdtemp(join(tmpdir(), `${prefix}-cp-`)), bindAddress: CONTROL_PLANE_IP, serverIps: [CONTROL_PLANE_IP], tools, log });
    const kubectl = new Kubectl(plane.adminKubeconfig, tools.kubectl, log);
    const chart = renderPacerChart({ kubeVersion: clusterVersions(tools).kubeApiserverVersion });
    await applyChart(kubectl, chart);
    const nodes = built.nodes.map((node, index) => labNode({ kubectl }, node, index, stateDir));
    cluster = { nodes, plane, kubectl, admin: await loadApiConnection(plane.adminKubeconfig), chart, repoDir: values.repo ?? process.cwd(), log, destroy: async () => {} };
    const lab = cluster;
    await kubectl.apply(JSON.stringify({
      apiVersion: "pacer.dev/v1alpha1", kind: "BandwidthBudget", metadata: { name: "crawlers", namespace: "default" },
      spec: { podSelector: { matchLabels: LABELS }, egress: String(BUDGET), scope: "All", mode: "ClusterWide" },
    }));
    const pods = new Map<BudgetNode, LabPod>();
    for (const node of nodes.slice(0, 3)) {
      await startNodeAgent(lab, node);
      pods.set(node, await startSenderPod(lab, node, `crawler-${node.index}`, LABELS));
      log(`${node.name}: agent and Pod up`);
    }
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    // The guest's health every 5 s: a starved guest (one CPU under User-Mode Linux) delays every API call
    // and every sample, and its seconds are then the guest's, not the protocol's.
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    health = setInterval(() => {
      void Promise.all([readFile("/proc/loadavg", "utf8"), readFile("/proc/meminfo", "utf8")]).then(([load, meminfo]) => {
        const available = Number(/MemAvailable:\s+(\d+)/.exec(meminfo)?.[1] ?? "NaN") / 1024;
        log(`guest: load ${load.split(" ").slice(0, 3).join(" ")}, MemAvailable ${available.toFixed(0)} MiB, this process's event-loop delay max ${(lag.max / 1e6).toFixed(0)} ms`);
        lag.reset();
      }, () => undefined);
    }, 5000);
    // One read at a time, stamped when it was asked for and kept only when it answered within 50 ms: reads
    // that overlap and resolve out of order in a starved guest once paired old bytes with a late stamp
    // (a 95 Mbit/s "second" on a 24 Mbit/s budget, 2026-12-02 19:13).
    let reading = false;
    sampler = setInterval(() => {
      if (reading) return;
      reading = true;
      const askedAt = now();
      void Promise.all(nodes.map(outsideRxBytes)).then((bytes) => {
        if (now() - askedAt <= 50) samples.push({ atMs: askedAt, bytes });
      }, () => undefined).finally(() => (reading = false));
    }, 100);
    const send = (node: BudgetNode) => startSending(node, pods.get(node)!);
    const rates = (fromMs: number, toMs: number) => perSecond(samples, fromMs, toMs);
    const describe = (seconds: number[][]) => seconds.map((row) => row.map((rate) => (rate / 1e6).toFixed(1)).join("+")).join(" | ");
    trace = new ProtocolTrace(lab.admin, nodes.map((node) => ({ name: node.name, socket: join(node.workDir, "pacer.sock") })), now);
    const traced = async (label: string, ms: number) => {
      trace?.start(label);
      await sleep(ms);
      trace?.stop();
    };

    // warm-up: nodes 0 and 1 send
    send(nodes[0]!);
    send(nodes[1]!);
    await sleep(reduced ? 12_000 : 20_000);
    const warm = rates(now() - 8000, now());
    log(`warm-up, last 8 s (Mbit/s per node): ${describe(warm)}`);

    // the demand shift: node 0 stops, node 2 starts
    const shiftAt = now();
    await stopSending(nodes[0]!, pods.get(nodes[0]!)!.name);
    send(nodes[2]!);
    await traced("shift", 12_000);
    await sleep(reduced ? 3_000 : 13_000);
    const after = rates(shiftAt, now());
    const ideal = idealShares(BUDGET, nodes.map((_, index) => index === 1 || index === 2));
    const settled = convergenceSeconds(after, ideal, BUDGET);
    const afterConvergence = settled === null ? after : after.slice(settled);
    result.convergenceSeconds = settled;
    result.maxOneSecondRatio = round(maxRatio(afterConvergence, BUDGET));
    result.shift = { idealBitsPerSec: ideal, perSecondMbit: after.map((row) => row.map((rate) => round(rate / 1e6, 2))) };
    log(`shift: settled after ${settled} s; max 1-s total/budget after it ${result.maxOneSecondRatio}; ${describe(after)}`);

    if (!reduced) await runFaults(lab, nodes, pods, { now, rates, send, describe, traced, faults });
    // safety decides the exit code; the 5-s settling goal is reported (result.convergenceSeconds), met or not
    return settled !== null && (result.maxOneSecondRatio as number) <= 1.05 && faults.every((fault) => fault.pass) ? 0 : 1;
  } finally {
    clearInterval(sampler);
    clearInterval(health);
    trace?.stop();
    for (const line of trace?.lines ?? []) log(`trace ${line}`);
    result.perSecondTotalMbit = perSecond(samples, 0, samples.at(-1)?.atMs ?? 0).map((row) => round(row.reduce((sum, rate) => sum + rate, 0) / 1e6, 2));
    if (cluster !== null) {
      for (const node of cluster.nodes) {
        for (const child of node.senders.values()) await stopBackground(child, "SIGKILL").catch(() => undefined);
        await killNodeAgent(node).catch(() => undefined);
        await stopBackground(node.outsideHolder, "SIGKILL").catch(() => undefined);
        if (node.log.some((line) => /error|fail/i.test(line))) log(`${node.name} agent log (last lines):\n${node.log.slice(-15).join("\n")}`);
      }
      closeConnection(cluster.admin);
      await cluster.plane.stop().catch(() => undefined);
    }
    await built.destroy();
    if (values.out !== undefined) await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
  }
}

interface FaultContext {
  now(): number;
  rates(fromMs: number, toMs: number): number[][];
  send(node: BudgetNode): void;
  describe(seconds: number[][]): string;
  /** Traces the protocol (protocol-trace.ts) for `ms`, then returns. */
  traced(label: string, ms: number): Promise<void>;
  faults: Fault[];
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length);
const column = (seconds: number[][], node: number) => seconds.map((row) => row[node] ?? 0);

async function runFaults(lab: BudgetCluster, nodes: BudgetNode[], pods: Map<BudgetNode, LabPod>, context: FaultContext): Promise<void> {
  const { now, rates, send, describe, traced, faults } = context;
  const record = (fault: Fault) => (faults.push(fault), log(`${fault.pass ? "PASS" : "FAIL"} ${fault.name}: ${fault.detail}`));
  send(nodes[0]!); // three nodes send from here on
  await sleep(15_000);

  // the leader killed: another agent holds the Lease within the lease duration (+ the standby's retry)
  {
    const holder = await leaseHolder(lab);
    const leader = nodes.find((node) => node.name === holder);
    const killedAt = now();
    if (leader === undefined) record({ name: "leader-killed", pass: false, detail: `no Lease holder (${holder})` });
    else {
      await killNodeAgent(leader);
      let taken: string | null = holder;
      while (now() - killedAt < 40_000 && (taken === holder || taken === null)) (await sleep(250), (taken = await leaseHolder(lab)));
      const seconds = (now() - killedAt) / 1000;
      const during = rates(killedAt, now());
      await startNodeAgent(lab, leader);
      record({ name: "leader-killed", pass: taken !== holder && seconds <= 19 && maxRatio(during, BUDGET) <= 1.05, detail: `${holder} killed; ${taken} holds the Lease ${seconds.toFixed(1)} s later (lease 15 s + two 2-s retries); max 1-s total/budget meanwhile ${round(maxRatio(during, BUDGET))}` });
    }
    await sleep(10_000);
  }

  // the API server away for 45 s: every node keeps its rate; nothing above the budget when it returns
  {
    const before = rates(now() - 6000, now());
    const stoppedAt = now();
    await lab.plane.stopApiserver();
    await sleep(45_000);
    const during = rates(stoppedAt, now());
    const startedAt = now();
    await lab.plane.startApiserver();
    await sleep(20_000);
    const afterwards = rates(startedAt, now());
    const kept = [0, 1, 2].every((node) => Math.abs(mean(column(during, node)) - mean(column(before, node))) <= 0.15 * mean(column(before, node)) && Math.min(...column(during, node)) > FLOOR);
    const ratio = maxRatio([...during, ...afterwards], BUDGET);
    record({ name: "api-server-away", pass: kept && ratio <= 1.05, detail: `per node before ${[0, 1, 2].map((node) => (mean(column(before, node)) / 1e6).toFixed(2)).join("/")} Mbit/s, during the 45-s outage ${[0, 1, 2].map((node) => (mean(column(during, node)) / 1e6).toFixed(2)).join("/")}; max 1-s total/budget during and 20 s after ${round(ratio)}` });
  }

  // an agent dies: its kernel falls to the floor by itself (hold 90 s), its share returns to the others (≤ 105 s after its last report)
  {
    const holder = await leaseHolder(lab);
    const victim = nodes.slice(0, 3).find((node) => node.name !== holder)!;
    const index = victim.index;
    const killedAt = now();
    await killNodeAgent(victim);
    let fellAt: number | null = null;
    let returnedAt: number | null = null;
    while (now() - killedAt < 150_000 && (fellAt === null || returnedAt === null)) {
      await sleep(1000);
      const last = rates(now() - 3000, now());
      if (fellAt === null && last.length > 0 && Math.max(...column(last, index)) <= FLOOR * 1.5) fellAt = now();
      const others = last.map((row) => row.reduce((sum, rate, node) => (node === index || node > 2 ? sum : sum + rate), 0));
      if (returnedAt === null && others.length > 0 && Math.min(...others) >= 0.85 * BUDGET) returnedAt = now();
    }
    const during = rates(killedAt, now());
    const fell = fellAt === null ? null : (fellAt - killedAt) / 1000;
    const returned = returnedAt === null ? null : (returnedAt - killedAt) / 1000;
    // The agent comes back: its kernel fell back to the floor meanwhile, and the others hold the budget; the
    // new agent must start from the floor, not from the share its kernel fell back from.
    await startNodeAgent(lab, victim);
    const restartedAt = now();
    await traced("restart", 12_000);
    const restart = rates(restartedAt, now());
    record({
      name: "agent-dies", pass: fell !== null && fell <= 95 && returned !== null && returned <= 140 && maxRatio(during, BUDGET) <= 1.05 && maxRatio(restart, BUDGET) <= 1.05,
      detail: `${victim.name}'s agent killed, its Pod still sending: its rate at the outside host ≤ 1.5× floor ${fell?.toFixed(0) ?? "never"} s later (hold 90 s); the other two nodes ≥ 85% of the budget ${returned?.toFixed(0) ?? "never"} s later (expiry 105 s after the last report, which is ≤ 30 s older than the kill); max 1-s total/budget meanwhile ${round(maxRatio(during, BUDGET))}, and in the 12 s after the agent restarted ${round(maxRatio(restart, BUDGET))} (${describe(restart)})`,
    });
  }

  // a new node joins with a sender: it gets the floor at once, the split settles among four
  {
    const joining = nodes[3]!;
    await startNodeAgent(lab, joining);
    pods.set(joining, await startSenderPod(lab, joining, `crawler-${joining.index}`, LABELS));
    const joinedAt = now();
    send(joining);
    await sleep(25_000);
    const after = rates(joinedAt, now());
    const first = after[1]?.[3] ?? 0;
    const settled = convergenceSeconds(after, idealShares(BUDGET, [true, true, true, true]), BUDGET);
    const ratio = maxRatio(after, BUDGET);
    record({ name: "new-node-joins", pass: first >= FLOOR * 0.5 && settled !== null && ratio <= 1.05, detail: `${joining.name} joins sending: ${(first / 1e6).toFixed(2)} Mbit/s in its second second (floor ${FLOOR / 1e6}), settled among four after ${settled ?? "never"} s; max 1-s total/budget ${round(ratio)}; ${describe(after.slice(-5))}` });
  }
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
