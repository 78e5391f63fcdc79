/**
 * Pod-like places for datapath tests: a network namespace `pd-<pid>-<n>` with eth0 (a veth whose host-side
 * peer `pd<pid>h<n>` stays in the test's namespace), a ConformanceHarness over them, and a probe for fq.
 * Everything is named with the `pd` prefix and the pid, and removed in cleanup() even after failures.
 */
import { execFileSync } from "node:child_process";
import { deleteClsact, deleteRootQdisc, replaceRootQdisc } from "../../../bpf/index.js";
import type { ConformanceHarness } from "../../testing/conformance.js";
import type { Datapath, Direction, PodAttachment, RepairedPiece } from "../../datapath.js";

const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

export class PodNamespaces {
  private readonly names: string[] = [];
  private counter = 0;

  /** A fresh namespace with eth0 up, its peer up in the test's namespace. */
  create(label: string): PodAttachment {
    const n = this.counter++;
    const netns = `pd-${process.pid}-${n}`;
    const host = `pd${process.pid}h${n}`;
    const peer = `pd${process.pid}p${n}`;
    ip("netns", "add", netns);
    this.names.push(netns);
    ip("link", "add", host, "type", "veth", "peer", "name", peer);
    ip("link", "set", peer, "netns", netns);
    ip("-n", netns, "link", "set", peer, "name", "eth0");
    ip("-n", netns, "link", "set", "eth0", "up");
    ip("-n", netns, "link", "set", "lo", "up");
    ip("link", "set", host, "up");
    return {
      podKey: `pacer-test/${label}/${process.pid}-${n}`,
      netnsPath: `/var/run/netns/${netns}`,
      podInterface: "eth0",
      hostInterface: host,
    };
  }

  /** Removes every namespace made here (their veth pairs go with them). */
  cleanup(): void {
    for (const netns of this.names.splice(0)) {
      try {
        ip("netns", "del", netns);
      } catch {
        // already gone
      }
    }
  }
}

/** null when the kernel has the fq qdisc, else why not (tried on lo of a throwaway namespace). */
export function fqQdiscMissing(): string | null {
  const netns = `pd-${process.pid}-fqprobe`;
  try {
    ip("netns", "add", netns);
    replaceRootQdisc(`/var/run/netns/${netns}`, "lo", "fq", null);
    return null;
  } catch (error) {
    return `the fq qdisc (CONFIG_NET_SCH_FQ; this kernel: ${(error as Error).message}); these tests run in the test kernel (User-Mode Linux)`;
  } finally {
    try {
      ip("netns", "del", netns);
    } catch {
      // never created
    }
  }
}

/** A ConformanceHarness over PodNamespaces; tampering uses the same netlink calls a Pod could make. */
export function podNamespaceHarness(openDatapath: () => Promise<Datapath>, onCleanup: () => void): ConformanceHarness {
  const pods = new PodNamespaces();
  const placeOf = (attachment: PodAttachment, direction: Direction) =>
    direction === "egress"
      ? { netns: attachment.netnsPath, ifname: attachment.podInterface }
      : { netns: null, ifname: attachment.hostInterface ?? "" };
  return {
    openDatapath,
    newAttachment: async (name) => pods.create(name),
    async tamper(attachment: PodAttachment, direction: Direction, piece: RepairedPiece) {
      const { netns, ifname } = placeOf(attachment, direction);
      if (piece === "qdisc") deleteRootQdisc(netns, ifname);
      else deleteClsact(netns, ifname);
    },
    async cleanup() {
      pods.cleanup();
      onCleanup();
    },
  };
}
