/** A CNI-built lab node: Pods as network namespaces wired by the real CNI plugins, an outside host beyond NAT. */
export { buildNode, CONTAINERD_DEFAULT_BURST_BITS, OUTSIDE_IP, OUTSIDE_IP6, POD_SUBNET_6, UPLINK_IP, UPLINK_IP6, labNetworkList, referenceRuntimeConfig } from "./node.js";
export type { LabNode, LabNodeOptions, LabPod, ReferenceLimits } from "./node.js";
export { CniRuntime, CniError, CNI_PLUGIN_DIR, firstIPv4, firstIPv6, hostVethName, pluginStdin } from "./cni.js";
export type { CniNetworkList, CniPluginConfig, CniResult, CniAttachment } from "./cni.js";
export { runTool, startBackground, stopBackground, netnsPath, NETNS_DIR, LabCommandError } from "./exec.js";
export { ManifestDirectory, seedPod, podObject, EGRESS_BANDWIDTH, INGRESS_BANDWIDTH } from "./manifests.js";
export type { PodManifest } from "./manifests.js";
export { startPacerAgent, waitForEgressLimit, waitForLimit, findAgentRow, PacerAgentError } from "./pacer-agent.js";
export type { AgentRow } from "./pacer-agent.js";
export type { PacerAgent, PacerAgentOptions } from "./pacer-agent.js";
