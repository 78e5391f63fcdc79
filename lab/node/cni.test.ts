/** The CNI runtime's pure parts: what each plugin gets on stdin, and reading the Pod IP from a result. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { firstIPv4, firstIPv6, hostVethName, pluginStdin } from "./cni.js";
import { labNetworkList, referenceRuntimeConfig } from "./node.js";

const list = labNetworkList("plbr", "10.244.0.0/24", "/tmp/ipam");
const attachment = { containerId: "c1", netnsPath: "/var/run/netns/p", ifName: "eth0", runtimeConfig: { bandwidth: { egressRate: 10_000_000, egressBurst: 4_294_967_295 }, portMappings: [] } };

describe("cni runtime", () => {
  it("gives the first plugin name and version, without prevResult or capabilities it did not declare", () => {
    const [bridge] = list.plugins;
    const config = JSON.parse(pluginStdin(list, bridge!, attachment, undefined)) as Record<string, unknown>;
    assert.equal(config.name, "pacer-lab");
    assert.equal(config.cniVersion, "1.0.0");
    assert.equal(config.type, "bridge");
    assert.equal(config.prevResult, undefined);
    assert.equal(config.runtimeConfig, undefined);
  });

  it("chains prevResult and passes only declared capabilities as runtimeConfig", () => {
    const [, bandwidth] = list.plugins;
    const prevResult = { cniVersion: "1.0.0", ips: [{ address: "10.244.0.2/24" }] };
    const config = JSON.parse(pluginStdin(list, bandwidth!, attachment, prevResult)) as Record<string, unknown>;
    assert.deepEqual(config.prevResult, prevResult);
    assert.deepEqual(config.runtimeConfig, { bandwidth: { egressRate: 10_000_000, egressBurst: 4_294_967_295 } });
  });

  it("reads the first IPv4 address without its prefix", () => {
    assert.equal(firstIPv4({ ips: [{ address: "fd00::2/64" }, { address: "10.244.0.7/24" }] }), "10.244.0.7");
    assert.throws(() => firstIPv4({ ips: [] }), /no IPv4 address/);
  });

  it("reads the first IPv6 address; a dual-stack list has a second range and a default route for each family", () => {
    assert.equal(firstIPv6({ ips: [{ address: "10.244.0.7/24" }, { address: "fd00:10:244::7/64" }] }), "fd00:10:244::7");
    assert.throws(() => firstIPv6({ ips: [{ address: "10.244.0.7/24" }] }), /no IPv6 address/);
    const ipam = labNetworkList("br", "10.244.0.0/24", "/d", "fd00:10:244::/64").plugins[0]?.ipam as { ranges: unknown; routes: unknown };
    assert.deepEqual(ipam.ranges, [[{ subnet: "10.244.0.0/24" }], [{ subnet: "fd00:10:244::/64" }]]);
    assert.deepEqual(ipam.routes, [{ dst: "0.0.0.0/0" }, { dst: "::/0" }]);
  });

  it("finds the host-side veth: no sandbox and not the bridge", () => {
    const result = { interfaces: [{ name: "plbr" }, { name: "veth1a2b" }, { name: "eth0", sandbox: "/var/run/netns/p" }] };
    assert.equal(hostVethName(result, "plbr"), "veth1a2b");
    assert.throws(() => hostVethName({ interfaces: [{ name: "plbr" }] }, "plbr"), /no host-side veth/);
  });

  it("uses containerd's burst unless told otherwise", () => {
    assert.deepEqual(referenceRuntimeConfig({ egressBitsPerSec: 10_000_000 }), { egressRate: 10_000_000, egressBurst: 4_294_967_295 });
    assert.deepEqual(referenceRuntimeConfig({ ingressBitsPerSec: 5, burstBits: 9 }), { ingressRate: 5, ingressBurst: 9 });
  });
});
