/**
 * Drives the reconciler: passes run one at a time; triggers that arrive during a pass coalesce into one
 * more pass (so a burst of 1,000 Pod events costs a few passes, and an annotation edit applies within one
 * pass); a periodic pass every resyncInterval checks every enforced row for drift; rows waiting in backoff
 * get a timer for their retry.
 */
import { FIRST_RETRY_MS } from "./backoff.js";
import type { PassOptions, Reconciler } from "./reconciler.js";

export interface LoopOptions {
  resyncIntervalMs: number;
  log(line: string): void;
}

export class ReconcileLoop {
  private running: Promise<void> | null = null;
  private pending: PassOptions | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private passFailures = 0;
  passes = 0;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly options: LoopOptions,
  ) {}

  start(): void {
    this.resyncTimer = setInterval(() => this.trigger({ verifyAll: true }), this.options.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  /** Ask for a pass; returns when a pass that includes this request has finished. */
  trigger(pass: PassOptions = {}): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending = { verifyAll: Boolean(this.pending?.verifyAll || pass.verifyAll) };
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // A pass is running: the drain loop picks the request up when it finishes.
    return this.running;
  }

  /** Resolves once no pass is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.idle();
  }

  private async drain(): Promise<void> {
    while (this.pending && !this.stopped) {
      const pass = this.pending;
      this.pending = null;
      try {
        await this.reconciler.reconcile(pass);
        this.passFailures = 0;
      } catch (error) {
        this.passFailures++;
        this.options.log(`reconcile: list the datapath's limits: ${error instanceof Error ? error.message : String(error)}; retrying`);
      }
      this.passes++;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const passRetry = this.passFailures > 0 ? Math.min(this.options.resyncIntervalMs, FIRST_RETRY_MS * 2 ** this.passFailures) : null;
    const rowRetry = this.reconciler.nextRetryInMs();
    const candidates = [passRetry, rowRetry].filter((delay): delay is number => delay !== null);
    if (candidates.length === 0) return;
    this.retryTimer = setTimeout(() => void this.trigger(), Math.max(10, Math.min(...candidates)));
    this.retryTimer.unref();
  }
}
