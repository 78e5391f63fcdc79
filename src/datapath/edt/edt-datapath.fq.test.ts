/**
 * The shared Datapath conformance suite against the EDT datapath, on a kernel with fq (the test kernel;
 * on a kernel without fq it skips with the reason). Also checks what conformance cannot see: the replaced
 * qdisc comes back on removal, and no pins, tc objects or fds are left behind.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EDT_MAPS, listLinks, listTcFilters, rootQdisc } from "../../bpf/index.js";
import { bpfTestPrerequisites, mountPrivateBpffs, openFdCount, type PrivateBpffs } from "../../bpf/testing/bpffs.js";
import { requirePrerequisites } from "../../testing/prerequisites.js";
import { datapathConformance } from "../testing/conformance.js";
import type { Datapath } from "../datapath.js";
import { openEdtDatapath } from "./open.js";
import { fqQdiscMissing, podNamespaceHarness, PodNamespaces } from "./testing/pod-namespaces.js";

// fq is the one prerequisite that skips even under CI=true: *.fq.test.ts run for real in the test kernel
// (test/in-test-kernel.test.ts); on a kernel without fq they say why and step aside.
const prerequisites = requirePrerequisites(bpfTestPrerequisites());
const fqMissing = prerequisites ? null : fqQdiscMissing();
const skip = prerequisites || (fqMissing ? `missing prerequisite: ${fqMissing}` : false);

function freshPlaces(): { bpffs: PrivateBpffs; stateDir: string; remove(): void } {
  const bpffs = mountPrivateBpffs();
  const stateDir = mkdtempSync(join(tmpdir(), `pd-state-${process.pid}-`));
  return {
    bpffs,
    stateDir,
    remove() {
      bpffs.remove();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

datapathConformance(
  "EDT (fq + eBPF)",
  async () => {
    const places = freshPlaces();
    return podNamespaceHarness(
      () => openEdtDatapath({ bpffsDir: places.bpffs.path, stateDir: places.stateDir }),
      () => places.remove(),
    );
  },
  { skip: skip || undefined },
);

describe("EDT datapath: what it leaves behind", { skip }, () => {
  let places: ReturnType<typeof freshPlaces>;
  let pods: PodNamespaces;
  let datapath: Datapath | undefined;
  let fdsBefore: number;
  before(() => {
    fdsBefore = openFdCount();
    places = freshPlaces();
    pods = new PodNamespaces();
  });
  after(async () => {
    await datapath?.close();
    pods?.cleanup();
    places?.remove();
    assert.equal(openFdCount(), fdsBefore, "no file descriptors leaked");
  });

  it("installs fq + program, restores a replaced tbf root and removes clsact on removal", async () => {
    datapath = await openEdtDatapath({ bpffsDir: places.bpffs.path, stateDir: places.stateDir });
    const pod = pods.create("restore");
    // A user's own root qdisc before pacer: tbf 1gbit (options replayed on restore).
    const { execFileSync } = await import("node:child_process");
    execFileSync("ip", ["netns", "exec", pod.netnsPath.split("/").pop()!, "tc", "qdisc", "replace", "dev", "eth0", "root", "handle", "5:", "tbf", "rate", "1gbit", "burst", "64kb", "latency", "50ms"]);
    const before = rootQdisc(pod.netnsPath, "eth0");
    assert.equal(before?.kind, "tbf");
    const gsoOf = () => listLinks(pod.netnsPath).find((link) => link.name === "eth0")?.gsoMaxSize;
    const originalGso = gsoOf();
    await datapath.ensureLimit({ attachment: pod, direction: "egress", bitsPerSecond: 10_000_000 });
    const installed = rootQdisc(pod.netnsPath, "eth0");
    assert.equal(installed?.kind, "fq");
    assert.ok(installed?.fqStats, "fq stats are readable");
    const filters = listTcFilters(pod.netnsPath, "eth0", "egress");
    assert.equal(filters.length, 1);
    assert.ok(filters[0]!.programId > 0);
    assert.equal(gsoOf(), 3000, "gso_max_size capped to ~1 ms of 10M (floored at 2 MTUs)");

    await datapath.removeLimit(pod.podKey, "egress");
    const after = rootQdisc(pod.netnsPath, "eth0");
    assert.equal(after?.kind, "tbf");
    assert.equal(after?.handle, before?.handle);
    assert.deepEqual(after?.options, before?.options);
    assert.deepEqual(listTcFilters(pod.netnsPath, "eth0", "egress"), []);
    assert.equal(gsoOf(), originalGso, "gso_max_size restored");
    assert.ok(!(await datapath.listLimits()).some((limit) => limit.podKey === pod.podKey));
  });

  it("a Pod recreated with a new uid into the same sandbox keeps its limit when the old record goes", async () => {
    datapath ??= await openEdtDatapath({ bpffsDir: places.bpffs.path, stateDir: places.stateDir });
    const pod = pods.create("handover");
    const gsoOf = () => listLinks(pod.netnsPath).find((link) => link.name === "eth0")?.gsoMaxSize;
    const originalGso = gsoOf();
    await datapath.ensureLimit({ attachment: pod, direction: "egress", bitsPerSecond: 10_000_000 });
    const successor = { ...pod, podKey: `${pod.podKey}-new-uid` };
    const { identity } = await datapath.ensureLimit({ attachment: successor, direction: "egress", bitsPerSecond: 20_000_000 });
    const programId = listTcFilters(pod.netnsPath, "eth0", "egress")[0]?.programId;
    await datapath.removeLimit(pod.podKey, "egress");
    assert.equal(rootQdisc(pod.netnsPath, "eth0")?.kind, "fq", "fq stays for the successor");
    assert.deepEqual(listTcFilters(pod.netnsPath, "eth0", "egress").map((filter) => filter.programId), [programId], "the successor's program stays");
    assert.deepEqual((await datapath.listLimits()).filter((limit) => limit.interfaceName === "eth0" && limit.netnsPath === pod.netnsPath).map((limit) => [limit.identity, limit.bitsPerSecond]), [[identity, 20_000_000]]);
    await datapath.removeLimit(successor.podKey, "egress");
    assert.equal(rootQdisc(pod.netnsPath, "eth0")?.handle ?? 0, 0, "the original default root, not pacer's fq, comes back");
    assert.deepEqual(listTcFilters(pod.netnsPath, "eth0", "egress"), []);
    assert.equal(gsoOf(), originalGso, "gso_max_size restored to the original, not the first record's cap");
  });

  it("a default root (noqueue) comes back by deleting fq; the pin stays for the next agent", async () => {
    datapath ??= await openEdtDatapath({ bpffsDir: places.bpffs.path, stateDir: places.stateDir });
    const pod = pods.create("default");
    await datapath.ensureLimit({ attachment: pod, direction: "ingress", bitsPerSecond: 5_000_000 });
    assert.equal(rootQdisc(null, pod.hostInterface!)?.kind, "fq");
    await datapath.removeLimit(pod.podKey, "ingress");
    const restored = rootQdisc(null, pod.hostInterface!);
    assert.equal(restored?.handle ?? 0, 0, "the device default again");
    for (const name of Object.values(EDT_MAPS)) assert.ok(existsSync(join(places.bpffs.path, name)), `${name} stays pinned`);
  });
});
