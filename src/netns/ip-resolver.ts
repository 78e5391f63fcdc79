/**
 * NetnsResolver by Pod IP: the Pod's namespace is the one in netnsDir (/var/run/netns) whose interface holds
 * the Pod's IP; that interface is the Pod interface, and its veth peer (IFLA_LINK → ifindex in the agent's
 * namespace) is the host interface. Works for every veth-based CNI without asking the runtime.
 *
 * Cache: one read per namespace, keyed by the namespace's inode (a path can be reused by a new namespace,
 * an inode can't while it is alive). A miss re-reads namespaces not seen before and those read more than
 * `staleAfterMs` ago (addresses are assigned after the namespace is created), so retries stay cheap.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PodAttachment } from "../datapath/datapath.js";
import { podKeyOf, type PodInfo } from "../kube/pod.js";
import type { InterfaceInfo, NetnsInspector } from "./inspector.js";
import type { NetnsResolver } from "./resolver.js";

export interface IpNetnsResolverOptions {
  netnsDir: string;
  inspector: NetnsInspector;
  staleAfterMs?: number;
  log?(line: string): void;
}

interface NetnsRead {
  path: string;
  readAt: number;
  interfaces: InterfaceInfo[];
}

export class IpNetnsResolver implements NetnsResolver {
  private readonly byInode = new Map<string, NetnsRead>();
  private hostInterfaces: InterfaceInfo[] | null = null;
  private listing: { at: number; inodes: Map<string, string> } | null = null;

  constructor(private readonly options: IpNetnsResolverOptions) {}

  async resolve(pod: PodInfo): Promise<PodAttachment | null> {
    if (pod.hostNetwork || pod.podIPs.length === 0) return null;
    // The directory listing is reused for a moment, so resolving 1,000 Pods after a sync lists it a few times.
    let inodes = this.listing && Date.now() - this.listing.at < 500 ? this.listing.inodes : await this.listNamespaces();
    let found = this.find(pod.podIPs, inodes);
    if (!found) {
      inodes = await this.listNamespaces();
      await this.refresh(inodes);
      found = this.find(pod.podIPs, inodes);
    }
    if (!found) return null;
    return {
      podKey: podKeyOf(pod),
      netnsPath: found.netns.path,
      podInterface: found.iface.name,
      ...(await this.hostPeerOf(found.iface)),
    };
  }

  /** inode key → path, for the namespaces in netnsDir now. */
  private async listNamespaces(): Promise<Map<string, string>> {
    const inodes = new Map<string, string>();
    let names: string[] = [];
    try {
      names = await readdir(this.options.netnsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    await Promise.all(
      names.map(async (name) => {
        const path = join(this.options.netnsDir, name);
        const info = await stat(path).catch(() => null);
        if (info) inodes.set(`${info.dev}:${info.ino}`, path);
      }),
    );
    for (const inode of [...this.byInode.keys()]) if (!inodes.has(inode)) this.byInode.delete(inode);
    this.listing = { at: Date.now(), inodes };
    return inodes;
  }

  private find(ips: string[], inodes: Map<string, string>): { netns: NetnsRead; iface: InterfaceInfo } | null {
    for (const [inode, netns] of this.byInode) {
      if (!inodes.has(inode)) continue;
      for (const iface of netns.interfaces) {
        if (iface.name !== "lo" && iface.addresses.some((address) => ips.includes(address))) return { netns, iface };
      }
    }
    return null;
  }

  private async refresh(inodes: Map<string, string>): Promise<void> {
    const staleBefore = Date.now() - (this.options.staleAfterMs ?? 1000);
    const toRead = [...inodes].filter(([inode]) => (this.byInode.get(inode)?.readAt ?? -Infinity) < staleBefore);
    // Bounded parallelism: one inspector read per namespace (a child process with IpRouteInspector), at most 16 at a time.
    for (let start = 0; start < toRead.length; start += 16) {
      await Promise.all(
        toRead.slice(start, start + 16).map(async ([inode, path]) => {
          try {
            const interfaces = await this.options.inspector.interfaces(path);
            this.byInode.set(inode, { path, readAt: Date.now(), interfaces });
          } catch (error) {
            this.options.log?.(`netns: ${(error as Error).message}`);
          }
        }),
      );
    }
  }

  private async hostPeerOf(iface: InterfaceInfo): Promise<{ hostInterface?: string }> {
    if (iface.linkIndex === undefined || iface.linkIndex === 0) return {};
    const match = (list: InterfaceInfo[] | null) =>
      list?.find((host) => host.ifindex === iface.linkIndex && (host.linkIndex === undefined || host.linkIndex === iface.ifindex));
    let peer = match(this.hostInterfaces);
    if (!peer) {
      this.hostInterfaces = await this.options.inspector.interfaces(null);
      peer = match(this.hostInterfaces);
    }
    return peer ? { hostInterface: peer.name } : {};
  }
}
