/**
 * `bbr: true`: limited Pods' TCP uses BBR. The sysctl net.ipv4.tcp_congestion_control is per network
 * namespace (since Linux 4.15: "tcp: Namespace-ify sysctl_tcp_default_congestion_control"),
 * so it is written inside each limited Pod's namespace, once per Pod, after its egress limit is enforced.
 * A Datapath decorator, so the reconciler stays unaware of it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Datapath, Direction, EnsureResult, LimitSpec } from "../datapath/datapath.js";

const run = promisify(execFile);

export async function setCongestionControl(netnsPath: string, algorithm: string): Promise<void> {
  await run("nsenter", [`--net=${netnsPath}`, "sh", "-c", `echo ${algorithm} > /proc/sys/net/ipv4/tcp_congestion_control`]);
}

export function withBbr(inner: Datapath, log: (line: string) => void, set = setCongestionControl): Datapath {
  const done = new Set<string>();
  return {
    kind: inner.kind,
    async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
      const result = await inner.ensureLimit(spec);
      const key = `${spec.attachment.podKey}\u0000${spec.attachment.netnsPath}`;
      if (spec.direction === "egress" && !done.has(key)) {
        try {
          await set(spec.attachment.netnsPath, "bbr");
          done.add(key);
          log(`${spec.attachment.podKey}: TCP congestion control set to bbr in ${spec.attachment.netnsPath}`);
        } catch (error) {
          log(`${spec.attachment.podKey}: set TCP congestion control bbr (load tcp_bbr?): ${(error as Error).message}`);
        }
      }
      return result;
    },
    async removeLimit(podKey: string, direction: Direction): Promise<void> {
      await inner.removeLimit(podKey, direction);
      if (direction === "egress") for (const key of [...done]) if (key.startsWith(`${podKey}\u0000`)) done.delete(key);
    },
    listLimits: () => inner.listLimits(),
    close: () => inner.close(),
  };
}
