/**
 * The chart's agent container, started the way the kubelet would start it, inside the test kernel (the guest
 * is ours to change): the DaemonSet's command and exactly the args it renders, its env (NODE_NAME from
 * spec.nodeName, the rest as rendered, plus the KUBERNETES_SERVICE_* a kubelet injects), its hostPath volumes
 * at their container paths (/proc bind-mounted at /host/proc), the ServiceAccount token projected at
 * /var/run/secrets/kubernetes.io/serviceaccount, and the node's network namespace (hostNetwork).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Container, PodSpec } from "../chart/helm-cli.js";
import { runTool, startBackground, stopBackground } from "../node/index.js";
import type { RenderedChart } from "./chart.js";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface ChartAgentOptions {
  chart: RenderedChart;
  token: string;
  caCert: string;
  repoDir: string;
  nodeNetns: string;
  nodeName: string;
  apiHost: string;
  apiPort: number;
  onLog?: (line: string) => void;
}

export interface ChartAgent {
  readonly pid: number | undefined;
  readonly args: readonly string[];
  /** `pacer status --json` (exit 3, disabled, is an answer too). */
  status(): Promise<{ bandwidthManager: { line: string }; ready: boolean; kubernetesApi: Array<{ verb: string; resource: string; statusCode: number | null; action: string }> }>;
  /** `pacer status` as an operator reads it. */
  statusText(): Promise<string>;
  list(): Promise<Array<{ name?: string; direction?: string; requested?: string | null; enforcedBitsPerSecond?: number | null; identity?: number | null; state?: string; reason?: string | null; since?: string; enforcedExternalBitsPerSecond?: number | null; budgets?: string[] }>>;
  log(): string;
  stop(): Promise<void>;
}

/** The container's env for the kubelet to pass (pure): values as rendered, fieldRef spec.nodeName resolved. */
export function containerEnv(container: Container, nodeName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (variable.valueFrom?.fieldRef?.fieldPath === "spec.nodeName") env[variable.name] = nodeName;
    else throw new Error(`env ${variable.name}: the lab's kubelet resolves only values and fieldRef spec.nodeName`);
  }
  return env;
}

/** `--name=value` or `--name value` from rendered args (pure). */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
    if (arg === `--${name}`) return args[index + 1];
  }
  return undefined;
}

async function mountVolumes(podSpec: PodSpec, container: Container): Promise<void> {
  const mounts = (await readFile("/proc/mounts", "utf8")).split("\n").map((line) => line.split(" ")[1]);
  for (const mount of container.volumeMounts ?? []) {
    const volume = podSpec.volumes.find((candidate) => candidate.name === mount.name);
    await mkdir(mount.mountPath, { recursive: true });
    const hostPath = volume?.hostPath?.path;
    if (hostPath === undefined || hostPath === mount.mountPath) continue;
    await mkdir(hostPath, { recursive: true });
    if (!mounts.includes(mount.mountPath)) await runTool("mount", ["--bind", hostPath, mount.mountPath]);
  }
}

export async function startChartAgent(options: ChartAgentOptions): Promise<ChartAgent> {
  if (process.env.PACER_TEST_KERNEL === undefined) throw new Error("startChartAgent changes /var/run/secrets and mounts: run it inside the test kernel only");
  const { chart, container } = { chart: options.chart, container: options.chart.container };
  await mountVolumes(chart.podSpec, container);
  await mkdir(SERVICE_ACCOUNT_DIR, { recursive: true });
  await writeFile(join(SERVICE_ACCOUNT_DIR, "token"), options.token, { mode: 0o600 });
  await writeFile(join(SERVICE_ACCOUNT_DIR, "ca.crt"), await readFile(options.caCert));
  await writeFile(join(SERVICE_ACCOUNT_DIR, "namespace"), chart.namespace);
  if (container.command?.[0] !== "pacer") throw new Error(`the chart's container runs ${JSON.stringify(container.command)}, expected pacer`);
  const pacer = join(options.repoDir, "bin", "pacer.js");
  const args = [...(container.command.slice(1) ?? []), ...(container.args ?? [])];
  const env = {
    ...process.env, ...containerEnv(container, options.nodeName),
    KUBERNETES_SERVICE_HOST: options.apiHost, KUBERNETES_SERVICE_PORT: String(options.apiPort),
  };
  const socket = flagValue(args, "socket") ?? "/run/pacer/pacer.sock";
  const child = startBackground("node", [pacer, ...args], { netns: options.nodeNetns, env });
  let log = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    log += text;
    for (const line of text.split("\n")) if (line !== "") options.onLog?.(line);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const cli = async (command: string[]) => (await runTool("node", [pacer, ...command, "--socket", socket], { netns: options.nodeNetns, allowFailure: true }));
  const agent: ChartAgent = {
    pid: child.pid,
    args,
    async status() {
      const result = await cli(["status", "--json"]);
      if (result.exitCode !== 0 && result.exitCode !== 3) throw new Error(`pacer status: exit ${result.exitCode}: ${result.stderr.trim()}`);
      return JSON.parse(result.stdout) as Awaited<ReturnType<ChartAgent["status"]>>;
    },
    async statusText() {
      return (await cli(["status"])).stdout.trim();
    },
    async list() {
      const result = await cli(["list", "--json"]);
      if (result.exitCode !== 0) throw new Error(`pacer list: exit ${result.exitCode}: ${result.stderr.trim()}`);
      const parsed = JSON.parse(result.stdout) as { rows?: unknown } | unknown[];
      return (Array.isArray(parsed) ? parsed : (parsed as { rows: unknown[] }).rows) as Awaited<ReturnType<ChartAgent["list"]>>;
    },
    log: () => log,
    stop: () => stopBackground(child),
  };
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pacer agent exited with ${child.exitCode} before its status socket answered:\n${log.slice(-3000)}`);
    if ((await cli(["status", "--json"])).exitCode !== 1) return agent;
    if (Date.now() > deadline) {
      await stopBackground(child);
      throw new Error(`pacer agent: status socket ${socket} not answering after 90 s:\n${log.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
