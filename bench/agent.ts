/**
 * The 1,000-Pod agent benchmark (`npm run bench:agent`): the agent's composition root (startAgent) with the
 * REAL informer Pod source and REAL Kubernetes EventSink, talking HTTP to the Kubernetes API-server TEST
 * DOUBLE running in a CHILD process (so the RSS measured here is the agent's, not the double's), and the
 * in-memory fake datapath (src/datapath/fake.ts) standing in for the kernel. Measures:
 * - full resync: from startAgent() to all 1,000 egress limits in the datapath (target ≤ 2 s);
 * - annotation edit → datapath updated, sequential edits, p50/p99 (target p99 ≤ 500 ms); each sample runs
 *   from the edit request to the double (IPC included) to the fake datapath's ensureLimit with the new rate;
 * - the agent process's RSS (target ≤ 80 MB).
 * Writes bench/results/agent.json and bench/results/agent.md; exits 1 when a target is missed.
 *
 *   node dist/bench/agent.js [--pods 1000] [--edits 200]
 *
 * The agent ships with V8 flags on bin/pacer.js's shebang (bench/node-flags.ts); when this process was
 * not started with them, it runs itself again with them, so the RSS measured is the shipped agent's.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { startAgent, type RunningAgent } from "../src/agent/agent.js";
import { shippedNodeFlags } from "./node-flags.js";
import { FakeResolver } from "../src/bandwidth/testing/fakes.js";
import { loadConfig } from "../src/config/config.js";
import type { EnsureResult, LimitSpec } from "../src/datapath/datapath.js";
import { FakeDatapath, FakeKernel } from "../src/datapath/testing/fake.js";
import { forkApiServerDouble, type ApiServerDoubleChild } from "../lab/apiserver-double/child.js";
import type { PodObject } from "../lab/apiserver-double/pod-store.js";

const argument = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const podCount = argument("pods", 1000);
const editCount = argument("edits", 200);
const otherNodePods = 200;
const nodeName = "pk-bench-node";
const namespace = "bench";
const egress = "kubernetes.io/egress-bandwidth";
const targets = { resyncMilliseconds: 2000, editP99Milliseconds: 500, rssMegabytes: 80 };

/** The fake datapath, telling the benchmark when a Pod's limit reaches a given rate. */
class ObservedFakeDatapath extends FakeDatapath {
  private readonly waiters = new Map<string, { bitsPerSecond: number; resolve(): void }>();
  onEnsure: (spec: LimitSpec) => void = () => {};

  override async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
    const result = await super.ensureLimit(spec);
    this.onEnsure(spec);
    const waiter = this.waiters.get(`${spec.attachment.podKey} ${spec.direction}`);
    if (waiter && waiter.bitsPerSecond === spec.bitsPerSecond) {
      this.waiters.delete(`${spec.attachment.podKey} ${spec.direction}`);
      waiter.resolve();
    }
    return result;
  }

  until(podKey: string, bitsPerSecond: number, timeoutMilliseconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no update of ${podKey} to ${bitsPerSecond} within ${timeoutMilliseconds} ms`)), timeoutMilliseconds);
      this.waiters.set(`${podKey} egress`, { bitsPerSecond, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }
}

const benchPod = (index: number, node: string, megabits: number): PodObject => ({
  metadata: { namespace, name: `pod-${node === nodeName ? "" : "other-"}${index}`, annotations: { [egress]: `${megabits}M` } },
  spec: { nodeName: node },
  status: { podIP: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, podIPs: [] },
});

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const megabytes = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const round = (value: number): number => Math.round(value * 10) / 10;

/** A full GC without --expose-gc (for the live-heap figure only; the peak RSS is read before it). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/**
 * RSS of a fresh Node process after importing `modules` and a full GC: where the agent's memory goes
 * (bare runtime, the agent's own modules, @kubernetes/client-node).
 */
function importCostMegabytes(modules: string[]): number {
  const imports = modules.map((module) => `await import(${JSON.stringify(module)});`).join(" ");
  const output = execFileSync(
    process.execPath,
    [...process.execArgv, "--expose-gc", "--input-type=module", "-e", `${imports} gc(); console.log(process.memoryUsage().rss);`],
    { encoding: "utf8" },
  );
  return megabytes(Number(output.trim()));
}

async function main(): Promise<number> {
  const rssBeforeAgent = process.memoryUsage().rss;
  const apiserver: ApiServerDoubleChild = await forkApiServerDouble();
  const workDir = await mkdtemp(join(tmpdir(), `pk-bench-agent-${process.pid}-`));
  let agent: RunningAgent | null = null;
  try {
    const pods = Array.from({ length: podCount }, (_, i) => benchPod(i, nodeName, (i % 100) + 1));
    const others = Array.from({ length: otherNodePods }, (_, i) => benchPod(i, "pk-bench-other-node", 1));
    await apiserver.upsertMany([...pods, ...others]);

    const kernel = new FakeKernel();
    const datapath = new ObservedFakeDatapath(kernel);
    const uidByName = new Map<string, string>();
    let appliedEgress = 0;
    let allApplied: () => void = () => {};
    const allAppliedPromise = new Promise<void>((resolve) => (allApplied = resolve));
    datapath.onEnsure = (spec) => {
      const [, name = "", uid = ""] = spec.attachment.podKey.split("/");
      if (spec.direction === "egress" && !uidByName.has(name)) {
        uidByName.set(name, uid);
        appliedEgress += 1;
        if (appliedEgress === podCount) allApplied();
      }
    };
    const config = {
      ...loadConfig({ args: [], env: {} }),
      kubeconfig: apiserver.kubeconfig,
      nodeName,
      socketPath: join(workDir, "pacer.sock"),
      stateDir: join(workDir, "state"),
      metricsAddress: "127.0.0.1:0",
    };
    const logLines: string[] = [];

    const started = performance.now();
    agent = await startAgent(config, {
      datapath,
      probe: async () => ({ edt: { available: true, reason: null } }),
      resolver: new FakeResolver(),
      devices: async () => ["eth0"],
      log: (line) => logLines.push(line),
    });
    const startAgentReturned = performance.now() - started;
    await Promise.race([allAppliedPromise, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${appliedEgress}/${podCount} limits after 30 s`)), 30_000))]);
    const resyncMilliseconds = performance.now() - started;
    const otherNodeLimits = [...kernel.entries.values()].filter((entry) => entry.spec.attachment.podKey.includes("/pod-other-")).length;
    const rssAfterResync = process.memoryUsage().rss;

    const latencies: number[] = [];
    let peakRss = rssAfterResync;
    for (let edit = 0; edit < editCount; edit += 1) {
      const index = (edit * 7919) % podCount;
      const name = `pod-${index}`;
      const megabits = 101 + edit; // never a value this Pod had before
      const podKey = `${namespace}/${name}/${uidByName.get(name) ?? ""}`;
      const editStarted = performance.now();
      const applied = datapath.until(podKey, megabits * 1_000_000, 10_000);
      await apiserver.setAnnotations(namespace, name, { [egress]: `${megabits}M` });
      await applied;
      latencies.push(performance.now() - editStarted);
      if (edit % 20 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    await agent.idle();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const sorted = [...latencies].sort((a, b) => a - b);
    const counts = await apiserver.counts();
    collectGarbage();
    const afterGc = process.memoryUsage();
    const agentModule = new URL("../src/agent/agent.js", import.meta.url).href;
    const informerModule = new URL("../src/kube/informer.js", import.meta.url).href;
    const eventsModule = new URL("../src/kube/kubernetes-events.js", import.meta.url).href;
    const importCost = {
      bareNode: importCostMegabytes([]),
      agentModulesWithoutClientNode: importCostMegabytes([agentModule, "prom-client", "yaml"]),
      clientNodeWatchAlone: importCostMegabytes(["@kubernetes/client-node/dist/watch.js"]),
      clientNodeIndexAlone: importCostMegabytes(["@kubernetes/client-node"]),
      agentModulesAsShipped: importCostMegabytes([agentModule, informerModule, eventsModule]),
    };

    const results = {
      benchmark: "agent",
      date: new Date().toISOString(),
      node: process.version,
      setup: {
        pods: podCount,
        otherNodePods,
        edits: editCount,
        agent: "startAgent() composition root (src/agent/agent.ts)",
        podSource: "real informer (src/kube/informer.ts, client-node 1.3.0) over HTTP",
        events: "real Kubernetes EventSink (src/kube/kubernetes-events.ts)",
        apiServer: `Kubernetes API-server TEST DOUBLE in a child process (pid ${apiserver.pid}), not a real API server`,
        datapath: "in-memory fake (src/datapath/fake.ts)",
        resolver: "test double (src/bandwidth/testing.ts FakeResolver)",
      },
      fullResync: {
        milliseconds: round(resyncMilliseconds),
        startAgentReturnedMilliseconds: round(startAgentReturned),
        limitsApplied: appliedEgress,
        otherNodeLimits,
        target: targets.resyncMilliseconds,
      },
      annotationEdit: {
        samples: latencies.length,
        p50Milliseconds: round(percentile(sorted, 50)),
        p90Milliseconds: round(percentile(sorted, 90)),
        p99Milliseconds: round(percentile(sorted, 99)),
        maxMilliseconds: round(sorted[sorted.length - 1] ?? Number.NaN),
        target: targets.editP99Milliseconds,
      },
      memory: {
        rssMegabytesBeforeAgent: megabytes(rssBeforeAgent),
        rssMegabytesAfterResync: megabytes(rssAfterResync),
        rssMegabytesPeak: megabytes(peakRss),
        rssMegabytesAfterFullGc: megabytes(afterGc.rss),
        heapUsedMegabytesAfterFullGc: megabytes(afterGc.heapUsed),
        heapTotalMegabytesAfterFullGc: megabytes(afterGc.heapTotal),
        externalMegabytesAfterFullGc: megabytes(afterGc.external),
        nodeOptions: [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ").trim(),
        importCostRssMegabytes: importCost,
        measuredProcess: "the agent (the API-server test double runs in a child process)",
        target: targets.rssMegabytes,
      },
      apiServerDouble: counts,
      met: {
        fullResync: resyncMilliseconds <= targets.resyncMilliseconds && appliedEgress === podCount && otherNodeLimits === 0,
        annotationEditP99: percentile(sorted, 99) <= targets.editP99Milliseconds,
        rss: megabytes(peakRss) <= targets.rssMegabytes,
      },
    };
    await writeResults(results);
    console.log(renderMarkdown(results));
    return Object.values(results.met).every(Boolean) ? 0 : 1;
  } finally {
    await agent?.stop();
    await apiserver.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

type Results = {
  date: string;
  node: string;
  setup: Record<string, string | number>;
  fullResync: { milliseconds: number; startAgentReturnedMilliseconds: number; limitsApplied: number; otherNodeLimits: number; target: number };
  annotationEdit: { samples: number; p50Milliseconds: number; p90Milliseconds: number; p99Milliseconds: number; maxMilliseconds: number; target: number };
  memory: {
    rssMegabytesBeforeAgent: number;
    rssMegabytesAfterResync: number;
    rssMegabytesPeak: number;
    rssMegabytesAfterFullGc: number;
    heapUsedMegabytesAfterFullGc: number;
    nodeOptions: string;
    importCostRssMegabytes: {
      bareNode: number;
      agentModulesWithoutClientNode: number;
      clientNodeWatchAlone: number;
      clientNodeIndexAlone: number;
      agentModulesAsShipped: number;
    };
    target: number;
  };
  apiServerDouble: Record<string, number>;
  met: Record<string, boolean>;
};

function renderMarkdown(results: Results): string {
  const verdict = (met: boolean | undefined) => (met ? "met" : "MISSED");
  const { fullResync: resync, annotationEdit: edit, memory } = results;
  return [
    `# Agent benchmark: ${results.setup.pods} Pods on one node`,
    "",
    `${results.date}, Node ${results.node}. ${results.setup.agent}; Pods from the ${results.setup.podSource}; Events through the ${results.setup.events};`,
    `API server: ${results.setup.apiServer}; datapath: ${results.setup.datapath}; netns resolver: ${results.setup.resolver}.`,
    `${results.setup.otherNodePods} Pods on another node are in the double too (the field selector must keep them out).`,
    "",
    "| measure | result | target | verdict |",
    "|---|---|---|---|",
    `| full resync: startAgent() → all ${resync.limitsApplied} limits in the datapath | ${resync.milliseconds} ms (startAgent returned at ${resync.startAgentReturnedMilliseconds} ms) | ≤ ${resync.target} ms | ${verdict(results.met.fullResync)} |`,
    `| other nodes' Pods limited | ${resync.otherNodeLimits} | 0 | ${verdict(resync.otherNodeLimits === 0)} |`,
    `| annotation edit → datapath updated, p50 (${edit.samples} sequential edits) | ${edit.p50Milliseconds} ms | | |`,
    `| annotation edit → datapath updated, p90 | ${edit.p90Milliseconds} ms | | |`,
    `| annotation edit → datapath updated, p99 | ${edit.p99Milliseconds} ms (max ${edit.maxMilliseconds} ms) | ≤ ${edit.target} ms | ${verdict(results.met.annotationEditP99)} |`,
    `| agent RSS, peak (after resync: ${memory.rssMegabytesAfterResync} MB; bare Node before the agent: ${memory.rssMegabytesBeforeAgent} MB) | ${memory.rssMegabytesPeak} MB | ≤ ${memory.target} MB | ${verdict(results.met.rss)} |`,
    `| agent RSS after a full GC (live heap ${memory.heapUsedMegabytesAfterFullGc} MB) | ${memory.rssMegabytesAfterFullGc} MB | | |`,
    "",
    `Node options: \`${memory.nodeOptions || "(none)"}\`. Where the memory goes — RSS of a fresh Node process after importing, then a full GC:`,
    `bare Node ${memory.importCostRssMegabytes.bareNode} MB; the agent's modules without @kubernetes/client-node ${memory.importCostRssMegabytes.agentModulesWithoutClientNode} MB;`,
    `client-node's Watch alone (dist/watch.js, what the agent uses) ${memory.importCostRssMegabytes.clientNodeWatchAlone} MB; the agent's modules as shipped (with the informer and Event sink) ${memory.importCostRssMegabytes.agentModulesAsShipped} MB;`,
    `for comparison, client-node's index (its config module loads the whole generated API) ${memory.importCostRssMegabytes.clientNodeIndexAlone} MB.`,
    "",
    `API-server test double served ${results.apiServerDouble.lists} list(s), ${results.apiServerDouble.watches} watch(es), ${results.apiServerDouble.eventWrites} Event write(s).`,
    "",
    "## The client library",
    "",
    `The agent uses client-node's Watch (dist/watch.js) and a port of its ListWatch (src/kube/list-watch.ts), not its index:`,
    `importing the index alone holds ${memory.importCostRssMegabytes.clientNodeIndexAlone} MB RSS after a full GC under the shipped flags (its config module`,
    `loads the whole generated API), which by itself is above the ${memory.target} MB target. client-node's full KubeConfig is loaded lazily`,
    "only for kubeconfig auth the light connection (src/kube/api/) can't do (exec plugins, auth providers, proxies).",
    `The agent's state for ${results.setup.pods} Pods adds ${round(memory.rssMegabytesPeak - memory.importCostRssMegabytes.agentModulesAsShipped)} MB on top of its modules.`,
    "",
    "## What changed (2026-11, issue 4) and what was measured",
    "",
    "- RSS grew with edits (135 MB after resync → ~200 MB after 200 edits) while the live heap stayed ~36 MB: every",
    "  pass called listLimits() and rebuilt all 1,000 rows, so each edit allocated ~1,000 short-lived objects that",
    "  survived scavenges across the pass's awaits and were promoted; V8 kept the grown old space (70 MB for 23 MB",
    "  live). Fix (ours): an edit's pass touches only the changed Pods (src/bandwidth/reconciler.ts); after it the",
    "  peak equals the after-resync figure (no growth over 200 edits).",
    "- V8's young generation grew to 16 MB per semi-space (32 MB resident) while client-node loads. The agent now",
    "  ships with `--max-semi-space-size=1` on bin/pacer.js's shebang: −33 MB (142 → 106-111 MB), resync and edit",
    "  latency unchanged. Measured and NOT applied: `--max-old-space-size=64/96` (−1 to −3 MB, risks an OOM crash",
    "  as Pods grow), `MALLOC_ARENA_MAX=2` (−6 MB, an environment variable), `--jitless` (−16 MB, but disables",
    "  WebAssembly, which Node's fetch/undici needs), `--optimize-for-size` (−3 MB).",
    "",
  ].join("\n");
}

async function writeResults(results: Results): Promise<void> {
  const directory = new URL("../../bench/results/", import.meta.url).pathname;
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, "agent.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(directory, "agent.md"), renderMarkdown(results));
}

/** Runs this benchmark again under the agent's shipped Node flags; null when already running under them. */
function underShippedFlags(): number | null {
  const missing = shippedNodeFlags().filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0) return null;
  const child = spawnSync(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], { stdio: "inherit" });
  return child.status ?? 1;
}

const rerun = underShippedFlags();
if (rerun !== null) process.exit(rerun);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench agent: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
