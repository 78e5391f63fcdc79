/**
 * Where the allocator's Lease lives: --lease-namespace, else the agent's own namespace as its ServiceAccount
 * token's mount says (the chart's release namespace, where its Role grants the Lease), else "default"
 * (an agent run by hand with a kubeconfig).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { serviceAccountDirectory } from "../kube/api/load.js";

export async function leaseNamespaceOf(configured: string, directory = serviceAccountDirectory): Promise<string> {
  if (configured !== "") return configured;
  const fromServiceAccount = await readFile(join(directory, "namespace"), "utf8").then((text) => text.trim(), () => "");
  return fromServiceAccount !== "" ? fromServiceAccount : "default";
}
