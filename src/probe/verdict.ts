/**
 * Pure: probe observations + kernel facts → the report `pacer check` prints and the agent reads at start-up
 * (`BandwidthManager: EDT with BPF ...` or `Disabled (<reason>)`). Which missing feature makes EDT unavailable,
 * which reason wins, and every sentence the operator reads are decided here, tested without root.
 */
import {
  EDT_MINIMUM_KERNEL,
  SEED_CONFIG_OPTIONS,
  configState,
  describeOption,
  isAtLeast,
  parseKernelRelease,
  type KernelConfig,
} from "./kernel-facts.js";
import {
  EDT_REASON_ORDER,
  PROBED_FEATURES,
  REQUIREMENTS,
  adviceFor,
  shortAdviceFor,
  type Observation,
  type Observations,
  type ProbedFeature,
  type Requirement,
} from "./requirements.js";

/** One line of `pacer check`; the JSON shape is part of the CLI contract. */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** The release and commit the feature arrived in, e.g. "5.18 (9bb984f28d5b)". */
  since?: string;
  /** Not OK, but pacer works on without it, with less (the detail says what is lost). */
  degraded?: boolean;
}

export interface ProbeReport {
  edt: { available: boolean; reason: string | null };
  checks: CheckResult[];
}

export interface KernelFindings {
  /** `uname -r`. */
  release: string;
  /** null when neither /proc/config.gz nor /boot/config-<release> could be read. */
  config: KernelConfig | null;
  observations: Observations;
}

function kernelVersionCheck(release: string): CheckResult {
  const name = "kernel version";
  const version = parseKernelRelease(release);
  const minimum = `${EDT_MINIMUM_KERNEL.major}.${EDT_MINIMUM_KERNEL.minor}`;
  if (version === null) return { name, ok: false, detail: `cannot read a version in "${release}"; the probes decide` };
  if (isAtLeast(version, EDT_MINIMUM_KERNEL)) {
    return { name, ok: true, detail: `${release} (EDT needs >= ${minimum}; the probes decide)` };
  }
  return { name, ok: false, detail: `${release} is older than ${minimum}, which EDT needs; the probes decide` };
}

function kernelConfigCheck(config: KernelConfig | null): CheckResult {
  const name = "kernel config";
  if (config === null) {
    return { name, ok: false, detail: "config not readable (no /proc/config.gz, no /boot/config-<release>); probed instead" };
  }
  const notSet = SEED_CONFIG_OPTIONS.filter((option) => configState(config, option) === "not set");
  if (notSet.length === 0) {
    return { name, ok: true, detail: `${config.source}: all ${SEED_CONFIG_OPTIONS.length} options are y or m` };
  }
  return { name, ok: false, detail: `${config.source}: not set: ${notSet.join(", ")} (each is probed below)` };
}

function featureCheck(feature: ProbedFeature, observation: Observation, config: KernelConfig | null): CheckResult {
  const requirement = REQUIREMENTS[feature];
  const since = requirement.since === undefined ? {} : { since: `${requirement.since.version} (${requirement.since.commit})` };
  const check = checkOf(requirement, observation, config);
  if (requirement.degrades !== undefined && !check.ok) return { ...check, ...since, degraded: true, detail: `${check.detail}; ${requirement.degrades}` };
  return { ...check, ...since };
}

function checkOf(requirement: Requirement, observation: Observation, config: KernelConfig | null): CheckResult {
  const { name } = requirement;
  const advisory = requirement.notNeededBecause === undefined ? "" : ` (${requirement.notNeededBecause})`;
  switch (observation.state) {
    case "present":
      return { name, ok: true, detail: observation.note };
    case "disabled":
      return { name, ok: false, detail: `${observation.note}; ${requirement.enable ?? "enable it"}${advisory}` };
    case "unprobed":
      return { name, ok: false, detail: `could not probe: ${observation.note}${advisory}` };
    case "absent": {
      const option = requirement.option;
      const because = option === undefined ? observation.note : `${describeOption(config, option)}; ${observation.note}`;
      const advice = adviceFor(requirement, option === undefined ? null : configState(config, option));
      return { name, ok: false, detail: `${requirement.lacks} (${because}); ${advice}${advisory}` };
    }
  }
}

/** The operator sentence for the feature that keeps EDT off. */
function reasonFor(feature: ProbedFeature, observation: Observation, config: KernelConfig | null): string {
  const requirement = REQUIREMENTS[feature];
  const { name, option } = requirement;
  if (observation.state === "unprobed") return `could not probe ${name}: ${observation.note}`;
  if (observation.state === "disabled") return `${name} is off: ${observation.note} (${requirement.enable ?? "enable it"})`;
  const state = option === undefined ? null : configState(config, option);
  const short = shortAdviceFor(requirement, state);
  if (option === undefined || state === "y") return `${name} missing: ${requirement.lacks} (${short})`;
  if (state === "m") return `${name} missing: ${option}=m but the module is not loaded (${short})`;
  return `${name} missing: the kernel has no ${option} (${short})`;
}

export function buildReport(findings: KernelFindings): ProbeReport {
  const { release, config, observations } = findings;
  const checks = [
    kernelVersionCheck(release),
    kernelConfigCheck(config),
    ...PROBED_FEATURES.map((feature) => featureCheck(feature, observations[feature], config)),
  ];
  const blocking = EDT_REASON_ORDER.filter((feature) => observations[feature].state !== "present");
  const first = blocking.find((feature) => observations[feature].state !== "unprobed") ?? blocking[0];
  if (first === undefined) return { edt: { available: true, reason: null }, checks };
  const others = blocking.filter((feature) => feature !== first).map((feature) => REQUIREMENTS[feature].name);
  const also = others.length === 0 ? "" : `; also not OK: ${others.join(", ")}`;
  return { edt: { available: false, reason: `${reasonFor(first, observations[first], config)}${also}` }, checks };
}

/** The text `pacer check` prints: one line per check, then the verdict. */
export function formatReport(report: ProbeReport): string {
  const lines = report.checks.map((check) => {
    const status = check.ok ? "OK" : check.degraded === true ? "DEGRADED" : "MISSING";
    return `${check.name}: ${status} — ${check.detail}${check.since === undefined ? "" : ` [Linux ${check.since}]`}`;
  });
  lines.push(report.edt.available ? "EDT: available" : `EDT: unavailable — ${report.edt.reason ?? "unknown reason"}`);
  return lines.join("\n");
}
