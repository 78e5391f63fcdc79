/**
 * The agent's configuration: the shared contract of the agent, the Helm chart, the docs and the e2e harness.
 * Precedence, highest first: command-line flags > environment > config file (--config FILE, YAML) > defaults.
 * Unknown keys in the file and unknown flags are errors that name the key. Pure apart from reading the file.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parse as parseYaml } from "yaml";
import { DatapathError } from "../datapath/datapath.js";
import { normalizePrefixes } from "../datapath/validate.js";
import { DEFAULT_SOCKET_PATH } from "../status/client.js";
import { DurationError, parseDurationMs } from "./duration.js";

export interface AgentConfig {
  enabled: boolean;
  bbr: boolean;
  /** Flow isolation inside each Pod's limit (docs/design.md); false: one departure timeline per Pod. */
  flowIsolation: boolean;
  horizonMs: number;
  /** Empty: auto (the node's default-route devices). */
  devices: string[];
  /**
   * Prefixes inside the cluster besides what the Kubernetes API tells (Pod ranges of CNIs with their own
   * pools, the data center's networks): traffic to them is not charged to outside-cluster limits.
   */
  internalCidrs: string[];
  nodeName: string;
  podsDir: string;
  kubeconfig: string;
  /** "host:port"; "" disables the metrics server. */
  metricsAddress: string;
  socketPath: string;
  stateDir: string;
  bpffsDir: string;
  netnsDir: string;
  resyncIntervalMs: number;
  /** Stands for election as the allocator of ClusterWide budgets (a handful of nodes suffice; docs/cluster-budgets.md). */
  allocatorCandidate: boolean;
  /** Where the allocator's Lease lives; "" = the agent's own namespace (its ServiceAccount's). */
  leaseNamespace: string;
}

export class ConfigError extends Error {
  constructor(
    readonly code: "UNKNOWN_KEY" | "INVALID_VALUE" | "CONFIG_FILE" | "USAGE",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ConfigError";
  }
}

type Kind = "boolean" | "duration" | "list" | "string";
interface KeySpec {
  kind: Kind;
  flag: string;
  env: string;
  default: () => string | boolean | string[];
}

/** The table of the contract, one entry per key (docs/configuration and the chart mirror it). */
export const CONFIG_KEYS = {
  enabled: { kind: "boolean", flag: "--enabled", env: "PACER_ENABLED", default: () => true },
  bbr: { kind: "boolean", flag: "--bbr", env: "PACER_BBR", default: () => false },
  flowIsolation: { kind: "boolean", flag: "--flow-isolation", env: "PACER_FLOW_ISOLATION", default: () => true },
  horizon: { kind: "duration", flag: "--horizon", env: "PACER_HORIZON", default: () => "2s" },
  devices: { kind: "list", flag: "--devices", env: "PACER_DEVICES", default: () => [] },
  internalCidrs: { kind: "list", flag: "--internal-cidrs", env: "PACER_INTERNAL_CIDRS", default: () => [] },
  nodeName: { kind: "string", flag: "--node-name", env: "NODE_NAME", default: () => hostname() },
  podsDir: { kind: "string", flag: "--pods-dir", env: "PACER_PODS_DIR", default: () => "" },
  kubeconfig: { kind: "string", flag: "--kubeconfig", env: "KUBECONFIG", default: () => "" },
  metricsAddress: { kind: "string", flag: "--metrics-address", env: "PACER_METRICS_ADDRESS", default: () => "127.0.0.1:9090" },
  socketPath: { kind: "string", flag: "--socket", env: "PACER_SOCKET", default: () => DEFAULT_SOCKET_PATH },
  stateDir: { kind: "string", flag: "--state-dir", env: "PACER_STATE_DIR", default: () => "/run/pacer" },
  bpffsDir: { kind: "string", flag: "--bpffs-dir", env: "PACER_BPFFS_DIR", default: () => "/sys/fs/bpf/pacer" },
  netnsDir: { kind: "string", flag: "--netns-dir", env: "PACER_NETNS_DIR", default: () => "/var/run/netns" },
  resyncInterval: { kind: "duration", flag: "--resync-interval", env: "PACER_RESYNC_INTERVAL", default: () => "10s" },
  allocatorCandidate: { kind: "boolean", flag: "--allocator-candidate", env: "PACER_ALLOCATOR_CANDIDATE", default: () => true },
  leaseNamespace: { kind: "string", flag: "--lease-namespace", env: "PACER_LEASE_NAMESPACE", default: () => "" },
} satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
const KEYS = Object.keys(CONFIG_KEYS) as ConfigKey[];
const keyOfFlag = new Map<string, ConfigKey>(KEYS.map((key) => [CONFIG_KEYS[key].flag, key]));

export interface ConfigSources {
  args: string[];
  env?: NodeJS.ProcessEnv;
  readFile?: (path: string) => string;
}

/** Merge defaults < file < env < flags. Throws ConfigError naming the key or flag at fault. */
export function loadConfig({ args, env = process.env, readFile = (path) => readFileSync(path, "utf8") }: ConfigSources): AgentConfig {
  const { flags, configFile } = parseFlags(args);
  const raw: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of KEYS) raw[key] = CONFIG_KEYS[key].default();
  if (configFile) Object.assign(raw, readConfigFile(configFile, readFile));
  for (const key of KEYS) {
    const value = env[CONFIG_KEYS[key].env];
    if (value !== undefined && value !== "") raw[key] = value;
    else if (value === "" && CONFIG_KEYS[key].kind === "string") raw[key] = value;
  }
  Object.assign(raw, flags);
  return {
    enabled: toBoolean("enabled", raw.enabled),
    bbr: toBoolean("bbr", raw.bbr),
    flowIsolation: toBoolean("flowIsolation", raw.flowIsolation),
    horizonMs: positive("horizon", toDuration("horizon", raw.horizon)),
    devices: toList("devices", raw.devices),
    internalCidrs: toPrefixes("internalCidrs", toList("internalCidrs", raw.internalCidrs)),
    nodeName: toText("nodeName", raw.nodeName),
    podsDir: toText("podsDir", raw.podsDir),
    kubeconfig: toText("kubeconfig", raw.kubeconfig),
    metricsAddress: toText("metricsAddress", raw.metricsAddress),
    socketPath: toText("socketPath", raw.socketPath),
    stateDir: toText("stateDir", raw.stateDir),
    bpffsDir: toText("bpffsDir", raw.bpffsDir),
    netnsDir: toText("netnsDir", raw.netnsDir),
    resyncIntervalMs: positive("resyncInterval", toDuration("resyncInterval", raw.resyncInterval)),
    allocatorCandidate: toBoolean("allocatorCandidate", raw.allocatorCandidate),
    leaseNamespace: toText("leaseNamespace", raw.leaseNamespace),
  };
}

function parseFlags(args: string[]): { flags: Partial<Record<ConfigKey, unknown>>; configFile: string | null } {
  const flags: Partial<Record<ConfigKey, unknown>> = {};
  let configFile: string | null = null;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? "";
    const equals = arg.indexOf("=");
    const name = equals >= 0 ? arg.slice(0, equals) : arg;
    let value: string | undefined = equals >= 0 ? arg.slice(equals + 1) : undefined;
    const key = keyOfFlag.get(name);
    if (name !== "--config" && key === undefined) {
      throw new ConfigError("UNKNOWN_KEY", `unknown flag ${name}: run \`pacer agent --help\` for the flags`);
    }
    if (value === undefined && key !== undefined && CONFIG_KEYS[key].kind === "boolean") {
      const next = args[index + 1];
      value = next === "true" || next === "false" ? (index++, next) : "true";
    }
    if (value === undefined) {
      value = args[++index];
      if (value === undefined) throw new ConfigError("USAGE", `flag ${name} needs a value`);
    }
    if (key === undefined) configFile = value;
    else flags[key] = value;
  }
  return { flags, configFile };
}

function readConfigFile(path: string, readFile: (path: string) => string): Partial<Record<ConfigKey, unknown>> {
  let document: unknown;
  try {
    document = parseYaml(readFile(path));
  } catch (error) {
    throw new ConfigError("CONFIG_FILE", `read config file ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigError("CONFIG_FILE", `config file ${path}: expected a YAML mapping of keys (${KEYS.join(", ")})`);
  }
  for (const key of Object.keys(document)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new ConfigError("UNKNOWN_KEY", `config file ${path}: unknown key "${key}" (known keys: ${KEYS.join(", ")})`);
    }
  }
  return document as Partial<Record<ConfigKey, unknown>>;
}

const invalid = (key: ConfigKey, value: unknown, expected: string): ConfigError =>
  new ConfigError("INVALID_VALUE", `${key} (${CONFIG_KEYS[key].flag}, ${CONFIG_KEYS[key].env}): ${JSON.stringify(value)} is not ${expected}`);

function toBoolean(key: ConfigKey, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalid(key, value, "true or false");
}

function toDuration(key: ConfigKey, value: unknown): number {
  if (typeof value !== "string") throw invalid(key, value, 'a duration such as "2s" or "500ms"');
  try {
    return parseDurationMs(value);
  } catch (error) {
    if (error instanceof DurationError) throw invalid(key, value, 'a duration such as "2s" or "500ms"');
    throw error;
  }
}

function positive(key: ConfigKey, ms: number): number {
  if (ms <= 0) throw invalid(key, ms, "a positive duration");
  return ms;
}

function toList(key: ConfigKey, value: unknown): string[] {
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  if (typeof value === "string") return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  throw invalid(key, value, key === "internalCidrs" ? "a list of prefixes (10.42.0.0/16,fd00::/8)" : "a list of device names (eth0,eth1)");
}

function toPrefixes(key: ConfigKey, prefixes: string[]): string[] {
  try {
    normalizePrefixes(prefixes);
    return prefixes;
  } catch (error) {
    if (error instanceof DatapathError) throw invalid(key, prefixes.join(","), `a list of prefixes such as 10.42.0.0/16,fd00::/8 (${error.message})`);
    throw error;
  }
}

function toText(key: ConfigKey, value: unknown): string {
  if (typeof value === "string") return value;
  throw invalid(key, value, "a string");
}

/** `pacer agent --help`: the flags with their env variables and defaults. */
export function configHelp(): string {
  return KEYS.map((key) => {
    const spec = CONFIG_KEYS[key];
    const fallback = spec.default();
    return `  ${spec.flag.padEnd(20)} ${spec.env.padEnd(24)} default ${JSON.stringify(fallback)}`;
  }).join("\n");
}
