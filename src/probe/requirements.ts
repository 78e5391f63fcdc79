/**
 * What `pacer check` checks and what it tells the operator — pure data, no kernel access. Each requirement
 * names the kernel option behind it, whether pacer's EDT datapath needs it (docs/design.md, "Where the datapath sits": a tc BPF
 * program that writes skb->tstamp, on a clsact qdisc, in front of fq), and what to do when it is missing.
 * The seed article's list (docs/design.md, "The operator's flow") is Cilium's: AF_ALG hashing, perf events, schedstats, the JIT,
 * cgroups and bpffs are reported but do not decide EDT — User-Mode Linux has no JIT and paces exactly.
 */
import { configState, isAtLeast, type ConfigState, type KernelConfig, type KernelVersion } from "./kernel-facts.js";

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
  "setTstamp",
  "gsoCap",
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

/** The kernel release a feature arrived in and the commit that brought it (what its probe stands for). */
export interface Origin {
  version: string;
  commit: string;
  subject: string;
}

export interface Requirement {
  name: string;
  requiredForEdt: boolean;
  /** Where the feature comes from; a probe that finds it absent on a newer kernel is a wrong probe or a kernel built without it. */
  since?: Origin;
  /** For a feature whose absence only degrades pacer: what pacer does instead, and what is lost. */
  degrades?: string;
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
    since: { version: "3.18", commit: "99c55f7d47c0", subject: "bpf: introduce BPF syscall and maps" },
    option: "CONFIG_BPF_SYSCALL",
    lacks: "the kernel refused to load a trivial BPF program",
    otherwise: "run as root (CAP_BPF + CAP_NET_ADMIN) and check `ulimit -l` on kernels before 5.11",
  },
  bpfJit: {
    name: "BPF JIT",
    requiredForEdt: false,
    since: { version: "3.0", commit: "0a14842f5a3c", subject: "net: filter: Just In Time compiler for x86-64" },
    notNeededBecause: "EDT works without it: User-Mode Linux has none and paces exactly",
    option: "CONFIG_BPF_JIT",
    lacks: "the kernel has no BPF JIT, so programs run in the interpreter",
    enable: "enable it: `sysctl -w net.core.bpf_jit_enable=1`",
  },
  bpffs: {
    name: "bpffs at /sys/fs/bpf",
    requiredForEdt: false,
    since: { version: "4.4", commit: "b2197755b263", subject: "bpf: add support for persistent maps/progs" },
    notNeededBecause: "EDT works without it; the agent pins its maps under it, see --bpffs-dir, so limits outlive a restart",
    option: "CONFIG_BPF_SYSCALL",
    lacks: "the kernel has no bpf filesystem",
    enable: "mount it: `mount -t bpf bpf /sys/fs/bpf`",
  },
  cgroup2: {
    name: "cgroup2 mounted",
    requiredForEdt: false,
    since: { version: "4.5", commit: "67e9c74b8a87", subject: "cgroup: mark unified hierarchy stable" },
    notNeededBecause: "pacer's EDT datapath attaches no cgroup programs",
    option: "CONFIG_CGROUPS",
    lacks: "the kernel has no cgroup2 filesystem",
    enable: "mount it: `mount -t cgroup2 none /sys/fs/cgroup` (systemd's unified or hybrid hierarchy does)",
  },
  clsact: {
    name: "clsact qdisc",
    requiredForEdt: true,
    since: { version: "4.5", commit: "1f211a1b929c", subject: "net, sched: add clsact qdisc" },
    option: "CONFIG_NET_SCH_INGRESS",
    module: "sch_ingress",
    lacks: "the kernel has no clsact qdisc",
  },
  clsBpf: {
    name: "cls_bpf tc filter",
    requiredForEdt: true,
    since: { version: "4.4", commit: "045efa82ff56", subject: "cls_bpf: introduce integrated actions" },
    option: "CONFIG_NET_CLS_BPF",
    module: "cls_bpf",
    lacks: "the kernel has no BPF tc classifier",
  },
  tcTstamp: {
    name: "tc BPF sets skb->tstamp",
    requiredForEdt: true,
    since: { version: "5.0", commit: "f11216b24219", subject: "bpf: add skb->tstamp r/w access from tc clsact and cg skb progs" },
    lacks: "the verifier refused a tc program that writes skb->tstamp",
    otherwise: "use kernel 5.1 or newer",
  },
  fq: {
    name: "fq qdisc",
    requiredForEdt: true,
    // fq itself is 3.12 (afe4fd062416); what pacer needs of it, departure times on CLOCK_MONOTONIC, is 4.20.
    since: { version: "4.20", commit: "fb420d5d91c1", subject: "tcp/fq: move back to CLOCK_MONOTONIC" },
    option: "CONFIG_NET_SCH_FQ",
    module: "sch_fq",
    lacks: "the kernel has no fq qdisc",
  },
  setTstamp: {
    name: "bpf_skb_set_tstamp helper",
    requiredForEdt: false,
    since: { version: "5.18", commit: "9bb984f28d5b", subject: "bpf: Add __sk_buff->delivery_time_type and bpf_skb_set_skb_delivery_time()" },
    degrades: "the program writes skb->tstamp directly instead; fq sits on the same device as the program, so every protocol keeps its departure time (docs/design.md)",
    lacks: "the kernel has no bpf_skb_set_tstamp helper",
    otherwise: "nothing to do: pacer uses the plain skb->tstamp write",
  },
  gsoCap: {
    name: "gso_max_size of an existing device can be lowered",
    requiredForEdt: false,
    degrades: "pacer cannot cap a limited Pod's GSO size, so at low limits a light flow waits behind one 64 KB skb of a bulk flow (about 50 ms at 10M; docs/design.md, \"Latency under load\")",
    lacks: "the kernel ignored or refused `ip link set … gso_max_size`",
    otherwise: "use a newer kernel for low latency at low limits",
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

/**
 * Probes that contradict their feature's origin (pure): absent on a kernel at or after the release the
 * feature arrived in, where the config does not explain it (the option not set, or a module not loaded).
 * The matrix's fq tests assert there are none on every kernel: a probe that says NotSupported on a newer
 * kernel is a bug in the probe, not a fact about the kernel (cilium/ebpf's rule for its feature tests).
 */
export function contradictedProbes(release: KernelVersion | null, config: KernelConfig | null, observations: Observations): string[] {
  if (release === null) return [];
  const found: string[] = [];
  for (const feature of PROBED_FEATURES) {
    const { since, option, name } = REQUIREMENTS[feature];
    const observation = observations[feature];
    if (since === undefined || observation.state !== "absent") continue;
    const [major = 0, minor = 0] = since.version.split(".").map(Number);
    if (!isAtLeast(release, { major, minor, patch: 0 })) continue;
    const state = option === undefined ? null : configState(config, option);
    if (state === "not set" || state === "m") continue; // built without it, or its module is not loaded
    found.push(`${name}: absent on ${release.major}.${release.minor}, although in Linux since ${since.version} (commit ${since.commit}): ${observation.note}`);
  }
  return found;
}
