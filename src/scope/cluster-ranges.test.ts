/** Nodes and ServiceCIDRs → what is inside the cluster: the fields read, the fallbacks, the union, slimming, bad entries. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { internalIpsOfNode, nodeRanges, podCidrsOfNode, serviceCidrsOf, slimNode, slimServiceCidr, splitValid, type NodeObject } from "./cluster-ranges.js";

const node = (name: string, spec: NodeObject["spec"], addresses: Array<[string, string]>): NodeObject => ({
  metadata: { name, uid: `uid-${name}`, resourceVersion: "7" },
  spec,
  status: { addresses: addresses.map(([type, address]) => ({ type, address })) },
});

describe("cluster ranges from the Kubernetes API", () => {
  it("a node's Pod ranges: spec.podCIDRs when given (dual-stack), else the older spec.podCIDR", () => {
    assert.deepEqual(podCidrsOfNode(node("a", { podCIDR: "10.42.0.0/24", podCIDRs: ["10.42.0.0/24", "fd42::/64"] }, [])), ["10.42.0.0/24", "fd42::/64"]);
    assert.deepEqual(podCidrsOfNode(node("b", { podCIDR: "10.42.1.0/24" }, [])), ["10.42.1.0/24"]);
    assert.deepEqual(podCidrsOfNode(node("c", {}, [])), []);
    assert.deepEqual(podCidrsOfNode({}), []);
  });

  it("a node's addresses: only InternalIP, both families", () => {
    const addresses: Array<[string, string]> = [["InternalIP", "192.168.1.10"], ["ExternalIP", "203.0.113.5"], ["Hostname", "a"], ["InternalIP", "fd00::10"]];
    assert.deepEqual(internalIpsOfNode(node("a", {}, addresses)), ["192.168.1.10", "fd00::10"]);
  });

  it("the union over nodes, sorted, each prefix once", () => {
    const ranges = nodeRanges([
      node("a", { podCIDRs: ["10.42.0.0/24", "fd42::/64"] }, [["InternalIP", "192.168.1.10"]]),
      node("b", { podCIDR: "10.42.1.0/24" }, [["InternalIP", "192.168.1.11"], ["InternalIP", "192.168.1.10"]]),
    ]);
    assert.deepEqual(ranges, {
      "node podCIDRs": ["10.42.0.0/24", "10.42.1.0/24", "fd42::/64"],
      "node InternalIPs": ["192.168.1.10", "192.168.1.11"],
    });
    assert.deepEqual(nodeRanges([]), { "node podCIDRs": [], "node InternalIPs": [] });
  });

  it("slims a Node to what is read (its images and conditions are dropped), with the same ranges", () => {
    const full = {
      ...node("a", { podCIDR: "10.42.0.0/24", taints: [] } as NodeObject["spec"], [["InternalIP", "192.168.1.10"], ["Hostname", "a"]]),
      status: { addresses: [{ type: "InternalIP", address: "192.168.1.10" }], images: [{ names: ["x"], sizeBytes: 1 }] },
    } as NodeObject;
    const slim = slimNode(full);
    assert.deepEqual(slim, { metadata: { name: "a", uid: "uid-a", resourceVersion: "7" }, spec: { podCIDRs: ["10.42.0.0/24"] }, status: { addresses: [{ type: "InternalIP", address: "192.168.1.10" }] } });
    assert.deepEqual(nodeRanges([slim]), nodeRanges([full]));
  });

  it("a ServiceCIDR's spec.cidrs, one or two families", () => {
    const object = { metadata: { name: "kubernetes", uid: "u", resourceVersion: "3", labels: { a: "b" } }, spec: { cidrs: ["10.96.0.0/12", "fd00:10:96::/112"] }, status: {} };
    assert.deepEqual(serviceCidrsOf(object), ["10.96.0.0/12", "fd00:10:96::/112"]);
    assert.deepEqual(slimServiceCidr(object), { metadata: { name: "kubernetes", uid: "u", resourceVersion: "3" }, spec: { cidrs: ["10.96.0.0/12", "fd00:10:96::/112"] } });
    assert.deepEqual(serviceCidrsOf({}), []);
  });

  it("keeps valid prefixes and addresses apart from what is not one", () => {
    assert.deepEqual(splitValid(["10.42.0.0/24", "192.168.1.10", "fd00::1", "not-an-ip", "10.0.0.0/33"]), {
      valid: ["10.42.0.0/24", "192.168.1.10", "fd00::1"],
      invalid: ["not-an-ip", "10.0.0.0/33"],
    });
  });
});
