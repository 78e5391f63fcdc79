/**
 * The control plane's binaries, as scripts/setup-cluster.sh installed them: kube-apiserver and kubectl built
 * from the Go module proxy, etcd and etcdctl from Debian trixie, all under $PACER_CACHE and described in
 * .tools/cluster.json. Tests ask `clusterToolsMissing()` first (a prerequisite that says what to run).
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_DIR } from "../repository.js";

export const CLUSTER_TOOLS_FILE = join(REPO_DIR, ".tools", "cluster.json");

export interface ClusterTools {
  /** The release the binaries were built from, e.g. v1.35.4. */
  kubernetesVersion: string;
  kubeApiserver: string;
  kubectl: string;
  /** Debian's version of etcd-server, e.g. 3.5.16-4. */
  etcdDebianVersion: string;
  etcd: string;
  etcdctl: string;
}

const HOW_TO_INSTALL = "run bash scripts/setup-cluster.sh (scripts/setup.sh runs it)";

/** Reads .tools/cluster.json; throws with what to run when it is missing or names a missing binary. */
export function clusterTools(): ClusterTools {
  let tools: ClusterTools;
  try {
    tools = JSON.parse(readFileSync(CLUSTER_TOOLS_FILE, "utf8")) as ClusterTools;
  } catch (error) {
    throw new Error(`${CLUSTER_TOOLS_FILE}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}: ${HOW_TO_INSTALL}`);
  }
  for (const path of [tools.kubeApiserver, tools.kubectl, tools.etcd, tools.etcdctl]) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      throw new Error(`${path} (named in ${CLUSTER_TOOLS_FILE}) is not there: ${HOW_TO_INSTALL}`);
    }
  }
  return tools;
}

/** null when the control plane can be started here, else the prerequisite that is missing. */
export function clusterToolsMissing(): string | null {
  try {
    clusterTools();
    return null;
  } catch (error) {
    return `the Kubernetes control plane: ${(error as Error).message}`;
  }
}

export interface ClusterVersions {
  kubeApiserverVersion: string;
  etcdVersion: string;
  kubectlVersion: string;
}

/** What each binary says of itself (`--version`), e.g. v1.35.4, 3.5.16, v1.35.4. */
export function clusterVersions(tools: ClusterTools = clusterTools()): ClusterVersions {
  const say = (file: string, args: string[]) => execFileSync(file, args, { encoding: "utf8" });
  const apiserver = /Kubernetes (v\S+)/.exec(say(tools.kubeApiserver, ["--version"]))?.[1];
  const etcd = /etcd Version: (\S+)/.exec(say(tools.etcd, ["--version"]))?.[1];
  const kubectl = (JSON.parse(say(tools.kubectl, ["version", "--client", "-o", "json"])) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion;
  if (!apiserver || !etcd || !kubectl) throw new Error(`cannot read the control plane's versions (apiserver ${apiserver}, etcd ${etcd}, kubectl ${kubectl})`);
  return { kubeApiserverVersion: apiserver, etcdVersion: etcd, kubectlVersion: kubectl };
}
