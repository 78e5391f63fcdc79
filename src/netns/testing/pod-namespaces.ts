/**
 * Test fixture: Pod-like network namespaces bind-mounted into a private netns directory (as a runtime keeps
 * them in /var/run/netns), each with eth0 — a veth whose host-side peer stays in the test's (the agent's)
 * namespace. Every name carries the caller's tag (prefix + pid); cleanup() removes everything, also after a
 * failed test.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sh = (command: string, args: string[]) => execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

export interface PodNamespace {
  /** The namespace's bind mount, inside `netnsDir`. */
  path: string;
  /** The veth peer left in the test's namespace (up). */
  hostVeth: string;
}

export class PodNamespaceFixture {
  readonly netnsDir: string;
  private readonly created: PodNamespace[] = [];

  constructor(private readonly tag: string) {
    this.netnsDir = mkdtempSync(join(tmpdir(), `${tag}-netns-`));
  }

  /** A namespace `<tag>-ns<index>` whose eth0 (up) holds the given addresses (IPv4 /24, IPv6 /64). */
  add(index: number, addresses: { ipv4: string; ipv6?: string }): PodNamespace {
    const path = join(this.netnsDir, `${this.tag}-ns${index}`);
    const hostVeth = `${this.tag}h${index}`;
    const podVeth = `${this.tag}p${index}`;
    writeFileSync(path, "");
    sh("unshare", [`--net=${path}`, "true"]);
    const entry = { path, hostVeth };
    this.created.push(entry);
    sh("ip", ["link", "add", hostVeth, "type", "veth", "peer", "name", podVeth]);
    sh("ip", ["link", "set", podVeth, "netns", path]);
    const ipv6 = addresses.ipv6 === undefined ? "" : ` && ip addr add ${addresses.ipv6}/64 dev eth0 nodad`;
    sh("nsenter", [`--net=${path}`, "sh", "-c",
      `ip link set ${podVeth} name eth0 && ip addr add ${addresses.ipv4}/24 dev eth0${ipv6} && ip link set eth0 up && ip link set lo up`]);
    sh("ip", ["link", "set", hostVeth, "up"]);
    return entry;
  }

  cleanup(): void {
    for (const { path, hostVeth } of this.created.splice(0)) {
      try { sh("ip", ["link", "del", hostVeth]); } catch { /* already gone with its namespace */ }
      try { sh("umount", [path]); } catch { /* not mounted */ }
    }
    rmSync(this.netnsDir, { recursive: true, force: true });
  }
}
