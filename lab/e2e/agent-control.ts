/**
 * The lab node's pacer agent as something the suite can stop and start again (same pods dir, state dir and
 * bpffs dir, so a restarted agent adopts what is enforced — `pacer agent` leaves limits in place on stop).
 * The unlimited comparison needs "pacer off" runs between "pacer on" runs of the same Pod.
 */
import { readFile } from "node:fs/promises";
import { startPacerAgent, type PacerAgent, type PacerAgentOptions } from "../node/index.js";

export class AgentControl {
  private current: PacerAgent | null = null;
  private modeArgs: string[] = [];
  /** The agents' log lines with the time each was seen, newest last (for waitForLog). */
  private readonly lines: Array<{ atMs: number; line: string }> = [];

  private readonly options: PacerAgentOptions;

  constructor(options: PacerAgentOptions) {
    const onLog = options.onLog;
    this.options = {
      ...options,
      onLog: (line) => {
        this.lines.push({ atMs: Date.now(), line });
        if (this.lines.length > 5000) this.lines.splice(0, 1000);
        onLog?.(line);
      },
    };
  }

  /**
   * The time (ms since the epoch, the agent's own ISO timestamp when the line has one) of the first log line
   * after `sinceMs` that matches `pattern`; waits for it up to `timeoutMs`.
   */
  async waitForLog(pattern: RegExp, sinceMs: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const { atMs, line } of this.lines) {
        if (atMs < sinceMs - 1000 || !pattern.test(line)) continue;
        const stamped = Date.parse(/^(\S+Z) /.exec(line)?.[1] ?? "");
        const at = Number.isFinite(stamped) ? stamped : atMs;
        if (at >= sinceMs) return at;
      }
      if (Date.now() > deadline) throw new Error(`pacer agent: no log line matching ${pattern} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  get running(): boolean {
    return this.current !== null;
  }

  /** The running agent; throws when it is stopped (a scenario bug, not a measurement). */
  get agent(): PacerAgent {
    if (this.current === null) throw new Error("pacer agent: stopped (start it before asking it for rows)");
    return this.current;
  }

  /**
   * CPU seconds (user + system) the running agent and its waited-for children (ip, tc) have used, from
   * /proc/<pid>/stat (fields 14-17, in USER_HZ = 100 ticks; proc(5)); null when stopped. The agent is
   * exec'ed by nsenter, so the pid is node's.
   */
  async cpuSeconds(): Promise<number | null> {
    const pid = this.current?.process.pid;
    if (pid === undefined) return null;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields?.[index]), 0);
    return Number.isFinite(ticks) ? ticks / 100 : null;
  }

  /**
   * Starts the agent and waits until its status socket answers; returns the time that took in ms.
   * `modeArgs` (e.g. ["--flow-isolation=false"]) follow the flags given at construction, for this and
   * later starts, until another start passes its own.
   */
  async start(modeArgs?: readonly string[]): Promise<number> {
    if (this.current !== null) return 0;
    if (modeArgs !== undefined) this.modeArgs = [...modeArgs];
    const started = performance.now();
    this.current = await startPacerAgent({ ...this.options, extraArgs: [...(this.options.extraArgs ?? []), ...this.modeArgs] });
    return performance.now() - started;
  }

  /** Stops the agent (SIGTERM) and waits for it to exit; returns the time that took in ms. */
  async stop(): Promise<number> {
    if (this.current === null) return 0;
    const started = performance.now();
    const agent = this.current;
    this.current = null;
    await agent.stop();
    return performance.now() - started;
  }
}
