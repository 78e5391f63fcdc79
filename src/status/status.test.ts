/** Status API over a real Unix socket; status line and list table; default-route devices. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PodStatusRow } from "../bandwidth/status-row.js";
import { formatBudgetsTable, formatRangesTable } from "./tables.js";
import { bandwidthManagerLine, clusterBudgetLines, formatLimitsTable, kubernetesApiLines, type StatusReport } from "./api.js";
import { fetchLimits, fetchStatus } from "./client.js";
import { defaultRouteDevicesFrom } from "./devices.js";
import { startStatusServer } from "./server.js";

const row: PodStatusRow = {
  podKey: "lab/web/u1", namespace: "lab", name: "web", direction: "egress", requested: "10M", externalRequested: null, enforcedBitsPerSecond: 10_000_000, enforcedExternalBitsPerSecond: null, budgets: [],
  identity: 724, state: "enforced", reason: null, since: "2026-01-01T00:00:00.000Z",
  counters: { packets: 5, bytes: 7000, delayedPackets: 2, horizonDrops: 0, ecnMarks: 0, bypassedPackets: 0 },
};
const status: StatusReport = {
  bandwidthManager: { enabled: false, reason: "fq qdisc missing", congestionControl: "CUBIC", devices: ["eth0"], line: "BandwidthManager: Disabled (fq qdisc missing)" },
  nodeName: "node-a", podSource: "pods-dir:/x", datapath: null, ready: true, startedAt: "2026-01-01T00:00:00.000Z", rows: { enforced: 1 },
  budgets: 1, invalidBudgets: 0, internalRanges: 2,
  kubernetesApi: [],
};

describe("status line and list table", () => {
  it("prints the seed's status lines", () => {
    assert.equal(bandwidthManagerLine({ enabled: true, reason: null, bbr: false, devices: ["eth0"] }), "BandwidthManager: EDT with BPF [CUBIC] [eth0]");
    assert.equal(bandwidthManagerLine({ enabled: true, reason: null, bbr: true, devices: ["eth0", "eth1"] }), "BandwidthManager: EDT with BPF [BBR] [eth0,eth1]");
    assert.equal(bandwidthManagerLine({ enabled: false, reason: "disabled by configuration", bbr: false, devices: [] }), "BandwidthManager: Disabled (disabled by configuration)");
  });
  it("lists like `cilium bpf bandwidth list`, plus Pod, state and counters", () => {
    const lines = formatLimitsTable([row, { ...row, direction: "ingress", identity: null, enforcedBitsPerSecond: null, state: "notEnforced", reason: "fq missing", counters: null }]).split("\n");
    assert.match(lines[0] ?? "", /^IDENTITY\s+DIRECTION\s+PRIO\s+BANDWIDTH \(BitsPerSec\)\s+POD\s+STATE\s+PACKETS\s+BYTES\s+DELAYED\s+DROPS\s+OUTSIDE CLUSTER\s+BUDGETS\s+REASON/);
    assert.match(lines[1] ?? "", /^724\s+Egress\s+0\s+10M\s+lab\/web\s+enforced\s+5\s+7000\s+2\s+0\s+-\s+-$/);
    assert.match(lines[2] ?? "", /^-\s+Ingress\s+0\s+10M\s+lab\/web\s+notEnforced.*fq missing$/);
    const shared = formatLimitsTable([{ ...row, enforcedBitsPerSecond: null, requested: null, enforcedExternalBitsPerSecond: 5_000_000, externalRequested: "5M", budgets: ["lab/crawler"] }]);
    assert.match(shared.split("\n")[1] ?? "", /^724\s+Egress\s+0\s+-\s+lab\/web\s+enforced\s+5\s+7000\s+2\s+0\s+5M\s+lab\/crawler$/);
  });

  it("lists budgets with this node's share and members, invalid ones with why; ranges with their sources", () => {
    const budgets = formatBudgetsTable({
      budgets: [{
        key: "lab/crawler/u9", namespace: "lab", name: "crawler", direction: "egress", scope: "outside-cluster", mode: "PerNode",
        budgetBitsPerSecond: 10_000_000, shareBitsPerSecond: 10_000_000, members: ["lab/a/u1", "lab/b/u2"], state: "enforced", reason: null,
        counters: { packets: 9, bytes: 9000, delayedPackets: 4, horizonDrops: 0 },
      }],
      problems: [{ namespace: "lab", name: "bad", problems: ['spec.egress "10Q" is invalid'], keptLastGood: true }],
    }).split("\n");
    assert.match(budgets[0] ?? "", /^BUDGET\s+DIRECTION\s+SCOPE\s+MODE\s+BUDGET \(BitsPerSec\)\s+THIS NODE\s+PODS/);
    assert.match(budgets[1] ?? "", /^lab\/crawler\s+egress\s+OutsideCluster\s+PerNode\s+10M\s+10M\s+lab\/a,lab\/b\s+enforced\s+9\s+9000\s+4$/);
    assert.equal(budgets[2], 'invalid: lab/bad: spec.egress "10Q" is invalid (its last valid version stays in force)');
    const ranges = formatRangesTable({ ranges: [{ prefix: "10.42.0.0/16", sources: ["configured (--internal-cidrs)", "node podCIDR"] }], error: null });
    assert.match(ranges, /^INSIDE THE CLUSTER\s+FROM\n10\.42\.0\.0\/16\s+configured \(--internal-cidrs\), node podCIDR$/);
    assert.match(formatRangesTable({ ranges: [], error: "set: EPERM" }), /every destination counts as outside\nerror: set: EPERM$/);
  });
});

describe("Kubernetes API problems in pacer status", () => {
  it("one line per failing request kind, with the status, what the server said and what to do; none when all is well", () => {
    assert.deepEqual(kubernetesApiLines(status.kubernetesApi), []);
    const [line, ...others] = kubernetesApiLines([{
      verb: "watch", resource: "pods", statusCode: 403, message: "HTTP 403: Forbidden", action: 'grant verb "watch" on resource "pods"', since: "2026-01-01T00:00:00.000Z",
    }]);
    assert.equal(others.length, 0);
    assert.equal(line, 'Kubernetes API: watch pods failing since 2026-01-01T00:00:00.000Z (HTTP 403: HTTP 403: Forbidden): grant verb "watch" on resource "pods"');
    assert.match(kubernetesApiLines([{ verb: "list", resource: "pods", statusCode: null, message: "ECONNREFUSED", action: "retrying", since: "t" }])[0] ?? "", /\(no answer: ECONNREFUSED\)/);
  });
});

describe("ClusterWide budget lines in pacer status", () => {
  it("a share says when it falls back; the floor, which never expires, says it waits for the allocator", () => {
    const lines = clusterBudgetLines({
      allocator: "candidate", reportsWritten: 3, reportsFailed: 0,
      shares: [
        { key: "ns/app/u1/Egress", bitsPerSecond: 8e6, fallbackBitsPerSecond: 3e5, expiresInMs: 61_400 },
        { key: "ns/app/u1/Ingress", bitsPerSecond: 3e5, fallbackBitsPerSecond: 3e5, expiresInMs: null },
      ],
    });
    assert.equal(lines[0], "ClusterWide budgets: allocator candidate; reports written 3, failed 0");
    assert.match(lines[1]!, /share 8M on this node, falls back to 300k in 61 s unless renewed/);
    assert.match(lines[2]!, /the floor 300k on this node until the allocator answers its report/);
    assert.doesNotMatch(lines.join("\n"), /NaN|Infinity/);
  });
});

describe("default-route devices", () => {
  it("reads dev and multipath nexthops of the main table's default routes, skips other routes", () => {
    const link = (ifindex: number, name: string) => ({ ifindex, name, up: true, mtu: 1500, gsoMaxSize: 65536, link: null, linkNetnsid: null, kind: "" });
    const links = [link(2, "eth0"), link(3, "eth1"), link(9, "eth9")];
    const route = (dstLength: number, oif: number | null, nexthopOifs: number[] = [], table = 254) => ({ family: 4 as const, dstLength, table, oif, nexthopOifs });
    const routes = [route(0, 2), route(8, 9), route(0, null, [3, 2]), route(0, 9, [], 255)];
    assert.deepEqual(defaultRouteDevicesFrom(routes, links), ["eth0", "eth1"]);
    assert.deepEqual(defaultRouteDevicesFrom([], links), []);
  });
});

describe("status API over a Unix socket", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `pa-status-${process.pid}-`));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("serves status and limits with mode 0600, in a directory it creates", async () => {
    const socketPath = join(dir, "new-dir", "pacer.sock");
    const server = await startStatusServer({ socketPath, status: () => status, limits: () => ({ rows: [row] }) });
    try {
      assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
      assert.deepEqual(await fetchStatus(socketPath), status);
      assert.deepEqual(await fetchLimits(socketPath), { rows: [row] });
    } finally {
      await server.close();
    }
  });

  it("replaces a stale socket, refuses one in use", async () => {
    const socketPath = join(dir, "stale.sock");
    const stale = createServer();
    await new Promise<void>((resolve) => stale.listen(socketPath, resolve));
    await assert.rejects(startStatusServer({ socketPath, status: () => status, limits: () => ({ rows: [] }) }), { code: "SOCKET_IN_USE" });
    await new Promise<void>((resolve) => stale.close(() => resolve()));
    // A crashed agent: a process that listens and dies by SIGKILL leaves the socket file behind.
    spawnSync(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`]);
    assert.ok((await stat(socketPath)).isSocket(), "the stale socket file is there");
    const server = await startStatusServer({ socketPath, status: () => status, limits: () => ({ rows: [] }) });
    try {
      assert.equal((await fetchStatus(socketPath)).nodeName, "node-a");
    } finally {
      await server.close();
    }
  });

  it("says to start `pacer agent` and names the socket when nobody listens", async () => {
    const socketPath = join(dir, "nobody.sock");
    await assert.rejects(fetchStatus(socketPath), (error: Error & { code?: string }) => {
      assert.equal(error.code, "AGENT_UNREACHABLE");
      assert.match(error.message, /nobody\.sock/);
      assert.match(error.message, /start it with `pacer agent`/);
      return true;
    });
  });
});
