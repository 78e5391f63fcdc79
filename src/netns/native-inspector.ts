/**
 * NetnsInspector over the native addon: setns into the namespace on the calling thread, an RTM_GETLINK and
 * an RTM_GETADDR dump, setns back (native/src/netns.c, rtnl-links.c). No child process: inside the
 * User-Mode Linux test kernel one fork+exec of `nsenter ip` costs ~25 ms of CPU, this costs well under 1 ms.
 *
 * The addon's calls are synchronous (a netlink dump of one namespace is microseconds to a millisecond), so
 * `interfaces()` runs them inline and returns a settled promise; the resolver's bounded parallelism is then
 * simply sequential, which is what we want on a one-CPU guest.
 */
import { BpfError } from "../bpf/errors.js";
import { listAddresses, listLinks, type Address, type Link } from "../bpf/netlink.js";
import { NetnsInspectError, type InterfaceInfo, type NetnsInspector } from "./inspector.js";

/** Pure: the InterfaceInfo the resolver reads, from the addon's links and addresses (order of the links). */
export function interfacesFromNative(links: readonly Link[], addresses: readonly Address[]): InterfaceInfo[] {
  const byIndex = new Map<number, string[]>();
  for (const address of addresses) {
    const list = byIndex.get(address.ifindex) ?? [];
    list.push(address.address);
    byIndex.set(address.ifindex, list);
  }
  return links.map((link) => ({
    ifindex: link.ifindex,
    name: link.name,
    addresses: byIndex.get(link.ifindex) ?? [],
    // The kernel sends IFLA_LINK only when it differs from the ifindex (net/core/rtnetlink.c, nla_put_iflink);
    // 0 means "no peer" (a veth whose peer is gone), which `ip` prints as @NONE: no link either way.
    linkIndex: link.link === null || link.link === 0 ? undefined : link.link,
    linkNetnsId: link.linkNetnsid ?? undefined,
  }));
}

export class NativeInspector implements NetnsInspector {
  /** Injectable for tests of the error mapping; defaults to the addon. */
  constructor(
    private readonly native: { listLinks(netns: string | null): Link[]; listAddresses(netns: string | null): Address[] } = {
      listLinks,
      listAddresses,
    },
  ) {}

  async interfaces(netnsPath: string | null): Promise<InterfaceInfo[]> {
    const where = netnsPath ?? "the agent's network namespace";
    try {
      return interfacesFromNative(this.native.listLinks(netnsPath), this.native.listAddresses(netnsPath));
    } catch (error) {
      throw new NetnsInspectError(`list interfaces in ${where}: ${hintFor(error)}`, { cause: error });
    }
  }
}

/** The addon's message plus what to do about it. A vanished namespace is routine (Pod deleted): say so. */
function hintFor(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof BpfError)) return message;
  switch (error.code) {
    case "NOT_FOUND":
      return `${message} (namespace not created yet or already gone; retried on the next pass)`;
    case "PERMISSION":
      return `${message} (the agent needs CAP_SYS_ADMIN for setns and CAP_NET_ADMIN)`;
    default:
      return message;
  }
}
