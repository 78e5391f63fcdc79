/**
 * A small Kubernetes-like node, built the way a real one is:
 *
 *   outside netns  (198.18.0.2, "the internet")
 *        | eth0 ── veth ── eth0 (198.18.0.1, the node's uplink; masquerade for Pods; a counting pfifo on both ends)
 *   node netns ── bridge <prefix>br (10.244.0.1, the CNI `bridge` plugin's gateway)
 *        |── veth ── eth0 in Pod netns (10.244.0.x from `host-local`)
 *
 * Pods are named network namespaces in /var/run/netns, as a container runtime makes them, wired by the real
 * CNI plugins from /usr/lib/cni (bridge + host-local, then the reference `bandwidth` plugin, chained the
 * way containerd's default configuration does; it acts only on Pods given reference limits). The node is
 * a netns of its own rather than the root namespace, so the same builder works inside the test kernel and
 * on a host kernel that has fq, and tearing it down removes everything.
 *
 * Runs as root in the namespace that should hold the node (inside the test kernel: the guest's root netns).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { CniRuntime, firstIPv4, firstIPv6, type CniAttachment, type CniNetworkList, type CniResult } from "./cni.js";
import { netnsPath, runTool } from "./exec.js";

/** containerd's burst when a Pod has a bandwidth annotation: math.MaxUint32 bits (docs/design.md, "Anchors"). */
export const CONTAINERD_DEFAULT_BURST_BITS = 4_294_967_295;

export interface LabNodeOptions {
  /** Unique prefix for every namespace and link, e.g. `pl-<pid>`; keep it ≤ 9 characters for link names. */
  prefix: string;
  /** Holds host-local's leases and the PATH shim; removed on destroy. */
  stateDir: string;
  /** Pod subnet (a /24), default 10.244.0.0/24. */
  podSubnet?: string;
  /**
   * Dual-stack Pods: host-local hands out an IPv6 address from a second range (POD_SUBNET_6), the uplink and
   * the outside host get IPv6 addresses, and the bridge plugin masquerades IPv6 too (ip6tables-legacy).
   */
  ipv6?: boolean;
}

export interface ReferenceLimits {
  egressBitsPerSec?: number;
  ingressBitsPerSec?: number;
  /** Default: containerd's, CONTAINERD_DEFAULT_BURST_BITS. */
  burstBits?: number;
}

export interface LabPod {
  name: string;
  /** Network namespace name (in /var/run/netns) and its path. */
  netns: string;
  netnsPath: string;
  containerId: string;
  ip: string;
  /** The Pod's IPv6 address (a dual-stack node only), else null. */
  ip6: string | null;
  cniResult: CniResult;
  referenceLimits: ReferenceLimits | undefined;
}

export interface LabNode {
  readonly netns: string;
  /** The node's Pod subnet (inside the cluster). */
  readonly podSubnet: string;
  readonly outsideNetns: string;
  /** The outside host's address (reached through masquerade). */
  readonly outsideIp: string;
  /** The outside host's IPv6 address on a dual-stack node, else null. */
  readonly outsideIp6: string | null;
  readonly uplinkIp: string;
  readonly bridgeName: string;
  readonly pods: ReadonlyMap<string, LabPod>;
  /** Creates a Pod netns and wires it with the CNI plugins (like a runtime's RunPodSandbox). */
  addPod(name: string, options?: { referenceLimits?: ReferenceLimits }): Promise<LabPod>;
  /** CNI DEL, then removes the Pod's netns (like StopPodSandbox + RemovePodSandbox). */
  deletePod(name: string): Promise<void>;
  /** Deletes every Pod, the node and the outside host. Safe to call twice. */
  destroy(): Promise<void>;
}

export const UPLINK_IP = "198.18.0.1";
export const OUTSIDE_IP = "198.18.0.2";
/** Dual-stack: the Pods' IPv6 range and the uplink's pair (RFC 4193 unique local addresses, as a lab uses). */
export const POD_SUBNET_6 = "fd00:10:244::/64";
export const UPLINK_IP6 = "fd00:198:18::1";
export const OUTSIDE_IP6 = "fd00:198:18::2";

/** The network configuration list the node's runtime uses (pure). */
export function labNetworkList(bridgeName: string, podSubnet: string, ipamDataDir: string, podSubnet6?: string): CniNetworkList {
  const ranges = podSubnet6 === undefined ? [[{ subnet: podSubnet }]] : [[{ subnet: podSubnet }], [{ subnet: podSubnet6 }]];
  const routes = podSubnet6 === undefined ? [{ dst: "0.0.0.0/0" }] : [{ dst: "0.0.0.0/0" }, { dst: "::/0" }];
  return {
    cniVersion: "1.0.0",
    name: "pacer-lab",
    plugins: [
      {
        type: "bridge", bridge: bridgeName, isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: "host-local", ranges, routes, dataDir: ipamDataDir },
      },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  };
}

/** The bandwidth capability's runtimeConfig for reference limits (pure). */
export function referenceRuntimeConfig(limits: ReferenceLimits): Record<string, number> {
  const burst = limits.burstBits ?? CONTAINERD_DEFAULT_BURST_BITS;
  return {
    ...(limits.egressBitsPerSec === undefined ? {} : { egressRate: limits.egressBitsPerSec, egressBurst: burst }),
    ...(limits.ingressBitsPerSec === undefined ? {} : { ingressRate: limits.ingressBitsPerSec, ingressBurst: burst }),
  };
}

/** The Pod's eth0 as CNI ADD and DEL see it, with reference limits as the bandwidth capability (pure). */
function podAttachment(containerId: string, podNetnsPath: string, limits: ReferenceLimits | undefined): CniAttachment {
  return {
    containerId, netnsPath: podNetnsPath, ifName: "eth0",
    ...(limits === undefined ? {} : { runtimeConfig: { bandwidth: referenceRuntimeConfig(limits) } }),
  };
}

export async function buildNode(options: LabNodeOptions): Promise<LabNode> {
  const { prefix, stateDir } = options;
  const nodeNetns = `${prefix}-node`;
  const outsideNetns = `${prefix}-out`;
  const bridgeName = `${prefix.replaceAll("-", "")}br`.slice(0, 15);
  const podSubnet = options.podSubnet ?? "10.244.0.0/24";
  await mkdir(join(stateDir, "bin"), { recursive: true });
  // The bridge plugin masquerades with `iptables`. iptables-legacy works on both kernels we run on (Debian's
  // UML build lacks nft_chain_nat); the shim makes the plugin find it first on PATH.
  for (const tool of ["iptables", "ip6tables"]) {
    await symlink(`/usr/sbin/${tool}-legacy`, join(stateDir, "bin", tool)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
  }
  const cni = new CniRuntime({ hostNetns: nodeNetns, extraPath: [join(stateDir, "bin")] });
  const ipv6 = options.ipv6 === true;
  const networkList = labNetworkList(bridgeName, podSubnet, join(stateDir, "ipam"), ipv6 ? POD_SUBNET_6 : undefined);
  const pods = new Map<string, LabPod>();
  const createdNetns: string[] = [];
  let destroyed = false;

  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const name of [...pods.keys()]) await deletePod(name).catch(() => undefined);
    for (const name of createdNetns.reverse()) await runTool("ip", ["netns", "delete", name], { allowFailure: true });
    await rm(stateDir, { recursive: true, force: true });
  };

  const addPod = async (name: string, podOptions: { referenceLimits?: ReferenceLimits } = {}): Promise<LabPod> => {
    if (pods.has(name)) throw new Error(`add pod ${name}: a Pod with this name exists on the node`);
    const netns = `${prefix}-pod-${name}`;
    await runTool("ip", ["netns", "add", netns]);
    const containerId = randomBytes(16).toString("hex");
    const attachment = podAttachment(containerId, netnsPath(netns), podOptions.referenceLimits);
    try {
      await runTool("ip", ["-n", netns, "link", "set", "lo", "up"]);
      const cniResult = await cni.add(networkList, attachment);
      const pod: LabPod = {
        name, netns, netnsPath: netnsPath(netns), containerId, ip: firstIPv4(cniResult), ip6: ipv6 ? firstIPv6(cniResult) : null, cniResult,
        referenceLimits: podOptions.referenceLimits,
      };
      pods.set(name, pod);
      return pod;
    } catch (error) {
      await cni.del(networkList, attachment, undefined).catch(() => undefined);
      await runTool("ip", ["netns", "delete", netns], { allowFailure: true });
      throw new Error(`add pod ${name}: ${(error as Error).message}`, { cause: error });
    }
  };

  const deletePod = async (name: string): Promise<void> => {
    const pod = pods.get(name);
    if (pod === undefined) return;
    pods.delete(name);
    try {
      await cni.del(networkList, podAttachment(pod.containerId, pod.netnsPath, pod.referenceLimits), pod.cniResult);
    } finally {
      await runTool("ip", ["netns", "delete", pod.netns], { allowFailure: true });
    }
  };

  try {
    for (const netns of [nodeNetns, outsideNetns]) {
      await runTool("ip", ["netns", "add", netns]);
      createdNetns.push(netns);
    }
    // Create the uplink pair directly in the two namespaces (names only need to be unique there).
    await runTool("ip", ["link", "add", "eth0", "netns", nodeNetns, "type", "veth", "peer", "eth0", "netns", outsideNetns]);
    // nodad: the uplink's IPv6 addresses are usable at once (no duplicate detection on a two-ended veth).
    const v6Node = ipv6 ? [`addr add ${UPLINK_IP6}/64 dev eth0 nodad`, `route add ::/0 via ${OUTSIDE_IP6}`] : [];
    const v6Outside = ipv6 ? [`addr add ${OUTSIDE_IP6}/64 dev eth0 nodad`] : [];
    await runTool("ip", ["-n", nodeNetns, "-batch", "-"], {
      input: [`addr add ${UPLINK_IP}/30 dev eth0`, "link set lo up", "link set eth0 up", `route add default via ${OUTSIDE_IP}`, ...v6Node, ""].join("\n"),
    });
    await runTool("ip", ["-n", outsideNetns, "-batch", "-"], {
      input: [`addr add ${OUTSIDE_IP}/30 dev eth0`, "link set lo up", "link set eth0 up", ...v6Outside, ""].join("\n"),
    });
    // A counting root on both ends of the uplink: its sent bytes are what crossed the uplink, per segment
    // on the wire (veth never queues, so a FIFO changes nothing else).
    for (const netns of [nodeNetns, outsideNetns]) await runTool("tc", ["qdisc", "replace", "dev", "eth0", "root", "pfifo", "limit", "10000"], { netns });
  } catch (error) {
    await destroy();
    throw new Error(`build lab node ${prefix}: ${(error as Error).message}`, { cause: error });
  }

  return { netns: nodeNetns, podSubnet, outsideNetns, outsideIp: OUTSIDE_IP, outsideIp6: ipv6 ? OUTSIDE_IP6 : null, uplinkIp: UPLINK_IP, bridgeName, pods, addPod, deletePod, destroy };
}
