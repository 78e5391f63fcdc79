/**
 * The lab node's pacer agent as something the suite can stop and start again (same pods dir, state dir and
 * bpffs dir, so a restarted agent adopts what is enforced — `pacer agent` leaves limits in place on stop).
 * The unlimited comparison needs "pacer off" runs between "pacer on" runs of the same Pod.
 */
import { startPacerAgent, type PacerAgent, type PacerAgentOptions } from "../../src/lab/node/index.js";

export class AgentControl {
  private current: PacerAgent | null = null;

  constructor(private readonly options: PacerAgentOptions) {}

  get running(): boolean {
    return this.current !== null;
  }

  /** The running agent; throws when it is stopped (a scenario bug, not a measurement). */
  get agent(): PacerAgent {
    if (this.current === null) throw new Error("pacer agent: stopped (start it before asking it for rows)");
    return this.current;
  }

  /** Starts the agent and waits until its status socket answers; returns the time that took in ms. */
  async start(): Promise<number> {
    if (this.current !== null) return 0;
    const started = performance.now();
    this.current = await startPacerAgent(this.options);
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
