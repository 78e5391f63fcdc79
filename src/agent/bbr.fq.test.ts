/**
 * `bbr: true` for real: the agent (startAgent, config.bbr) over the in-memory datapath with a test-double
 * Pod source and resolver pointing at two real network namespaces. The limited Pod's namespace gets
 * net.ipv4.tcp_congestion_control=bbr; the unlimited one keeps the kernel's default. Also: the write works
 * through another procfs mount (PACER_PROC_ROOT, the chart's /host/proc) as it lands in the Pod's namespace.
 *
 * Needs a kernel with tcp_bbr and root: it runs inside the test kernel (test/in-test-kernel.test.ts sets
 * PACER_TEST_KERNEL); on the host it steps aside, even under CI=true, like the other *.fq.test.ts files.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../config/config.js";
import { FakeDatapath, FakeKernel } from "../datapath/testing/fake.js";
import type { PodAttachment } from "../datapath/datapath.js";
import { podKeyOf, type PodEvent, type PodInfo } from "../kube/pod.js";
import { makePod } from "../bandwidth/testing/fakes.js";
import { commandMissing, requirePrerequisites, rootMissing } from "../testing/prerequisites.js";
import { startAgent } from "./agent.js";
import { congestionControlOf, setCongestionControl } from "./bbr.js";

const skip = process.env.PACER_TEST_KERNEL
  ? requirePrerequisites([rootMissing(), commandMissing("ip", "iproute2"), commandMissing("nsenter", "util-linux")])
  : "needs a kernel with tcp_bbr: runs inside the test kernel (test/in-test-kernel.test.ts)";

const names = ["limited", "open", "procroot"].map((role) => `pq-bbr-${process.pid}-${role}`);
const netnsPath = (name: string) => `/run/netns/${name}`;

describe("BBR per limited Pod (test kernel)", { skip }, () => {
  let workDir: string;
  const created: string[] = [];
  before(() => {
    workDir = mkdtempSync(join(tmpdir(), `pq-bbr-${process.pid}-`));
    for (const name of names) {
      execFileSync("ip", ["netns", "add", name]);
      created.push(name);
    }
  });
  after(() => {
    for (const name of created) execFileSync("ip", ["netns", "del", name]);
    rmSync(workDir, { recursive: true, force: true });
  });

  it("the limited Pod's namespace gets bbr, the unlimited one keeps the default", async () => {
    const agentNamespaceBefore = readFileSync("/proc/sys/net/ipv4/tcp_congestion_control", "utf8").trim();
    let kernelDefault = await congestionControlOf(netnsPath(names[1]!)); // what a new namespace gets
    if (kernelDefault === "bbr") {
      // A kernel whose default already is bbr cannot show the difference: start both Pods from reno (built in).
      for (const name of names.slice(0, 2)) await setCongestionControl(netnsPath(name), "reno");
      kernelDefault = "reno";
    }
    const limited = makePod("limited", { "kubernetes.io/egress-bandwidth": "10M" });
    const open = makePod("open");
    const namespaceOf = new Map([[podKeyOf(limited), netnsPath(names[0]!)], [podKeyOf(open), netnsPath(names[1]!)]]);
    const logLines: string[] = [];
    const agent = await startAgent(
      { ...loadConfig({ args: [], env: {} }), bbr: true, nodeName: "node-a", socketPath: join(workDir, "pacer.sock"), stateDir: join(workDir, "state"), metricsAddress: "" },
      {
        // Test doubles: the Pod source (no API server here) and the resolver (no CNI; real namespaces).
        podSource: staticPods([limited, open]),
        events: { emit() {} },
        datapath: new FakeDatapath(new FakeKernel()),
        probe: async () => ({ edt: { available: true, reason: null } }),
        resolver: {
          resolve: async (pod: PodInfo): Promise<PodAttachment | null> => {
            const path = namespaceOf.get(podKeyOf(pod));
            return path ? { podKey: podKeyOf(pod), netnsPath: path, podInterface: "eth0", hostInterface: "veth-x" } : null;
          },
        },
        devices: async () => ["eth0"],
        log: (line) => logLines.push(line),
      },
    );
    try {
      await agent.idle();
      assert.equal(agent.status().bandwidthManager.congestionControl, "BBR");
      assert.equal(await congestionControlOf(netnsPath(names[0]!)), "bbr", logLines.join("\n"));
      assert.equal(await congestionControlOf(netnsPath(names[1]!)), kernelDefault);
      assert.equal(readFileSync("/proc/sys/net/ipv4/tcp_congestion_control", "utf8").trim(), agentNamespaceBefore, "the agent's own namespace is untouched");
    } finally {
      await agent.stop();
    }
  });

  it("writes through another procfs mount (PACER_PROC_ROOT) into the Pod's namespace", async () => {
    const procRoot = join(workDir, "host-proc");
    execFileSync("mkdir", ["-p", procRoot]);
    execFileSync("mount", ["-t", "proc", "proc", procRoot]);
    try {
      const agentNamespaceBefore = readFileSync(`${procRoot}/sys/net/ipv4/tcp_congestion_control`, "utf8").trim();
      await setCongestionControl(netnsPath(names[2]!), "reno", procRoot);
      assert.equal(await congestionControlOf(netnsPath(names[2]!), "/proc"), "reno");
      await setCongestionControl(netnsPath(names[2]!), "bbr", procRoot);
      assert.equal(await congestionControlOf(netnsPath(names[2]!), "/proc"), "bbr");
      const agentNamespaceAfter = readFileSync(`${procRoot}/sys/net/ipv4/tcp_congestion_control`, "utf8").trim();
      assert.equal(agentNamespaceAfter, agentNamespaceBefore, "the write landed in the Pod's namespace, not the agent's");
      await assert.rejects(setCongestionControl(netnsPath(names[2]!), "bbr", join(workDir, "no-proc")), /write bbr to .*no-proc.* in \/run\/netns\//);
    } finally {
      execFileSync("umount", [procRoot]);
    }
  });
});

/** Test double: a Pod source with a fixed set of Pods. */
function staticPods(pods: PodInfo[]) {
  return {
    async start(onEvent: (event: PodEvent) => void) {
      onEvent({ type: "sync", pods });
    },
    async stop() {},
  };
}
