/**
 * Probes that only read: the kernel config, procfs/sysfs entries the kernel creates exactly when it has a
 * feature, statfs magics, one AF_ALG socket, and whether the verifier knows a helper. No state is changed
 * anywhere.
 */
import { readFileSync, statfsSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { runCommand } from "./command.js";
import { parseKernelConfig, type KernelConfig } from "./kernel-facts.js";
import type { Observation } from "./requirements.js";

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
};

/** /proc/config.gz (CONFIG_IKCONFIG_PROC) or the distribution's /boot/config-<release>; null when neither. */
export function readKernelConfig(release: string): KernelConfig | null {
  try {
    return parseKernelConfig(gunzipSync(readFileSync("/proc/config.gz")).toString("utf8"), "/proc/config.gz");
  } catch {
    const bootConfig = `/boot/config-${release}`;
    const text = readText(bootConfig);
    return text === null ? null : parseKernelConfig(text, bootConfig);
  }
}

/** Filesystem types this kernel can mount (/proc/filesystems: "nodev\tbpf"). */
function kernelFilesystems(): Set<string> {
  const text = readText("/proc/filesystems") ?? "";
  return new Set(text.split("\n").map((line) => line.split("\t").pop()?.trim() ?? ""));
}

/**
 * BPF JIT: x86-64 since 3.0 (commit 0a14842f5a3c "net: filter: Just In Time compiler for x86-64"), eBPF JIT
 * since 3.18. The sysctl exists only with CONFIG_BPF_JIT; 0 = interpreter, 1 = on, 2 = on with debug output.
 */
export function probeBpfJit(): Observation {
  const value = readText("/proc/sys/net/core/bpf_jit_enable")?.trim();
  if (value === undefined) return { state: "absent", note: "no /proc/sys/net/core/bpf_jit_enable" };
  if (value === "0") return { state: "disabled", note: "net.core.bpf_jit_enable=0" };
  return { state: "present", note: `net.core.bpf_jit_enable=${value}` };
}

/** statfs f_type of `path`, or null when it cannot be stat'ed. */
function filesystemMagic(path: string): number | null {
  try {
    return Number(statfsSync(path).type);
  } catch {
    return null;
  }
}

const hex = (value: number | null): string => (value === null ? "none" : `0x${value.toString(16)}`);

/** BPF_FS_MAGIC (include/uapi/linux/magic.h); bpffs since 4.4 (commit b2197755b263 "bpf: add support for persistent maps/progs"). */
const BPF_FS_MAGIC = 0xcafe4a11;

export function probeBpffs(): Observation {
  const magic = filesystemMagic("/sys/fs/bpf");
  if (magic === BPF_FS_MAGIC) return { state: "present", note: "bpffs is mounted at /sys/fs/bpf (statfs magic 0xcafe4a11)" };
  if (kernelFilesystems().has("bpf")) {
    return { state: "disabled", note: `the kernel has bpffs but /sys/fs/bpf is not one (statfs magic ${hex(magic)})` };
  }
  return { state: "absent", note: "no \"bpf\" in /proc/filesystems" };
}

/** CGROUP2_SUPER_MAGIC; the unified hierarchy is stable since 4.5 (commit 67e9c74b8a87 "cgroup: mark unified hierarchy stable"). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

export function probeCgroup2(): Observation {
  const mounts = readText("/proc/self/mounts") ?? "";
  const mountPoints = mounts
    .split("\n")
    .map((line) => line.split(" "))
    .filter((fields) => fields[2] === "cgroup2")
    .map((fields) => fields[1] ?? "");
  const verified = mountPoints.find((mountPoint) => filesystemMagic(mountPoint) === CGROUP2_SUPER_MAGIC);
  if (verified !== undefined) return { state: "present", note: `cgroup2 is mounted at ${verified}` };
  if (kernelFilesystems().has("cgroup2")) return { state: "disabled", note: "the kernel has cgroup2 but it is not mounted" };
  return { state: "absent", note: "no \"cgroup2\" in /proc/filesystems" };
}

/** kernel/events/core.c registers kernel.perf_event_paranoid only with CONFIG_PERF_EVENTS. */
export function probePerfEvents(): Observation {
  const paranoid = readText("/proc/sys/kernel/perf_event_paranoid")?.trim();
  if (paranoid === undefined) return { state: "absent", note: "no /proc/sys/kernel/perf_event_paranoid" };
  return { state: "present", note: `kernel.perf_event_paranoid=${paranoid}` };
}

/** kernel/sched/stats.c creates /proc/schedstat only with CONFIG_SCHEDSTATS. */
export function probeSchedstats(): Observation {
  const text = readText("/proc/schedstat");
  if (text === null) return { state: "absent", note: "no /proc/schedstat" };
  return { state: "present", note: `/proc/schedstat ${text.split("\n")[0] ?? ""}`.trim() };
}

/**
 * AF_ALG hash sockets (algif_hash, 2.6.38): socket(AF_ALG, SOCK_SEQPACKET) + bind({"hash", "sha1"}) — also
 * proves CONFIG_CRYPTO_SHA1. Node has no AF_ALG; python3's socket module does.
 * EAFNOSUPPORT: no CONFIG_CRYPTO_USER_API; ENOENT at bind: no algif_hash or no sha1.
 */
const AF_ALG_SCRIPT = [
  "import socket, sys",
  "try:",
  "  s = socket.socket(socket.AF_ALG, socket.SOCK_SEQPACKET, 0)",
  "except OSError as e:",
  "  sys.exit('socket(AF_ALG): ' + e.strerror)",
  "try:",
  "  s.bind(('hash', 'sha1'))",
  "except OSError as e:",
  "  sys.exit('bind(hash, sha1): ' + e.strerror)",
].join("\n");

export async function probeAfAlgHash(): Promise<Observation> {
  const outcome = await runCommand("python3", ["-S", "-c", AF_ALG_SCRIPT]);
  if (outcome.failure !== null) return { state: "unprobed", note: `${outcome.failure} (python3 opens the AF_ALG socket)` };
  if (outcome.code === 0) return { state: "present", note: "socket(AF_ALG) bound to hash/sha1" };
  return { state: "absent", note: outcome.stderr.trim().split("\n").pop() ?? "python3 failed" };
}

/**
 * bpf_skb_set_tstamp (5.18): the verifier asked about the helper for a tc program, through the addon the
 * datapath uses, so `pacer check` says exactly what the program will do (src/bpf/edt-program.ts).
 */
export async function probeSetTstamp(): Promise<Observation> {
  try {
    const { kernelHasSetTstamp } = await import("../bpf/index.js");
    return kernelHasSetTstamp()
      ? { state: "present", note: "the verifier accepts bpf_skb_set_tstamp in a tc program" }
      : { state: "absent", note: "the verifier does not know bpf_skb_set_tstamp" };
  } catch (error) {
    return { state: "unprobed", note: `the addon could not ask: ${(error as Error).message}` };
  }
}
