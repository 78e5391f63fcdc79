/**
 * Reads a network namespace's interfaces and addresses: the boundary the resolver uses. The agent's
 * implementation is NativeInspector (native-inspector.ts: setns + rtnetlink, no child process); an iproute2
 * one, the reference it is checked against, lives in testing/ip-route-inspector.ts.
 */

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
