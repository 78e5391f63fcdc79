/**
 * Runs the pacer agent on the lab node the way the DaemonSet would: in the node's network namespace, with
 * Pods from a manifest directory (see manifests.ts), and reads its rows with `pacer list --json`.
 *
 * Started with `nsenter --net=` (setns, not `ip netns exec`): the agent pins BPF objects under bpffs, which
 * a fresh mount namespace with a remounted /sys would hide (docs/design.md, "Pitfalls").
 */
import type { ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runTool, startBackground, stopBackground } from "./exec.js";

export interface PacerAgentOptions {
  /** The repository (bin/pacer.js lives there). */
  repoDir: string;
  nodeNetns: string;
  nodeName: string;
  /** Holds pods/, state/, the socket; bpffsDir must be on a bpffs mount. */
  workDir: string;
  bpffsDir: string;
  /** Receives the agent's log lines. */
  onLog?: (line: string) => void;
  /** More flags for `pacer agent`, e.g. ["--flow-isolation=false"]. */
  extraArgs?: readonly string[];
}

export interface PacerAgent {
  readonly process: ChildProcess;
  readonly podsDir: string;
  readonly socket: string;
  /** `pacer list --json`: one row per Pod and direction. */
  list(): Promise<unknown[]>;
  stop(): Promise<void>;
}

export class PacerAgentError extends Error {
  readonly code = "PACER_AGENT_FAILED";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PacerAgentError";
  }
}

export async function startPacerAgent(options: PacerAgentOptions): Promise<PacerAgent> {
  const podsDir = join(options.workDir, "pods");
  const stateDir = join(options.workDir, "state");
  const socket = join(options.workDir, "pacer.sock");
  await mkdir(podsDir, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  await mkdir(options.bpffsDir, { recursive: true });
  const pacer = join(options.repoDir, "bin", "pacer.js");
  const agent = startBackground("node", [
    pacer, "agent", "--pods-dir", podsDir, "--socket", socket, "--state-dir", stateDir,
    "--bpffs-dir", options.bpffsDir, "--metrics-address", "", "--node-name", options.nodeName, ...(options.extraArgs ?? []),
  ], { netns: options.nodeNetns });
  let log = "";
  const onData = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    log += text;
    for (const line of text.split("\n")) if (line !== "") options.onLog?.(line);
  };
  agent.stdout?.on("data", onData);
  agent.stderr?.on("data", onData);

  const list = async (): Promise<unknown[]> => {
    const result = await runTool("node", [pacer, "list", "--json", "--socket", socket], { netns: options.nodeNetns });
    const parsed = JSON.parse(result.stdout) as unknown;
    if (Array.isArray(parsed)) return parsed;
    const rows = (parsed as { rows?: unknown }).rows;
    if (Array.isArray(rows)) return rows;
    throw new PacerAgentError(`pacer list --json: expected an array of rows, got ${result.stdout.slice(0, 200)}`);
  };

  // Ready when the status socket answers (the agent opens it after its first sync).
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (agent.exitCode !== null) throw new PacerAgentError(`pacer agent exited with ${agent.exitCode} before it was ready:\n${log.slice(-3000)}`);
    try {
      await list();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stopBackground(agent);
        throw new PacerAgentError(`pacer agent: status socket ${socket} not answering after 30 s: ${(error as Error).message}\n${log.slice(-3000)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { process: agent, podsDir, socket, list, stop: () => stopBackground(agent) };
}

/** The fields of a `pacer list --json` row the lab reads (src/bandwidth/status-row.ts has the whole row). */
export interface AgentRow {
  name?: string;
  direction?: string;
  enforcedBitsPerSecond?: number | null;
  enforcedExternalBitsPerSecond?: number | null;
  /** Budgets (namespace/name) the row is charged to. */
  budgets?: string[];
  state?: string;
  counters?: { packets?: number; bytes?: number; delayedPackets?: number; horizonDrops?: number; ecnMarks?: number } | null;
}

/** The row of `podName` for `direction` in `pacer list` output, if any (pure). */
export const findAgentRow = (rows: readonly unknown[], podName: string, direction: "egress" | "ingress"): AgentRow | undefined =>
  (rows as AgentRow[]).find((candidate) => candidate.name === podName && candidate.direction === direction);

/** Polls `pacer list` until `podName`'s `direction` row enforces `bits` (null: nothing); returns the wait in ms. */
export async function waitForLimit(agent: PacerAgent, podName: string, direction: "egress" | "ingress", bits: number | null, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  let last: unknown[] = [];
  while (performance.now() - started < timeoutMs) {
    last = await agent.list();
    const row = findAgentRow(last, podName, direction);
    const enforced = row?.enforcedBitsPerSecond ?? null;
    if (enforced === bits && (bits === null || row?.state === "enforced")) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new PacerAgentError(`wait for ${podName} ${direction} ${bits ?? "unlimited"}: not reached in ${timeoutMs} ms; rows: ${JSON.stringify(last)}`);
}

/** Polls `pacer list` until `podName`'s egress row enforces `bits` (null: nothing); returns the wait in ms. */
export const waitForEgressLimit = (agent: PacerAgent, podName: string, bits: number | null, timeoutMs = 10_000): Promise<number> =>
  waitForLimit(agent, podName, "egress", bits, timeoutMs);
