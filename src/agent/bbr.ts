/**
 * `bbr: true`: limited Pods' TCP uses BBR. The sysctl net.ipv4.tcp_congestion_control is per network
 * namespace (since Linux 4.15: "tcp: Namespace-ify sysctl_tcp_default_congestion_control"),
 * so it is written inside each limited Pod's namespace, once per Pod, after its egress limit is enforced.
 * A Datapath decorator, so the reconciler stays unaware of it.
 *
 * The write goes through a proc root (env PACER_PROC_ROOT, default /proc): in a container whose /proc is
 * read-only, point it at a read-write mount of the host's proc (the Helm chart mounts it at /host/proc).
 * Any procfs mount works, because /proc/sys/net is resolved against the network namespace of the thread
 * that opens the file (net/sysctl_net.c, net_ctl_header_lookup); the addon opens it from inside the Pod's
 * namespace (setns on the calling thread and back), no child process.
 */
import { readFileInNetns, writeFileInNetns } from "../bpf/index.js";
import type { Datapath, Direction, EnsureResult, LimitSpec } from "../datapath/datapath.js";

export const defaultProcRoot = (): string => process.env.PACER_PROC_ROOT || "/proc";

const sysctlFile = (procRoot: string): string => `${procRoot}/sys/net/ipv4/tcp_congestion_control`;

export async function setCongestionControl(netnsPath: string, algorithm: string, procRoot = defaultProcRoot()): Promise<void> {
  const file = sysctlFile(procRoot);
  try {
    writeFileInNetns(netnsPath, file, `${algorithm}\n`);
  } catch (error) {
    throw new Error(`write ${algorithm} to ${file} in ${netnsPath}: ${(error as Error).message}`, { cause: error });
  }
}

/** The Pod namespace's current TCP congestion control (read through the same proc root). */
export async function congestionControlOf(netnsPath: string, procRoot = defaultProcRoot()): Promise<string> {
  return readFileInNetns(netnsPath, sysctlFile(procRoot)).trim();
}

/** After a failed write (e.g. tcp_bbr not loaded) the Pod is tried again this much later, not on every pass. */
export const BBR_RETRY_AFTER_MS = 5 * 60_000;

export function withBbr(
  inner: Datapath,
  log: (line: string) => void,
  set = setCongestionControl,
  now: () => number = Date.now,
): Datapath {
  const done = new Set<string>();
  const retryAt = new Map<string, number>();
  return {
    kind: inner.kind,
    async ensureLimit(spec: LimitSpec): Promise<EnsureResult> {
      const result = await inner.ensureLimit(spec);
      const key = `${spec.attachment.podKey}\u0000${spec.attachment.netnsPath}`;
      if (spec.direction === "egress" && !done.has(key) && now() >= (retryAt.get(key) ?? 0)) {
        try {
          await set(spec.attachment.netnsPath, "bbr");
          done.add(key);
          retryAt.delete(key);
          log(`${spec.attachment.podKey}: TCP congestion control set to bbr in ${spec.attachment.netnsPath}`);
        } catch (error) {
          retryAt.set(key, now() + BBR_RETRY_AFTER_MS);
          log(
            `${spec.attachment.podKey}: set TCP congestion control bbr (load tcp_bbr?): ${(error as Error).message}; ` +
              `tried again in ${BBR_RETRY_AFTER_MS / 60_000} min`,
          );
        }
      }
      return result;
    },
    async removeLimit(podKey: string, direction: Direction): Promise<void> {
      await inner.removeLimit(podKey, direction);
      if (direction !== "egress") return;
      for (const keys of [done, retryAt]) for (const key of [...keys.keys()]) if (key.startsWith(`${podKey}\u0000`)) keys.delete(key);
    },
    listLimits: () => inner.listLimits(),
    ensureBudget: (share) => inner.ensureBudget(share),
    removeBudget: (key, direction) => inner.removeBudget(key, direction),
    listBudgets: () => inner.listBudgets(),
    setInternalRanges: (prefixes) => inner.setInternalRanges(prefixes),
    internalRanges: () => inner.internalRanges(),
    close: () => inner.close(),
  };
}
