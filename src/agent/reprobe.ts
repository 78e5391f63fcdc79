/**
 * While the bandwidth manager is Disabled for a kernel reason, probe the kernel again every interval and,
 * once EDT is available and the datapath opens, hand the datapath to the agent (which enables itself).
 * An operator who fixes the node (`modprobe sch_fq`, mounts bpffs) needs no agent restart.
 *
 * Probes run one at a time (each next one is scheduled when the last has finished). stop() clears the
 * timer; a probe in flight at stop() enables nothing afterwards, and a datapath it opened is discarded.
 */
import type { Datapath } from "../datapath/datapath.js";
import type { EdtProbe } from "./seams.js";

/**
 * The real probe forks `ip`/`tc` and builds a veth pair (~0.1–0.3 s): every 30 s that is ≤ 1 % of a core,
 * and a fixed node is enforcing within half a minute. Never more often than the resync interval, so an
 * operator who slows the agent's periodic work slows this too.
 */
export const MIN_REPROBE_INTERVAL_MS = 30_000;

export function reprobeIntervalMs(resyncIntervalMs: number): number {
  return Math.max(resyncIntervalMs, MIN_REPROBE_INTERVAL_MS);
}

export interface ReprobeSteps {
  probe: EdtProbe;
  /** Open the datapath to enforce with (the EDT one; in tests an injected one). */
  open(): Promise<Datapath>;
  /** A datapath opened by a probe that finished after stop(): release it. */
  discard(datapath: Datapath): Promise<void>;
  /** EDT is available and `datapath` is open: turn the manager on. Called at most once. */
  enable(datapath: Datapath): void;
  /** Still Disabled, possibly for another reason than before (the operator fixed one of two things). */
  stillDisabled(reason: string): void;
  log(line: string): void;
}

export class KernelReprober {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private inFlight: Promise<boolean> | null = null;
  attempts = 0;

  constructor(
    private readonly steps: ReprobeSteps,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Stops the timer; does not wait for a probe in flight (a hung `tc` must not hold up shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One probe now (the timer calls this); true when the manager was enabled. */
  attempt(): Promise<boolean> {
    this.inFlight ??= this.probeOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.attempt().then((enabled) => {
        if (!enabled) this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async probeOnce(): Promise<boolean> {
    if (this.stopped) return false;
    this.attempts++;
    let reason: string | null;
    try {
      const verdict = await this.steps.probe();
      reason = verdict.edt.available ? null : (verdict.edt.reason ?? "EDT is unavailable");
    } catch (error) {
      reason = `kernel probe failed: ${(error as Error).message}`;
    }
    if (this.stopped) return false;
    if (reason !== null) {
      this.steps.stillDisabled(reason);
      return false;
    }
    let datapath: Datapath;
    try {
      datapath = await this.steps.open();
    } catch (error) {
      if (this.stopped) return false;
      const openReason = `open the EDT datapath: ${(error as Error).message}`;
      this.steps.log(`datapath: ${openReason}; probing again in ${this.intervalMs / 1000} s`);
      this.steps.stillDisabled(openReason);
      return false;
    }
    if (this.stopped) {
      await this.steps.discard(datapath).catch((error: unknown) => this.steps.log(`stop: close the datapath opened by a late probe: ${(error as Error).message}`));
      return false;
    }
    this.steps.enable(datapath);
    return true;
  }
}
