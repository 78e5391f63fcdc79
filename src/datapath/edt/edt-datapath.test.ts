/**
 * The EDT datapath on the host kernel (no fq here): what must hold on any kernel. Invalid limits and
 * missing namespaces/interfaces are rejected with their codes, a kernel without fq is KERNEL_REFUSED and
 * leaves nothing behind (no qdisc, clsact, record or fd), and opening mounts/reuses the pinned map.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EDT_MAPS, isBpffs, listTcFilters, rootQdisc, unmount } from "../../bpf/index.js";
import { bpfTestPrerequisites, mountPrivateBpffs, openFdCount, type PrivateBpffs } from "../../bpf/testing/bpffs.js";
import { requirePrerequisites } from "../../testing/prerequisites.js";
import type { Datapath } from "../datapath.js";
import { openEdtDatapath } from "./open.js";
import { fqQdiscMissing, PodNamespaces } from "./testing/pod-namespaces.js";

const skip = requirePrerequisites(bpfTestPrerequisites());

describe("EDT datapath on any kernel", { skip }, () => {
  let bpffs: PrivateBpffs;
  let stateDir: string;
  let pods: PodNamespaces;
  let datapath: Datapath;
  let fdsBefore: number;

  before(async () => {
    fdsBefore = openFdCount();
    bpffs = mountPrivateBpffs();
    stateDir = mkdtempSync(join(tmpdir(), `pd-state-${process.pid}-`));
    pods = new PodNamespaces();
    datapath = await openEdtDatapath({ bpffsDir: bpffs.path, stateDir });
  });
  after(async () => {
    await datapath?.close();
    pods?.cleanup();
    bpffs?.remove();
    rmSync(stateDir, { recursive: true, force: true });
    assert.equal(openFdCount(), fdsBefore, "no file descriptors leaked");
  });

  it("pins the shared maps on open and reuses them on the next open", async () => {
    for (const name of Object.values(EDT_MAPS)) assert.ok(existsSync(join(bpffs.path, name)), `${name} pinned`);
    const second = await openEdtDatapath({ bpffsDir: bpffs.path, stateDir });
    await second.close();
    assert.equal(second.kind, "edt");
  });

  it("mounts a bpffs where bpffsDir is a plain directory", async () => {
    const plain = mkdtempSync(join(tmpdir(), `pd-plain-${process.pid}-`));
    const state = mkdtempSync(join(tmpdir(), `pd-state2-${process.pid}-`));
    try {
      assert.equal(isBpffs(plain), false);
      const opened = await openEdtDatapath({ bpffsDir: plain, stateDir: state });
      await opened.close();
      assert.equal(isBpffs(plain), true);
    } finally {
      if (isBpffs(plain)) unmount(plain);
      rmSync(plain, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  it("rejects limits outside 1k..1P with INVALID_ARGUMENT before touching anything", async () => {
    const pod = pods.create("invalid");
    for (const bitsPerSecond of [0, 999, 1e15 + 1, 1500.5, Number.NaN]) {
      await assert.rejects(
        datapath.ensureLimit({ attachment: pod, direction: "egress", bitsPerSecond }),
        (error: unknown) => (error as { code?: string }).code === "INVALID_ARGUMENT",
      );
    }
    assert.equal(rootQdisc(pod.netnsPath, "eth0")?.kind, "noqueue");
  });

  it("a missing namespace, interface or host veth is NOT_FOUND", async () => {
    const pod = pods.create("missing");
    const cases = [
      { ...pod, netnsPath: "/var/run/netns/pd-does-not-exist" },
      { ...pod, podInterface: "pdnothere0" },
    ];
    for (const attachment of cases) {
      await assert.rejects(
        datapath.ensureLimit({ attachment, direction: "egress", bitsPerSecond: 10_000_000 }),
        (error: unknown) => (error as { code?: string }).code === "NOT_FOUND",
      );
    }
    const { hostInterface: _unknown, ...withoutHost } = pod;
    for (const attachment of [withoutHost, { ...pod, hostInterface: "pdnothere1" }]) {
      await assert.rejects(
        datapath.ensureLimit({ attachment, direction: "ingress", bitsPerSecond: 10_000_000 }),
        (error: unknown) => (error as { code?: string }).code === "NOT_FOUND",
      );
    }
    assert.deepEqual(await datapath.listLimits(), []);
  });

  const fqMissing = fqQdiscMissing();
  it("without fq: KERNEL_REFUSED naming fq, and nothing left behind", { skip: fqMissing ? false : "this kernel has fq" }, async () => {
    const pod = pods.create("nofq");
    for (const direction of ["egress", "ingress"] as const) {
      await assert.rejects(
        datapath.ensureLimit({ attachment: pod, direction, bitsPerSecond: 10_000_000 }),
        (error: unknown) =>
          (error as { code?: string }).code === "KERNEL_REFUSED" && /fq/.test((error as Error).message),
      );
    }
    assert.equal(rootQdisc(pod.netnsPath, "eth0")?.kind, "noqueue");
    assert.equal(rootQdisc(null, pod.hostInterface!)?.kind, "noqueue");
    assert.deepEqual(listTcFilters(pod.netnsPath, "eth0", "egress"), []);
    assert.deepEqual(await datapath.listLimits(), []);
  });
});
