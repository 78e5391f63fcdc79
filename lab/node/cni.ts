/**
 * A CNI runtime, the part a container runtime (containerd, CRI-O) does: run each plugin of a network
 * configuration list in order, as the CNI spec says (github.com/containernetworking/cni SPEC.md, "Execution
 * of Network Configurations"): CNI_COMMAND / CNI_CONTAINERID / CNI_NETNS / CNI_IFNAME / CNI_PATH in the
 * environment, the plugin's config on stdin with `name`, `cniVersion`, `prevResult` (the previous plugin's
 * result) and `runtimeConfig` (for the capabilities a plugin declares) added; DEL in reverse order with the
 * cached ADD result as prevResult.
 *
 * The plugins run in the node's network namespace (their "host" side) via nsenter.
 */
import { runTool } from "./exec.js";

export const CNI_PLUGIN_DIR = "/usr/lib/cni";

export interface CniPluginConfig {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniNetworkList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConfig[];
}

export interface CniAttachment {
  containerId: string;
  /** Path of the Pod's network namespace, e.g. /var/run/netns/<name>. */
  netnsPath: string;
  ifName: string;
  /** Values for declared capabilities, e.g. { bandwidth: { egressRate, egressBurst } }. */
  runtimeConfig?: Record<string, unknown>;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  [key: string]: unknown;
}

export interface CniRuntimeOptions {
  /** The namespace the plugins run in (the node's). */
  hostNetns: string | undefined;
  pluginDir?: string;
  /** Directories searched before PATH by the plugins (e.g. one whose `iptables` is iptables-legacy). */
  extraPath?: string[];
}

export class CniError extends Error {
  readonly code = "CNI_PLUGIN_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CniError";
  }
}

/** The config one plugin receives on stdin (pure). */
export function pluginStdin(list: CniNetworkList, plugin: CniPluginConfig, attachment: CniAttachment, prevResult: CniResult | undefined): string {
  const config: Record<string, unknown> = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) config.prevResult = prevResult;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [capability, enabled] of Object.entries(plugin.capabilities ?? {})) {
    if (enabled && attachment.runtimeConfig?.[capability] !== undefined) runtimeConfig[capability] = attachment.runtimeConfig[capability];
  }
  if (Object.keys(runtimeConfig).length > 0) config.runtimeConfig = runtimeConfig;
  return JSON.stringify(config);
}

/** The first IPv4 address of a result, without its prefix length (pure). */
export function firstIPv4(result: CniResult): string {
  const address = result.ips?.map((ip) => ip.address.split("/")[0] ?? "").find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
  if (address === undefined) throw new CniError(`cni result has no IPv4 address: ${JSON.stringify(result)}`);
  return address;
}

/** The first IPv6 address of a result, without its prefix length (pure). */
export function firstIPv6(result: CniResult): string {
  const address = result.ips?.map((ip) => ip.address.split("/")[0] ?? "").find((ip) => ip.includes(":"));
  if (address === undefined) throw new CniError(`cni result has no IPv6 address: ${JSON.stringify(result)}`);
  return address;
}

/**
 * The host-side veth of a Pod from its CNI result (pure): the interface with no `sandbox` that is not the
 * bridge (the bridge plugin lists bridge, host veth, then the Pod's interface with its sandbox).
 */
export function hostVethName(result: CniResult, bridgeName: string): string {
  const name = result.interfaces?.find((candidate) => candidate.sandbox === undefined && candidate.name !== bridgeName)?.name;
  if (name === undefined) throw new CniError(`cni result has no host-side veth: ${JSON.stringify(result.interfaces ?? [])}`);
  return name;
}

export class CniRuntime {
  constructor(private readonly options: CniRuntimeOptions) {}

  /** ADD every plugin in order; returns the last plugin's result (what the runtime caches). */
  async add(list: CniNetworkList, attachment: CniAttachment): Promise<CniResult> {
    let result: CniResult | undefined;
    for (const plugin of list.plugins) result = await this.invoke("ADD", list, plugin, attachment, result);
    if (result === undefined) throw new CniError(`cni add ${list.name}: the list has no plugins`);
    return result;
  }

  /** DEL every plugin in reverse order; "already gone" is success, as the spec asks of plugins. */
  async del(list: CniNetworkList, attachment: CniAttachment, cachedResult: CniResult | undefined): Promise<void> {
    for (const plugin of [...list.plugins].reverse()) await this.invoke("DEL", list, plugin, attachment, cachedResult);
  }

  private async invoke(command: "ADD" | "DEL", list: CniNetworkList, plugin: CniPluginConfig, attachment: CniAttachment, prevResult: CniResult | undefined): Promise<CniResult | undefined> {
    const pluginDir = this.options.pluginDir ?? CNI_PLUGIN_DIR;
    const env: NodeJS.ProcessEnv = {
      PATH: [...(this.options.extraPath ?? []), process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"].join(":"),
      CNI_COMMAND: command,
      CNI_CONTAINERID: attachment.containerId,
      CNI_NETNS: attachment.netnsPath,
      CNI_IFNAME: attachment.ifName,
      CNI_PATH: pluginDir,
    };
    const stdin = pluginStdin(list, plugin, attachment, prevResult);
    const outcome = await runTool(`${pluginDir}/${plugin.type}`, [], { netns: this.options.hostNetns, input: stdin, env, allowFailure: true });
    if (outcome.exitCode !== 0) {
      // A plugin reports errors as JSON on stdout: {"code", "msg", "details"}.
      let detail = outcome.stdout.trim() || outcome.stderr.trim();
      try {
        const error = JSON.parse(outcome.stdout) as { msg?: string; details?: string };
        detail = [error.msg, error.details].filter(Boolean).join(": ");
      } catch { /* not JSON: keep the raw text */ }
      throw new CniError(`cni ${command} ${plugin.type} (container ${attachment.containerId}): ${detail}`);
    }
    if (command === "DEL" || outcome.stdout.trim() === "") return prevResult;
    return JSON.parse(outcome.stdout) as CniResult;
  }
}
