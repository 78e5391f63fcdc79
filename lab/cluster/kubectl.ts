/**
 * kubectl as the operator (and the lab's kubelet) drives the cluster: the real binary from
 * scripts/setup-cluster.sh with a kubeconfig, every call one process, failures thrown with kubectl's stderr.
 *
 *   const kubectl = new Kubectl(plane.adminKubeconfig);
 *   await kubectl.run(["annotate", "pod", "netperf-server", "kubernetes.io/egress-bandwidth=10M"]);
 */
import { spawn } from "node:child_process";
import { clusterTools } from "./tools.js";

export interface KubectlResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

export class KubectlError extends Error {
  constructor(message: string, readonly result: KubectlResult) {
    super(message);
    this.name = "KubectlError";
  }
}

export class Kubectl {
  constructor(
    readonly kubeconfig: string,
    readonly binary: string = clusterTools().kubectl,
    private readonly onCommand?: (line: string) => void,
  ) {}

  /** Runs `kubectl <args>`; `input` goes to stdin (for `-f -`). Throws on a non-zero exit unless allowFailure. */
  run(args: string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<KubectlResult> {
    this.onCommand?.(`$ kubectl ${args.join(" ")}`);
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, ["--kubeconfig", this.kubeconfig, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.once("error", (error) => reject(new Error(`run ${this.binary}: ${error.message}`, { cause: error })));
      child.once("close", (exitCode) => {
        const result = { stdout, stderr, exitCode };
        if (exitCode === 0 || options.allowFailure === true) resolve(result);
        else reject(new KubectlError(`kubectl ${args.join(" ")}: exit ${exitCode}: ${(stderr || stdout).trim()}`, result));
      });
      child.stdin.on("error", () => { /* exited before reading; the exit code tells */ });
      child.stdin.end(options.input ?? "");
    });
  }

  async json<T>(args: string[]): Promise<T> {
    return JSON.parse((await this.run([...args, "-o", "json"])).stdout) as T;
  }

  /** `kubectl apply -f -` with the given documents (YAML or JSON text). */
  async apply(manifests: string): Promise<string> {
    return (await this.run(["apply", "-f", "-"], { input: manifests })).stdout;
  }
}
