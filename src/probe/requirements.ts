/**
 * What `pacer check` checks and what it tells the operator — pure data, no kernel access. Each requirement
 * names the kernel option behind it, whether pacer's EDT datapath needs it (docs/design.md, "Where the datapath sits": a tc BPF
 * program that writes skb->tstamp, on a clsact qdisc, in front of fq), and what to do when it is missing.
 * The seed article's list (docs/design.md, "The operator's flow") is Cilium's: AF_ALG hashing, perf events, schedstats, the JIT,
 * cgroups and bpffs are reported but do not decide EDT — User-Mode Linux has no JIT and paces exactly.
 */
import type { ConfigState } from "./kernel-facts.js";

/** The features the probes observe, in the order they are printed. */
export const PROBED_FEATURES = [
  "bpfSyscall",
  "bpfJit",
  "bpffs",
  "cgroup2",
  "clsact",
  "clsBpf",
  "tcTstamp",
  "fq",
  "afAlgHash",
  "perfEvents",
  "schedstats",
] as const;
export type ProbedFeature = (typeof PROBED_FEATURES)[number];

/**
 * What one probe saw. "present": the kernel did it. "absent": the kernel refused (note: its words).
 * "disabled": the kernel has it but it is switched off or not mounted. "unprobed": the probe could not ask
 * (not root, a tool missing, an earlier step failed) — never read as absent.
 */
export interface Observation {
  state: "present" | "absent" | "disabled" | "unprobed";
  note: string;
}
export type Observations = Record<ProbedFeature, Observation>;

export interface Requirement {
  name: string;
  requiredForEdt: boolean;
  /** The Kconfig option behind the feature, when there is one. */
  option?: string;
  /** The loadable module providing it, when it can be a module. */
  module?: string;
  /** "the kernel has no fq qdisc": what "absent" means, in the operator's words. */
  lacks: string;
  /** What to do when the kernel has the feature but it is off ("disabled"). */
  enable?: string;
  /** What to do when nothing in the config explains the absence. */
  otherwise?: string;
  /** For a feature EDT does not need: why its absence is only a warning. */
  notNeededBecause?: string;
}

export const REQUIREMENTS: Record<ProbedFeature, Requirement> = {
  bpfSyscall: {
    name: "bpf() syscall",
    requiredForEdt: true,
    option: "CONFIG_BPF_SYSCALL",
    lacks: "the kernel refused to load a trivial BPF program",
    otherwise: "run as root (CAP_BPF + CAP_NET_ADMIN) and check `ulimit -l` on kernels before 5.11",
  },
  bpfJit: {
    name: "BPF JIT",
    requiredForEdt: false,
    notNeededBecause: "EDT works without it: User-Mode Linux has none and paces exactly",
    option: "CONFIG_BPF_JIT",
    lacks: "the kernel has no BPF JIT, so programs run in the interpreter",
    enable: "enable it: `sysctl -w net.core.bpf_jit_enable=1`",
  },
  bpffs: {
    name: "bpffs at /sys/fs/bpf",
    requiredForEdt: false,
    notNeededBecause: "EDT works without it; the agent pins its maps under it, see --bpffs-dir, so limits outlive a restart",
    option: "CONFIG_BPF_SYSCALL",
    lacks: "the kernel has no bpf filesystem",
    enable: "mount it: `mount -t bpf bpf /sys/fs/bpf`",
  },
  cgroup2: {
    name: "cgroup2 mounted",
    requiredForEdt: false,
    notNeededBecause: "pacer's EDT datapath attaches no cgroup programs",
    option: "CONFIG_CGROUPS",
    lacks: "the kernel has no cgroup2 filesystem",
    enable: "mount it: `mount -t cgroup2 none /sys/fs/cgroup` (systemd's unified or hybrid hierarchy does)",
  },
  clsact: {
    name: "clsact qdisc",
    requiredForEdt: true,
    option: "CONFIG_NET_SCH_INGRESS",
    module: "sch_ingress",
    lacks: "the kernel has no clsact qdisc",
  },
  clsBpf: {
    name: "cls_bpf tc filter",
    requiredForEdt: true,
    option: "CONFIG_NET_CLS_BPF",
    module: "cls_bpf",
    lacks: "the kernel has no BPF tc classifier",
  },
  tcTstamp: {
    name: "tc BPF sets skb->tstamp",
    requiredForEdt: true,
    lacks: "the verifier refused a tc program that writes skb->tstamp",
    otherwise: "use kernel 5.1 or newer",
  },
  fq: {
    name: "fq qdisc",
    requiredForEdt: true,
    option: "CONFIG_NET_SCH_FQ",
    module: "sch_fq",
    lacks: "the kernel has no fq qdisc",
  },
  afAlgHash: {
    name: "AF_ALG hash",
    requiredForEdt: false,
    notNeededBecause: "pacer does not use it; it is on Cilium's list",
    option: "CONFIG_CRYPTO_USER_API_HASH",
    module: "algif_hash",
    lacks: "the kernel has no AF_ALG hash sockets",
  },
  perfEvents: {
    name: "perf events",
    requiredForEdt: false,
    notNeededBecause: "pacer does not use it; it is on Cilium's list",
    option: "CONFIG_PERF_EVENTS",
    lacks: "the kernel has no perf events",
  },
  schedstats: {
    name: "schedstats",
    requiredForEdt: false,
    notNeededBecause: "pacer does not use it; it is on Cilium's list",
    option: "CONFIG_SCHEDSTATS",
    lacks: "the kernel keeps no scheduler statistics",
  },
};

/**
 * The order in which a missing required feature becomes THE reason: the most basic one explains the rest.
 * clsact comes first because the bpf() and cls_bpf probes need it (netns-probes.ts); a feature that is
 * absent still beats one that could not be probed (verdict.ts).
 */
export const EDT_REASON_ORDER: readonly ProbedFeature[] = ["clsact", "bpfSyscall", "clsBpf", "tcTstamp", "fq"];

/** What to do about an absent feature, given what the config says about its option. */
export function adviceFor(requirement: Requirement, state: ConfigState): string {
  const { option, module } = requirement;
  if (option === undefined) return requirement.otherwise ?? "use a newer kernel";
  if (state === "m" && module !== undefined) return `load the module: \`modprobe ${module}\``;
  if (state === "not set") return `use a kernel built with ${option}=y${module === undefined ? "" : " or =m"}`;
  if (state === "y") return requirement.otherwise ?? `the kernel is built with ${option}=y: see the error above`;
  if (module !== undefined) return `load it with \`modprobe ${module}\` or use a kernel built with ${option}`;
  return requirement.otherwise ?? `use a kernel built with ${option}=y`;
}

/** The short form for the EDT verdict: "try `modprobe sch_fq`" / "needs a kernel built with it". */
export function shortAdviceFor(requirement: Requirement, state: ConfigState): string {
  const { option, module } = requirement;
  if (option === undefined) return requirement.otherwise ?? "use a newer kernel";
  if (state === "not set") return "needs a kernel built with it";
  if (module !== undefined && state !== "y") return `try \`modprobe ${module}\``;
  return requirement.otherwise ?? "see `pacer check`";
}
