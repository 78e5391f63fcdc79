/**
 * NativeInspector: the pure mapping, the error shape, and a conformance check against IpRouteInspector on
 * the same real namespaces (root, addon built): a veth pair whose Pod side has IPv4 + IPv6 addresses must
 * read the same through both. Then the resolver over it, end to end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BpfError } from "../bpf/errors.js";
import { defaultAddonPath } from "../bpf/native-binding.js";
import { makePod } from "../bandwidth/testing/fakes.js";
import { commandMissing, fileMissing, requirePrerequisites, rootMissing } from "../testing/prerequisites.js";
import { NetnsInspectError } from "./inspector.js";
import { IpRouteInspector } from "./testing/ip-route-inspector.js";
import { IpNetnsResolver } from "./ip-resolver.js";
import { NativeInspector, interfacesFromNative } from "./native-inspector.js";
import { PodNamespaceFixture } from "./testing/pod-namespaces.js";

describe("interfacesFromNative", () => {
  it("joins addresses to their link and maps IFLA_LINK / IFLA_LINK_NETNSID like ip does", () => {
    const link = { up: true, mtu: 1500, gsoMaxSize: 65536, kind: "" };
    const interfaces = interfacesFromNative(
      [
        { ...link, ifindex: 1, name: "lo", link: null, linkNetnsid: null },
        { ...link, ifindex: 5, name: "eth0", link: 6, linkNetnsid: 0, kind: "veth" },
        { ...link, ifindex: 7, name: "orphan", link: 0, linkNetnsid: null, kind: "veth" },
      ],
      [
        { ifindex: 5, family: 4, address: "10.77.0.2", prefixLength: 24 },
        { ifindex: 1, family: 4, address: "127.0.0.1", prefixLength: 8 },
        { ifindex: 5, family: 6, address: "fd00::2", prefixLength: 64 },
      ],
    );
    assert.deepEqual(interfaces, [
      { ifindex: 1, name: "lo", addresses: ["127.0.0.1"], linkIndex: undefined, linkNetnsId: undefined },
      { ifindex: 5, name: "eth0", addresses: ["10.77.0.2", "fd00::2"], linkIndex: 6, linkNetnsId: 0 },
      { ifindex: 7, name: "orphan", addresses: [], linkIndex: undefined, linkNetnsId: undefined },
    ]);
  });
});

describe("NativeInspector errors", () => {
  it("a vanished namespace is a NetnsInspectError that says it is not there yet or gone", async () => {
    const inspector = new NativeInspector({
      listLinks: () => {
        throw new BpfError("NOT_FOUND", "enter network namespace /var/run/netns/x: No such file or directory", 2);
      },
      listAddresses: () => [],
    });
    await assert.rejects(inspector.interfaces("/var/run/netns/x"), (error: unknown) => {
      assert.ok(error instanceof NetnsInspectError);
      assert.equal(error.code, "NETNS_INSPECT_FAILED");
      assert.match(error.message, /^list interfaces in \/var\/run\/netns\/x: .*No such file.*not created yet or already gone/);
      assert.ok(error.cause instanceof BpfError);
      return true;
    });
  });
});

const skip = requirePrerequisites([
  rootMissing(),
  commandMissing("ip", "iproute2"),
  commandMissing("nsenter", "util-linux"),
  commandMissing("unshare", "util-linux"),
  fileMissing(defaultAddonPath, "build the native addon: bash scripts/build.sh"),
]);

describe("NativeInspector (real namespaces)", { skip }, () => {
  const tag = `pr${process.pid % 100000}`;
  let pods: PodNamespaceFixture;
  before(() => {
    pods = new PodNamespaceFixture(tag);
  });
  after(() => pods.cleanup());

  it("reads the same interfaces as `ip -j addr` on both sides of a veth pair (IPv4 + IPv6)", async () => {
    const pod = pods.add(1, { ipv4: "10.78.1.2", ipv6: "fd78::1:2" });
    const native = new NativeInspector();
    const iproute = new IpRouteInspector();
    const podSide = await native.interfaces(pod.path);
    assert.deepEqual(podSide, await iproute.interfaces(pod.path));
    const eth0 = podSide.find((iface) => iface.name === "eth0");
    assert.ok(eth0, JSON.stringify(podSide));
    assert.ok(eth0.addresses.includes("10.78.1.2") && eth0.addresses.includes("fd78::1:2"), JSON.stringify(eth0));
    assert.notEqual(eth0.linkNetnsId, undefined, "the Pod side's peer is in another namespace");
    // The agent's namespace is shared with other work on this machine: compare only our host-side veth.
    const ours = (list: Awaited<ReturnType<NativeInspector["interfaces"]>>) => list.filter((iface) => iface.name === pod.hostVeth);
    const hostNative = ours(await native.interfaces(null));
    assert.equal(hostNative.length, 1);
    assert.deepEqual(hostNative, ours(await iproute.interfaces(null)));
    assert.equal(hostNative[0]?.linkIndex, eth0.ifindex);
  });

  it("a namespace path that does not exist reads as not found yet / gone", async () => {
    await assert.rejects(new NativeInspector().interfaces(join(pods.netnsDir, `${tag}-missing`)), (error: unknown) => {
      assert.ok(error instanceof NetnsInspectError);
      assert.match(error.message, /not created yet or already gone/);
      return true;
    });
  });

  it("drives the resolver: Pod IP → namespace, Pod interface and host-side veth", async () => {
    pods.add(2, { ipv4: "10.78.2.2", ipv6: "fd78::2:2" });
    const third = pods.add(3, { ipv4: "10.78.3.2", ipv6: "fd78::3:2" });
    const resolver = new IpNetnsResolver({ netnsDir: pods.netnsDir, inspector: new NativeInspector() });
    const attachment = await resolver.resolve(makePod("web", {}, { podIPs: ["fd78::3:2"] }));
    assert.deepEqual(attachment, { podKey: "default/web/uid-web", netnsPath: third.path, podInterface: "eth0", hostInterface: third.hostVeth });
  });
});
