/**
 * Reads a network namespace's interfaces and addresses. The agent uses NativeInspector (native-inspector.ts:
 * setns + rtnetlink, no child process); this iproute2 one (one `nsenter --net=PATH ip -j addr` per
 * namespace) stays as the reference the native one is checked against (native-inspector.test.ts). nsenter --net, not `ip netns exec`: the latter remounts /sys in a new mount
 * namespace (DESIGN.md section 6, pitfalls) and needs the namespace under /var/run/netns.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface InterfaceInfo {
  ifindex: number;
  name: string;
  /** IPv4/IPv6 addresses without prefix length. */
  addresses: string[];
  /** IFLA_LINK: for a veth, the peer's ifindex (in the namespace named by linkNetnsId, if any). */
  linkIndex: number | undefined;
  /** IFLA_LINK_NETNSID: set when the peer lives in another namespace. */
  linkNetnsId: number | undefined;
}

export interface NetnsInspector {
  /** The interfaces of the namespace at `netnsPath`, or of the agent's own namespace when null. */
  interfaces(netnsPath: string | null): Promise<InterfaceInfo[]>;
}

export class NetnsInspectError extends Error {
  readonly code = "NETNS_INSPECT_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NetnsInspectError";
  }
}

interface IpAddrJson {
  ifindex?: number;
  ifname?: string;
  link_index?: number;
  link_netnsid?: number;
  addr_info?: Array<{ local?: string }>;
}

/** Parse `ip -j addr` (or `ip -j link`, which has no addr_info). Pure. */
export function parseIpAddrJson(stdout: string): InterfaceInfo[] {
  const entries = JSON.parse(stdout) as IpAddrJson[];
  return entries
    .filter((entry) => typeof entry.ifindex === "number" && typeof entry.ifname === "string")
    .map((entry) => ({
      ifindex: entry.ifindex as number,
      name: entry.ifname as string,
      addresses: (entry.addr_info ?? []).map((info) => info.local).filter((ip): ip is string => typeof ip === "string"),
      linkIndex: entry.link_index,
      linkNetnsId: entry.link_netnsid,
    }));
}

export class IpRouteInspector implements NetnsInspector {
  constructor(private readonly ipCommand = "ip") {}

  async interfaces(netnsPath: string | null): Promise<InterfaceInfo[]> {
    const [command, args] =
      netnsPath === null ? [this.ipCommand, ["-j", "addr", "show"]] : ["nsenter", [`--net=${netnsPath}`, this.ipCommand, "-j", "addr", "show"]];
    try {
      const { stdout } = await run(command, args, { maxBuffer: 16 * 1024 * 1024 });
      return parseIpAddrJson(stdout);
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
      throw new NetnsInspectError(`list interfaces in ${netnsPath ?? "the agent's network namespace"}: ${detail}`, { cause: error });
    }
  }
}
