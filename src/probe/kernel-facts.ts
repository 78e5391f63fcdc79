/**
 * Pure parsers for what the kernel says about itself: the release string (`uname -r`) and the build
 * configuration (/proc/config.gz or /boot/config-<release>). Informative only — the probes decide; a distro
 * kernel can be patched, and a config option can be `m` with the module absent.
 */

/** The options the seed article lists (docs/design.md, "The operator's flow"): none may be `n`; `m` is fine when it loads. */
export const SEED_CONFIG_OPTIONS = [
  "CONFIG_BPF",
  "CONFIG_BPF_SYSCALL",
  "CONFIG_NET_CLS_BPF",
  "CONFIG_BPF_JIT",
  "CONFIG_NET_CLS_ACT",
  "CONFIG_NET_SCH_INGRESS",
  "CONFIG_CRYPTO_SHA1",
  "CONFIG_CRYPTO_USER_API_HASH",
  "CONFIG_CGROUPS",
  "CONFIG_CGROUP_BPF",
  "CONFIG_PERF_EVENTS",
  "CONFIG_SCHEDSTATS",
  "CONFIG_NET_SCH_FQ",
] as const;

/** EDT from a tc BPF program on fq: the seed's minimum (skb->tstamp writable from tc, fq's EDT model). */
export const EDT_MINIMUM_KERNEL: KernelVersion = { major: 5, minor: 1, patch: 0 };

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface KernelConfig {
  /** Where it was read, e.g. "/proc/config.gz". */
  source: string;
  /** CONFIG_X → "y" | "m" | a string/number value. Options that are "not set" are absent. */
  values: ReadonlyMap<string, string>;
}

/** "y", "m", "not set", or null when the config could not be read. */
export type ConfigState = "y" | "m" | "not set" | null;

/** "6.18.44-fc-v669" → {6, 18, 44}; null when the string does not start with a version. */
export function parseKernelRelease(release: string): KernelVersion | null {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (match === null) return null;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

export function isAtLeast(version: KernelVersion, minimum: KernelVersion): boolean {
  if (version.major !== minimum.major) return version.major > minimum.major;
  if (version.minor !== minimum.minor) return version.minor > minimum.minor;
  return version.patch >= minimum.patch;
}

/** Kconfig output: `CONFIG_X=y`, `CONFIG_X="text"`, `# CONFIG_X is not set`, comments, blank lines. */
export function parseKernelConfig(text: string, source: string): KernelConfig {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (match === null) continue;
    const [, name, rawValue] = match as unknown as [string, string, string];
    const value = rawValue.startsWith('"') && rawValue.endsWith('"') ? rawValue.slice(1, -1) : rawValue;
    if (value !== "n") values.set(name, value);
  }
  return { source, values };
}

export function configState(config: KernelConfig | null, option: string): ConfigState {
  if (config === null) return null;
  const value = config.values.get(option);
  if (value === undefined) return "not set";
  return value === "m" ? "m" : "y";
}

/** "CONFIG_NET_SCH_FQ is not set" / "CONFIG_NET_SCH_FQ=m" / "CONFIG_NET_SCH_FQ" (config unreadable). */
export function describeOption(config: KernelConfig | null, option: string): string {
  const state = configState(config, option);
  if (state === null) return option;
  if (state === "not set") return `${option} is not set`;
  return `${option}=${config?.values.get(option) ?? state}`;
}
