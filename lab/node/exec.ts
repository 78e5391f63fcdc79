/**
 * Runs the node's tools (ip, tc, CNI plugins, iperf3, ping) and reports failures with their stderr.
 *
 * A network namespace is entered with `nsenter --net=<path>` (setns on the network namespace only), not
 * `ip netns exec`: the latter also unshares the mount namespace and remounts /sys, which hides bpffs pins
 * under /sys/fs/bpf (docs/design.md, "Pitfalls") and costs more forks in the test kernel.
 */
import { spawn, type ChildProcess } from "node:child_process";

export const NETNS_DIR = "/var/run/netns";
export const netnsPath = (netnsName: string): string => `${NETNS_DIR}/${netnsName}`;

export class LabCommandError extends Error {
  readonly code = "LAB_COMMAND_FAILED";
  constructor(message: string, readonly exitCode: number | null, readonly stderr: string) {
    super(message);
    this.name = "LabCommandError";
  }
}

export interface ToolOptions {
  /** Run inside this named network namespace (under /var/run/netns). */
  netns?: string;
  /**
   * Run with a real-time priority (chrt -f 50): a latency probe measures the network, not how long a busy
   * one-CPU test kernel takes to schedule it (User-Mode Linux ticks at 100 Hz).
   */
  realtime?: boolean;
  /** Written to the tool's stdin. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** argv for running `command args` in `netns` (or here, when none), optionally at a real-time priority. */
export function toolArgv(command: string, args: readonly string[], netns: string | undefined, realtime = false): [string, string[]] {
  const [file, argv]: [string, string[]] = realtime ? ["chrt", ["-f", "50", command, ...args]] : [command, [...args]];
  return netns === undefined ? [file, argv] : ["nsenter", [`--net=${netnsPath(netns)}`, "--", file, ...argv]];
}

export function runTool(command: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const [file, argv] = toolArgv(command, args, options.netns, options.realtime);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    child.on("error", (error) => reject(new LabCommandError(`run ${command}: ${error.message}`, null, "")));
    child.on("close", (exitCode) => {
      if (exitCode === 0 || options.allowFailure === true) resolve({ stdout, stderr, exitCode });
      else {
        const where = options.netns === undefined ? "" : ` in netns ${options.netns}`;
        reject(new LabCommandError(`${command} ${args.join(" ")}${where}: exit ${exitCode}: ${(stderr || stdout).trim()}`, exitCode, stderr));
      }
    });
    child.stdin.on("error", () => { /* the tool exited before reading its input; the exit code tells */ });
    child.stdin.end(options.input ?? "");
  });
}

/** Starts a long-running tool (a server) in `netns`; the caller stops it with stopBackground. */
export function startBackground(command: string, args: readonly string[], options: { netns?: string; env?: NodeJS.ProcessEnv; realtime?: boolean } = {}): ChildProcess {
  const [file, argv] = toolArgv(command, args, options.netns, options.realtime);
  return spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], env: options.env ?? process.env });
}

/** Stops a process this module started (by its pid) and waits for it to exit. */
export async function stopBackground(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
