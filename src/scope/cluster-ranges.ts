/**
 * What the Kubernetes API says is inside the cluster (pure): every Node's Pod ranges (spec.podCIDRs, or the
 * older single spec.podCIDR) and its InternalIP addresses, each kind one RangeBook source with the union
 * over all nodes; every ServiceCIDR's spec.cidrs, one source per ServiceCIDR object. IPv4 and IPv6 alike.
 * Objects are slimmed to these fields before they are cached: a Node's status also lists every image it
 * holds, which would cost megabytes on a large cluster.
 */
import { normalizePrefixes } from "../datapath/validate.js";

export const NODE_POD_CIDRS = "node podCIDRs";
export const NODE_INTERNAL_IPS = "node InternalIPs";
export const serviceCidrSource = (name: string): string => `ServiceCIDR ${name}`;

interface Metadata {
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface NodeObject {
  metadata?: Metadata;
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: Array<{ type?: string; address?: string }> };
}

export interface ServiceCidrObject {
  metadata?: Metadata;
  spec?: { cidrs?: string[] };
}

const metadataOf = (object: { metadata?: Metadata }): Metadata => {
  const { name, uid, resourceVersion } = object.metadata ?? {};
  return { name, uid, resourceVersion };
};

/** A Node's Pod ranges: spec.podCIDRs (dual-stack), else spec.podCIDR. */
export function podCidrsOfNode(node: NodeObject): string[] {
  const list = (node.spec?.podCIDRs ?? []).filter((cidr) => typeof cidr === "string" && cidr !== "");
  if (list.length > 0) return list;
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

export function internalIpsOfNode(node: NodeObject): string[] {
  return (node.status?.addresses ?? []).flatMap((entry) => (entry.type === "InternalIP" && entry.address ? [entry.address] : []));
}

/** Only what podCidrsOfNode and internalIpsOfNode read. */
export function slimNode(node: NodeObject): NodeObject {
  const podCIDRs = podCidrsOfNode(node);
  return {
    metadata: metadataOf(node),
    spec: { podCIDRs },
    status: { addresses: internalIpsOfNode(node).map((address) => ({ type: "InternalIP", address })) },
  };
}

export function slimServiceCidr(object: ServiceCidrObject): ServiceCidrObject {
  return { metadata: metadataOf(object), spec: { cidrs: [...(object.spec?.cidrs ?? [])] } };
}

/** The entries that are prefixes or addresses, apart from those that are not (an API object can hold anything). */
export function splitValid(candidates: readonly string[]): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const candidate of candidates) {
    const prefix = candidate.includes("/") ? candidate : `${candidate}/${candidate.includes(":") ? 128 : 32}`;
    try {
      normalizePrefixes([prefix]);
      valid.push(candidate);
    } catch {
      invalid.push(candidate);
    }
  }
  return { valid, invalid };
}

/** The union over nodes of each kind, sorted and without repeats. */
export function nodeRanges(nodes: Iterable<NodeObject>): Record<typeof NODE_POD_CIDRS | typeof NODE_INTERNAL_IPS, string[]> {
  const podCidrs = new Set<string>();
  const internalIps = new Set<string>();
  for (const node of nodes) {
    for (const cidr of podCidrsOfNode(node)) podCidrs.add(cidr);
    for (const address of internalIpsOfNode(node)) internalIps.add(address);
  }
  return { [NODE_POD_CIDRS]: [...podCidrs].sort(), [NODE_INTERNAL_IPS]: [...internalIps].sort() };
}

export const serviceCidrsOf = (object: ServiceCidrObject): string[] =>
  (object.spec?.cidrs ?? []).filter((cidr) => typeof cidr === "string" && cidr !== "");
