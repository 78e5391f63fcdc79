/**
 * The IP resolver against real namespaces (root): Pod-like namespaces from PodNamespaceFixture, each with a
 * veth whose peer stays in this (the agent's) namespace.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { commandMissing, requirePrerequisites, rootMissing } from "../testing/prerequisites.js";
import { IpRouteInspector, parseIpAddrJson } from "./testing/ip-route-inspector.js";
import { IpNetnsResolver } from "./ip-resolver.js";
import { makePod } from "../bandwidth/testing/fakes.js";
import { PodNamespaceFixture } from "./testing/pod-namespaces.js";

describe("parseIpAddrJson", () => {
  it("reads ifindex, name, addresses and the veth link", () => {
    const parsed = parseIpAddrJson(
      '[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1"}]},{"ifindex":5,"link_index":6,"link_netnsid":0,"ifname":"eth0","addr_info":[{"local":"10.77.0.2"},{"local":"fd00::2"}]}]',
    );
    assert.deepEqual(parsed[1], { ifindex: 5, name: "eth0", addresses: ["10.77.0.2", "fd00::2"], linkIndex: 6, linkNetnsId: 0 });
  });
});

const skip = requirePrerequisites([rootMissing(), commandMissing("ip", "iproute2"), commandMissing("nsenter", "util-linux"), commandMissing("unshare", "util-linux")]);

describe("IpNetnsResolver (real namespaces)", { skip }, () => {
  let pods: PodNamespaceFixture;
  before(() => {
    pods = new PodNamespaceFixture(`pa${process.pid % 100000}`);
  });
  after(() => pods.cleanup());

  it("finds the namespace holding the Pod IP, its interface and the host-side veth", async () => {
    pods.add(1, { ipv4: "10.77.1.2" });
    const second = pods.add(2, { ipv4: "10.77.2.2" });
    const resolver = new IpNetnsResolver({ netnsDir: pods.netnsDir, inspector: new IpRouteInspector() });
    const pod = makePod("web", {}, { podIPs: ["10.77.2.2"] });
    const attachment = await resolver.resolve(pod);
    assert.deepEqual(attachment, { podKey: "default/web/uid-web", netnsPath: second.path, podInterface: "eth0", hostInterface: second.hostVeth });
  });

  it("returns null for an unknown IP, then finds it once the address appears (retry)", async () => {
    const resolver = new IpNetnsResolver({ netnsDir: pods.netnsDir, inspector: new IpRouteInspector(), staleAfterMs: 0 });
    const pod = makePod("late", {}, { podIPs: ["10.77.3.2"] });
    assert.equal(await resolver.resolve(pod), null);
    const third = pods.add(3, { ipv4: "10.77.3.2" });
    assert.equal((await resolver.resolve(pod))?.netnsPath, third.path);
  });

  it("hostNetwork Pods and Pods without an IP resolve to null", async () => {
    const resolver = new IpNetnsResolver({ netnsDir: pods.netnsDir, inspector: new IpRouteInspector() });
    assert.equal(await resolver.resolve(makePod("h", {}, { hostNetwork: true, podIPs: ["10.77.1.2"] })), null);
    assert.equal(await resolver.resolve(makePod("n", {}, { podIPs: [] })), null);
  });
});
