/**
 * tc and rtnetlink plumbing on the host kernel, inside namespaces the test made: attach/detach is
 * idempotent, leaves no tc objects, pins or fds behind, and works across namespaces by path (setns and back).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { requirePrerequisites } from "../testing/prerequisites.js";
import { loadEdtInstance } from "./edt-program.js";
import { EDT_DIRECTION_EGRESS, EDT_MAPS } from "./edt-layout.js";
import {
  attachTc,
  deleteClsact,
  detachTc,
  ensureClsact,
  listAddresses,
  listLinks,
  listQdiscs,
  listRoutes,
  listTcFilters,
  queryTc,
  readFileInNetns,
  setGsoMaxSize,
  writeFileInNetns,
  type TcPoint,
} from "./netlink.js";
import { bpfTestPrerequisites, mountPrivateBpffs, openFdCount, type PrivateBpffs } from "./testing/bpffs.js";

const skip = requirePrerequisites(bpfTestPrerequisites());
const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });

describe("tc and netlink in a network namespace", { skip }, () => {
  const netns = `pd-${process.pid}-nl`;
  const netnsPath = `/var/run/netns/${netns}`;
  const hostSide = `pd${process.pid}nl`;
  let bpffs: PrivateBpffs;
  let fdsBefore: number;

  before(() => {
    fdsBefore = openFdCount();
    bpffs = mountPrivateBpffs();
    ip("netns", "add", netns);
    ip("link", "add", hostSide, "type", "veth", "peer", "name", `${hostSide}p`);
    ip("link", "set", `${hostSide}p`, "netns", netns);
    ip("-n", netns, "link", "set", `${hostSide}p`, "name", "eth0");
    ip("-n", netns, "addr", "add", "203.0.113.77/24", "dev", "eth0");
    ip("-n", netns, "link", "set", "eth0", "up");
  });
  after(() => {
    try {
      ip("netns", "del", netns);
    } finally {
      bpffs?.remove();
    }
    assert.equal(openFdCount(), fdsBefore, "no file descriptors leaked");
  });

  it("lists the namespace's routes, default and multipath included", () => {
    ip("-n", netns, "route", "add", "default", "via", "203.0.113.1");
    ip("-n", netns, "route", "add", "198.51.100.0/24", "nexthop", "via", "203.0.113.2", "nexthop", "via", "203.0.113.3");
    const eth0 = listLinks(netnsPath).find((link) => link.name === "eth0")!.ifindex;
    const routes = listRoutes(netnsPath).filter((route) => route.table === 254 && route.family === 4);
    assert.deepEqual(routes.find((route) => route.dstLength === 0), { family: 4, dstLength: 0, table: 254, oif: eth0, nexthopOifs: [] });
    assert.deepEqual(routes.find((route) => route.dstLength === 24 && route.nexthopOifs.length > 0)?.nexthopOifs, [eth0, eth0]);
    assert.throws(() => listRoutes("/var/run/netns/pd-no-such"), /enter network namespace \/var\/run\/netns\/pd-no-such: No such file/);
  });

  it("reads and writes the namespace's own sysctls, leaving the agent's alone", () => {
    const file = "/proc/sys/net/ipv4/tcp_congestion_control";
    const agentsOwn = readFileInNetns(null, file);
    const next = agentsOwn.trim() === "reno" ? "cubic" : "reno";
    writeFileInNetns(netnsPath, file, next);
    assert.equal(readFileInNetns(netnsPath, file).trim(), next);
    assert.equal(readFileInNetns(null, file), agentsOwn);
    assert.throws(() => writeFileInNetns(netnsPath, "/proc/sys/net/ipv4/pd-no-such", "1"), /open \/proc\/sys\/net\/ipv4\/pd-no-such in \/var\/run\/netns\/.*: No such file/);
  });

  it("attach and detach are idempotent and leave no tc objects, pins or fds", () => {
    const fds = openFdCount();
    const point: TcPoint = { netns: netnsPath, ifname: "eth0", direction: "egress", handle: 0x7061, priority: 0x7061 };
    assert.equal(queryTc(point), undefined);
    const created = ensureClsact(netnsPath, "eth0");
    assert.equal(created, true);
    assert.equal(ensureClsact(netnsPath, "eth0"), false, "already there is success");
    const instance = loadEdtInstance({ pinRoot: bpffs.path, identity: 1, direction: EDT_DIRECTION_EGRESS });
    let programId: number;
    try {
      programId = attachTc(point, instance.programFd);
      assert.equal(attachTc(point, instance.programFd), programId, "re-attach replaces in place");
    } finally {
      instance.object.close();
    }
    assert.equal(queryTc(point), programId, "tc keeps the program after its object closed");
    assert.deepEqual(
      listTcFilters(netnsPath, "eth0", "egress").map((f) => [f.kind, f.handle, f.priority, f.programId]),
      [["bpf", 0x7061, 0x7061, programId]],
    );
    assert.equal(listTcFilters(null, hostSide, "egress").length, 0, "the host side is another device");
    detachTc(point);
    detachTc(point);
    assert.equal(queryTc(point), undefined);
    deleteClsact(netnsPath, "eth0");
    deleteClsact(netnsPath, "eth0");
    assert.ok(!listQdiscs(netnsPath, "eth0").some((q) => q.kind === "clsact"), "no clsact left");
    // maps.debug/progs.debug are the kernel's own (bpf_preload iterators on every new bpffs).
    const pins = readdirSync(bpffs.path).filter((name) => !name.endsWith(".debug"));
    assert.deepEqual(pins.sort(), Object.values(EDT_MAPS).sort(), "only the shared maps are pinned");
    assert.equal(openFdCount(), fds, "no fds left open");
  });

  it("lists links (with the veth peer index) and addresses of a namespace by path", () => {
    const links = listLinks(netnsPath);
    const eth0 = links.find((link) => link.name === "eth0");
    assert.ok(eth0);
    assert.equal(eth0.kind, "veth");
    const host = listLinks(null).find((link) => link.name === hostSide);
    assert.equal(eth0.link, host?.ifindex, "IFLA_LINK of the Pod side names the host-side veth");
    assert.ok(listAddresses(netnsPath).some((a) => a.address === "203.0.113.77" && a.prefixLength === 24));
    assert.ok(!listAddresses(null).some((a) => a.address === "203.0.113.77"), "came back to our namespace");
  });

  it("sets gso_max_size", () => {
    setGsoMaxSize(netnsPath, "eth0", 16384);
    assert.equal(listLinks(netnsPath).find((link) => link.name === "eth0")?.gsoMaxSize, 16384);
  });

  it("names the namespace and interface in errors", () => {
    assert.throws(
      () => listQdiscs("/var/run/netns/pd-nothing-here", "eth0"),
      (error: Error & { code?: string }) => error.code === "NOT_FOUND" && /pd-nothing-here/.test(error.message),
    );
    assert.throws(
      () => listQdiscs(netnsPath, "nosuch0"),
      (error: Error & { code?: string }) => error.code === "NOT_FOUND" && /nosuch0/.test(error.message),
    );
  });
});
