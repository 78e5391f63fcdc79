/**
 * The iproute2 reference for NetnsInspector (one `nsenter --net=PATH ip -j addr` per namespace): what
 * NativeInspector is checked against (native-inspector.test.ts) and the "before" of the resync CPU
 * measurement (lab/measure/resync-cpu.ts). Test support: it does not ship. nsenter --net, not
 * `ip netns exec`: the latter remounts /sys in a new mount namespace (docs/design.md, "Pitfalls") and needs
 * the namespace under /var/run/netns.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { NetnsInspectError, type InterfaceInfo, type NetnsInspector } from "../inspector.js";

const run = promisify(execFile);

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
