/**
 * Chooses the API connection the way the agent always did (an explicit kubeconfig path wins, as with
 * kubectl --kubeconfig; then the in-cluster service account when running in a Pod; then the default loading
 * rules, $KUBECONFIG or ~/.kube/config), with the light SpecConnection where it can do the auth, and
 * client-node's full KubeConfig — loaded lazily, +45 MB RSS — only where it can't, saying so in a log line.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isIPv6 } from "node:net";
import { join } from "node:path";
import { SpecConnection, type ApiConnection, type ConnectionSpec } from "./connection.js";
import { readKubeconfigFile } from "./kubeconfig-file.js";

export const serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface LoadConnectionOptions {
  log?: (line: string) => void;
  /** Environment to read (default process.env); tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Where the service account's token and ca.crt are (default: the kubelet's mount). */
  serviceAccountDir?: string;
}

/** In-cluster config, as client-node's loadFromCluster(): https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT. */
export function inClusterSpec(env: NodeJS.ProcessEnv, directory = serviceAccountDirectory): ConnectionSpec {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const caFile = join(directory, "ca.crt");
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: existsSync(caFile) ? readFileSync(caFile) : undefined,
    tokenFile: join(directory, "token"),
    source: "in-cluster service account",
  };
}

export async function loadApiConnection(kubeconfig?: string, options: LoadConnectionOptions = {}): Promise<ApiConnection> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  if (kubeconfig !== undefined && kubeconfig !== "") return fromKubeconfigFile(kubeconfig, log);
  if (env.KUBERNETES_SERVICE_HOST) return new SpecConnection(inClusterSpec(env, options.serviceAccountDir));
  const defaultPaths = (env.KUBECONFIG ?? "").split(":").filter((path) => path !== "");
  if (defaultPaths.length > 1) return fullKubeConfig(undefined, `$KUBECONFIG lists ${defaultPaths.length} files (merging)`, log);
  const path = defaultPaths[0] ?? join(env.HOME ?? homedir(), ".kube", "config");
  if (existsSync(path)) return fromKubeconfigFile(path, log);
  return fullKubeConfig(undefined, `no kubeconfig at ${path} and not in a Pod`, log);
}

async function fromKubeconfigFile(path: string, log: (line: string) => void): Promise<ApiConnection> {
  const reading = readKubeconfigFile(path);
  if ("spec" in reading) return new SpecConnection(reading.spec);
  return fullKubeConfig(path, `kubeconfig ${path} uses ${reading.unsupported}`, log);
}

/** client-node's KubeConfig: every auth it knows, at the cost of loading its generated API. */
async function fullKubeConfig(path: string | undefined, reason: string, log: (line: string) => void): Promise<ApiConnection> {
  log(`pacer kube: ${reason}: loading @kubernetes/client-node's full KubeConfig for it (about +45 MB memory)`);
  const { KubeConfig } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  if (path !== undefined) config.loadFromFile(path);
  else config.loadFromDefault();
  return config as unknown as ApiConnection;
}
